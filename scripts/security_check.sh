#!/usr/bin/env bash
# Security review of an EPUSDT installation: run it in the gateway's working
# directory. It runs `epusdt check` (see docs/security.md), which exits 1
# when it finds an error; extra arguments (e.g. --strict) are passed on.
# EPUSDT_BIN picks the binary (default ./epusdt, then epusdt on PATH).
set -euo pipefail
bin=${EPUSDT_BIN:-}
if [[ -z $bin ]]; then
  if [[ -x ./epusdt ]]; then bin=./epusdt; else bin=$(command -v epusdt || true); fi
fi
[[ -n $bin ]] || { echo "error: epusdt binary not found (set EPUSDT_BIN)" >&2; exit 2; }
exec "$bin" check "$@"
