#!/usr/bin/env bash
# Regenerates the "Every key" table of README.md from `epusdt config keys`.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(go run ./cmd/epusdt config keys)
python3 - "$table" <<'PY'
import sys, re
table = sys.argv[1]
s = open('README.md').read()
start = s.index('### Every key\n') + len('### Every key\n')
end = s.index('\n## ', start)
s = s[:start] + '\n' + table + '\n' + s[end:]
open('README.md', 'w').write(s)
PY
