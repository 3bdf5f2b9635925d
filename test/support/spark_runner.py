"""The real-Spark tier's driver: started once per test file with spark-submit, it runs the spark-docker pack's
jobs (load.py, quality.py) and DDL in one Spark session, each job as spark-submit would run it: its own
argv, its environment variables, `__main__`.

Reads one JSON command per line from the FIFO named by SPARK_RUNNER_COMMANDS (spark-submit does not hand its
standard input to the Python driver); answers one JSON line on stdout after ANSWER (jobs print too):
  {"op": "sql", "statements": ["..."]}                       -> {"ok": true}
  {"op": "run", "script": path, "args": [...], "env": {...}}  -> {"exit": code, "error": text or null}
  {"op": "rows", "sql": "SELECT ..."}                         -> {"rows": [{...}, ...]}
"""

import json
import os
import runpy
import sys
import traceback

from pyspark.sql import SparkSession

ANSWER = "@@spark-runner@@ "

spark = SparkSession.builder.appName("dagwright-spark-tier").enableHiveSupport().getOrCreate()
# The jobs stop their session when they end; here one session serves them all.
SparkSession.stop = lambda self: None


def answer(value):
    sys.stdout.write(ANSWER + json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


def run_job(command):
    saved_env, saved_argv = dict(os.environ), list(sys.argv)
    os.environ.update(command.get("env", {}))
    sys.argv = [command["script"], *command.get("args", [])]
    try:
        runpy.run_path(command["script"], run_name="__main__")
        return {"exit": 0, "error": None}
    except SystemExit as stop:
        code = stop.code
        if code is None or code == 0:
            return {"exit": 0, "error": None}
        return {"exit": code if isinstance(code, int) else 1, "error": None if isinstance(code, int) else str(code)}
    except Exception as error:
        # What the job raised, then where (the JVM's frames of a Spark error are long and say little).
        where = "".join(traceback.format_tb(error.__traceback__)[-2:])
        return {"exit": 1, "error": "%s: %s\n%s" % (type(error).__name__, str(error)[:20000], where)}
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
        # A job that set a runtime option for itself (static partition overwrite) leaves the next one the
        # session's default, as a fresh spark-submit would.
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")


answer({"ready": True, "version": spark.version})
commands = open(os.environ["SPARK_RUNNER_COMMANDS"], encoding="utf-8")
for line in commands:
    if not line.strip():
        continue
    command = json.loads(line)
    try:
        if command["op"] == "sql":
            for statement in command["statements"]:
                spark.sql(statement)
            answer({"ok": True})
        elif command["op"] == "run":
            answer(run_job(command))
        elif command["op"] == "rows":
            answer({"rows": [row.asDict() for row in spark.sql(command["sql"]).collect()]})
        else:
            answer({"error": "unknown op %s" % command["op"]})
    except Exception:
        answer({"error": traceback.format_exc()[-2000:]})
