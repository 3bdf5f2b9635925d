"""Runs rendered DAGs in a real Airflow for the execution tier, one request per line of stdin.

Airflow is imported once per process (the costly part); each request answers with one JSON line on the
original stdout, while Airflow's own logging goes to stderr.

  {"op": "run", "dag_file": ".../x.py", "dag_id": "x", "run_after": "2026-03-02T06:00:00+00:00"}
      runs the DAG as `airflow dags test` does (DAG.test) for the data interval that ends at run_after
      -> {"state": "success" | "failed", "tasks": {task_id: state}, "interval": [start, end]}
  {"op": "import", "folder": "..."}
      -> {"import_errors": {file: message}, "dags": {dag_id: {task_id: [upstream task ids]}}}
  {"op": "put_object", "endpoint": "http://127.0.0.1:...", "bucket": "b", "key": "k", "text": "..."}
  {"op": "put_object", ..., "parquet": {"columns": [{"name": "id", "type": "int32"}], "rows": [{"id": 1}]}}
      writes a file into the tests' S3 server (the bucket is made when missing) -> {"size": bytes}
"""

from __future__ import annotations

import json
import os
import sys
import traceback

protocol = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

import airflow  # noqa: E402
import pendulum  # noqa: E402

AIRFLOW_3 = airflow.__version__.startswith("3.")
if AIRFLOW_3:
    from airflow.dag_processing.dagbag import DagBag
else:
    from airflow.models.dagbag import DagBag

    # Replacing a run (a second run of the same interval) deletes its notes, which refer to the users' table
    # of the FAB auth manager: its models must be known to SQLAlchemy.
    import airflow.providers.fab.auth_manager.models  # noqa: F401


def dag_bag(folder: str) -> DagBag:
    # The examples stay out through AIRFLOW__CORE__LOAD_EXAMPLES=False (Airflow 3 has no argument for it).
    return DagBag(dag_folder=folder, safe_mode=False)


def run(request: dict) -> dict:
    bag = dag_bag(request["dag_file"])
    if bag.import_errors:
        return {"state": "import_error", "import_errors": {k: str(v) for k, v in bag.import_errors.items()}}
    dag = bag.get_dag(request["dag_id"])
    run_after = pendulum.parse(request["run_after"])
    if AIRFLOW_3:
        dag_run = dag.test(logical_date=run_after, run_after=run_after)
    else:
        dag_run = dag.test(execution_date=run_after)
    tasks = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    return {
        "state": str(dag_run.state),
        "tasks": tasks,
        "interval": [dag_run.data_interval_start.isoformat(), dag_run.data_interval_end.isoformat()],
    }


def import_folder(request: dict) -> dict:
    bag = dag_bag(request["folder"])
    dags = {
        dag_id: {task.task_id: sorted(task.upstream_task_ids) for task in dag.tasks}
        for dag_id, dag in bag.dags.items()
    }
    return {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": dags}


def parquet_bytes(spec: dict) -> bytes:
    import datetime
    import decimal
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"int32": pa.int32(), "string": pa.string(), "decimal": pa.decimal128(10, 2), "timestamp": pa.timestamp("us")}
    readers = {
        "decimal": decimal.Decimal,
        "timestamp": datetime.datetime.fromisoformat,
    }
    schema = pa.schema([(c["name"], types[c["type"]]) for c in spec["columns"]])
    columns = {
        c["name"]: [None if row.get(c["name"]) is None else readers.get(c["type"], lambda v: v)(row[c["name"]]) for row in spec["rows"]]
        for c in spec["columns"]
    }
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns, schema=schema), buffer)
    return buffer.getvalue()


def put_object(request: dict) -> dict:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=request["endpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    bucket = request["bucket"]
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    body = parquet_bytes(request["parquet"]) if "parquet" in request else request["text"].encode("utf-8")
    s3.put_object(Bucket=bucket, Key=request["key"], Body=body)
    return {"size": len(body)}


OPERATIONS = {"run": run, "import": import_folder, "put_object": put_object}

protocol.write(json.dumps({"ready": True, "airflow": airflow.__version__}) + "\n")
for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    try:
        answer = OPERATIONS[request["op"]](request)
    except Exception as error:  # reported to the test, which fails with it
        answer = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
    answer["id"] = request.get("id")
    protocol.write(json.dumps(answer) + "\n")
