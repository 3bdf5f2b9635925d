#!/usr/bin/env bash
# `npm run airflow:setup`: one virtual environment per supported Airflow line (.airflow/venv-3, .airflow/venv-2),
# installed exactly as airflow/requirements-<line>.lock says, each with a migrated metadata database
# (.airflow/venv-<line>/airflow-home/airflow.db) that tests copy instead of migrating again.
#
#   npm run airflow:setup               install what the locks say (fast when already done)
#   npm run airflow:setup -- --relock   resolve airflow/requirements-<line>.in afresh and rewrite the locks
#
# pip's cache stays where pip keeps it (outside the repository), so a second machine setup is mostly copying.
set -euo pipefail
cd "$(dirname "$0")/.."

lines=(3 2)
root=".airflow"
# The locks are resolved with the oldest Python the machines have (Debian's 3.11), so that they install on it
# and on any newer 3.11 alike.
python="${AIRFLOW_SETUP_PYTHON:-python3}"
relock=false
for arg in "$@"; do
  case "$arg" in
    --relock) relock=true ;;
    *) echo "airflow:setup: unknown option $arg (only --relock)" >&2; exit 2 ;;
  esac
done

say() { echo "airflow:setup: $*"; }
# pip warns once per package about the machine's local index folders when they are absent: not news.
pip_in() { local venv=$1; shift; "$venv/bin/pip" "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2); }

if ! "$python" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
  say "$python is missing or not Python 3.10 to 3.12, which both Airflow lines support; set AIRFLOW_SETUP_PYTHON" >&2
  exit 1
fi

# mysqlclient (the mysql provider's driver) compiles against MariaDB's client headers; Debian's python3
# makes virtual environments only with python3-venv.
missing=()
for package in pkg-config libmariadb-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
"$python" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "needs the Debian packages ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  say "installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp_of() { # what an environment was built from: the lock's digest and the interpreter's version
  { sha256sum "airflow/requirements-$1.lock" | cut -d' ' -f1; "$python" -V; } | tr '\n' ' '
}

setup_line() {
  local line=$1 venv="$root/venv-$1" lock="airflow/requirements-$1.lock"
  if $relock; then
    say "Airflow $line: resolving airflow/requirements-$line.in"
    rm -rf "$venv.relock"
    "$python" -m venv "$venv.relock"
    pip_in "$venv.relock" install -q --upgrade pip
    pip_in "$venv.relock" install -q -r "airflow/requirements-$line.in"
    {
      echo "# Resolved from airflow/requirements-$line.in by \`npm run airflow:setup -- --relock\` ($("$python" -V))."
      "$venv.relock/bin/pip" freeze --exclude-editable | grep -v '^pip=='
    } >"$lock.tmp"
    mv "$lock.tmp" "$lock"
    rm -rf "$venv.relock"
  fi
  if [ ! -f "$lock" ]; then say "$lock is missing; run with --relock" >&2; return 1; fi
  if [ -f "$venv/.dagwright-stamp" ] && [ "$(cat "$venv/.dagwright-stamp")" = "$(stamp_of "$line")" ] && [ -f "$venv/airflow-home/airflow.db" ]; then
    say "Airflow $line: up to date ($venv)"
    return 0
  fi
  say "Airflow $line: installing $lock into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  pip_in "$venv" install -q --upgrade pip
  pip_in "$venv" install -q --no-deps -r "$lock"
  "$venv/bin/pip" check >/dev/null
  say "Airflow $line: migrating its metadata database"
  mkdir -p "$venv/airflow-home"
  AIRFLOW_HOME="$PWD/$venv/airflow-home" AIRFLOW__CORE__LOAD_EXAMPLES=False \
    "$venv/bin/airflow" db migrate >"$venv/airflow-home/migrate.log" 2>&1 || {
      say "Airflow $line: db migrate failed:" >&2; tail -20 "$venv/airflow-home/migrate.log" >&2; return 1; }
  stamp_of "$line" >"$venv/.dagwright-stamp"
  say "Airflow $line: ready, $("$venv/bin/airflow" version 2>/dev/null | tail -1)"
}

mkdir -p "$root"
pids=()
for line in "${lines[@]}"; do
  setup_line "$line" >"$root/setup-$line.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!lines[@]}"; do
  if ! wait "${pids[$i]}"; then failed=1; fi
  cat "$root/setup-${lines[$i]}.log"
done
exit $failed
