#!/usr/bin/env bash
# What `npm test` runs before jest: the build (tsc over the whole project, which is also the type
# check, then the Lambda bundles) and the lint, side by side. Each is mostly one process on one
# core; one after the other, the second core idled. Both outputs are shown; either failing fails.
set -uo pipefail
cd "$(dirname "$0")/.."

lint_log=$(mktemp)
trap 'rm -f "$lint_log"' EXIT
npx eslint . >"$lint_log" 2>&1 &
lint=$!

npm run build
build_status=$?

wait "$lint"
lint_status=$?
cat "$lint_log"

if [ "$build_status" -ne 0 ]; then echo "build failed (exit $build_status)" >&2; fi
if [ "$lint_status" -ne 0 ]; then echo "lint failed (exit $lint_status)" >&2; fi
[ "$build_status" -eq 0 ] && [ "$lint_status" -eq 0 ]
