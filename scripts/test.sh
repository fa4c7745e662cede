#!/usr/bin/env bash
# Runs every check and test of the repository: formatting, go vet, and the
# whole test suite with the race detector. Real-database tests run when
# EPUSDT_TEST_MYSQL_DSN / EPUSDT_TEST_POSTGRES_DSN / EPUSDT_TEST_REDIS_ADDR
# are set (see README); without them they skip with a loud NOTICE.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi
go vet ./...
go test -race -count=1 -timeout 20m ./...
