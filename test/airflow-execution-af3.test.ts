// The execution tier on Airflow 3: see test/support/execution-tier.ts.
import { executionTier } from './support/execution-tier.ts';

executionTier(3);
