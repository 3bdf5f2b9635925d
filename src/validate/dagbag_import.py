"""Imports the DAG files under a folder into a DagBag of the Airflow this interpreter belongs to.

Run by validation when the server is given AIRFLOW_PYTHON: a child process of its own, with a throwaway
AIRFLOW_HOME and SQLite file, so that no metadata database or network is needed. Prints one JSON object:
{"airflow": version, "import_errors": {relative path: message}, "dags": {dag_id: relative path}}.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

folder = sys.argv[1]
protocol = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)

with contextlib.redirect_stdout(sys.stderr):
    import airflow

    if airflow.__version__.startswith("3."):
        from airflow.dag_processing.dagbag import DagBag
    else:
        from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=folder, safe_mode=True)

relative = lambda p: os.path.relpath(p, folder)  # noqa: E731
protocol.write(
    json.dumps(
        {
            "airflow": airflow.__version__,
            "import_errors": {relative(k): str(v) for k, v in bag.import_errors.items()},
            "dags": {dag_id: relative(dag.fileloc) for dag_id, dag in bag.dags.items()},
        }
    )
)
