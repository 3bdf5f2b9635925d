#!/usr/bin/env bash
# The Debian packages the test suite uses beside Node and Airflow: tinyproxy (the forward proxy of the
# company-network tier), openssl (its test certificate authority) and bubblewrap (the sandbox that runs
# generated code, which the bot needs too). Installed when missing and run as root;
# otherwise the command to run is printed and the tests that need them say they are skipped.
set -euo pipefail

say() { echo "test:setup: $*"; }
missing=()
command -v tinyproxy >/dev/null 2>&1 || missing+=(tinyproxy-bin)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if [ ${#missing[@]} -eq 0 ]; then
  say "tinyproxy, openssl and bubblewrap are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "needs the Debian packages ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
say "installing ${missing[*]} from Debian's packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
