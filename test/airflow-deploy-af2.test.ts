// After the merge, against a real Airflow 2 webserver and scheduler: see test/support/deploy-tier.ts.
import { deployTier } from './support/deploy-tier.ts';

deployTier(2);
