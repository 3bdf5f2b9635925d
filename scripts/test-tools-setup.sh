#!/usr/bin/env bash
# The Debian packages the test suite uses beside Node and Airflow: tinyproxy (the forward proxy of the
# company-network tier) and openssl (its test certificate authority). Installed when missing and run as root;
# otherwise the command to run is printed and the tests that need them say they are skipped.
set -euo pipefail

say() { echo "test:setup: $*"; }
missing=()
command -v tinyproxy >/dev/null 2>&1 || missing+=(tinyproxy-bin)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
  say "tinyproxy and openssl are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "needs the Debian packages ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
say "installing ${missing[*]} from Debian's packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
