// After the merge, against a real Airflow 3 api-server and dag-processor: see test/support/deploy-tier.ts.
import { deployTier } from './support/deploy-tier.ts';

deployTier(3);
