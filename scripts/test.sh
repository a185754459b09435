#!/usr/bin/env bash
# `npm test`: the static check (scripts/check.ts: type check, the emit of what the package ships,
# lint, from one TypeScript program) and jest, side by side. The check is one process on one core
# for most of its run; jest's two workers share the machine with it. The package test, the one
# test that needs the emit, waits for it (test/support/emitted.ts). jest's output streams; the
# check's is printed after it. Either failing fails the run. Arguments go to jest
# (`npm test -- --json --outputFile=times.json`).
#
# The check and jest run with one V8 background thread each (`--v8-pool-size=1`, for jest in
# package.json's `jest` script): three processes share two cores, and V8's default of four threads
# each for concurrent marking and compiling costs CPU that the same work does not need on one.
set -uo pipefail
cd "$(dirname "$0")/.."

check_log=$(mktemp)
emitted=$(mktemp -u)
trap 'rm -f "$check_log" "$emitted"' EXIT
export SERINUS_EMITTED="$emitted"
# jest's global setup synthesizes the sample workflow once for every file (test/support/global-setup.ts).
export SERINUS_PRESYNTHESIZE=1

(
  # `node` is the project's Node 24 (node_modules/.bin comes first on npm's PATH), with tsx as a
  # loader: no npx and no tsx launcher process in between. A larger young generation: the
  # TypeScript program and the lint allocate a lot, and collect less often (about 3 s less CPU).
  # One V8 background thread (above): about 4 s less CPU for the same check.
  node --max-semi-space-size=32 --v8-pool-size=1 --import tsx scripts/check.ts
  status=$?
  # A check that died before its emit still answers the waiting package test.
  [ -e "$emitted" ] || echo '{"ok":false}' >"$emitted"
  exit "$status"
) >"$check_log" 2>&1 &
check=$!

npm run jest --silent -- "$@"
jest_status=$?

wait "$check"
check_status=$?
cat "$check_log"

if [ "$jest_status" -ne 0 ]; then echo "jest failed (exit $jest_status)" >&2; fi
if [ "$check_status" -ne 0 ]; then echo "type check or lint failed (exit $check_status)" >&2; fi
[ "$jest_status" -eq 0 ] && [ "$check_status" -eq 0 ]
