#!/usr/bin/env bash
# Runs every test file (test/**/*.test.ts) with Node's built-in test runner through tsx.
# Extra arguments are passed to `node --test` (e.g. --test-name-pattern=...).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
exec node --import tsx --test --test-reporter=spec "$@" "${files[@]}"
