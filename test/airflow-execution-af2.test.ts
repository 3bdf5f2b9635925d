// The execution tier on Airflow 2: see test/support/execution-tier.ts.
import { executionTier } from './support/execution-tier.ts';

executionTier(2);
