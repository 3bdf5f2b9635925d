// The local Airflow of the post-merge tests (src/cli/local-airflow.ts, which the demo uses too).
export { AIRFLOW_PASSWORD, AIRFLOW_USER, freePort, LocalAirflow as AirflowServer } from '../../src/cli/local-airflow.ts';
