#!/usr/bin/env bash
# `npm run spark:setup`: the real-Spark tier's environment — PySpark as the spark-docker pack's image runs it
# (apache/spark:3.5.1) in .spark/venv, and the JDBC drivers for PostgreSQL and MariaDB from Debian's packages
# (/usr/share/java), which the image would carry on its class path. Java 17 is the machine's.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "spark:setup: $*"; }
version="3.5.1"
venv=".spark/venv"
python="${SPARK_SETUP_PYTHON:-python3}"

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
[ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
[ -f /usr/share/java/mariadb-java-client.jar ] || missing+=(libmariadb-java)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "needs the Debian packages ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  say "installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import pyspark, sys; sys.exit(0 if pyspark.__version__ == '$version' else 1)" 2>/dev/null; then
  say "PySpark $version is ready in $venv"
  exit 0
fi
say "installing PySpark $version into $venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install -q "pyspark==$version" 2> >(grep -v "^WARNING: Location 'file:" >&2)
say "PySpark $version is ready in $venv"
