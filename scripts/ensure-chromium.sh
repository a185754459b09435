#!/usr/bin/env bash
# Makes sure headless Chromium is installed: test/sandbox/report.sandbox.ts renders the sandbox's HTML
# report in it. Idempotent and quiet when Chromium is already there, so it can run as `pretest`.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing the Debian package 'chromium' (the report test renders the sandbox report in headless Chromium)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium
  exit 0
fi

cat >&2 <<'MSG'
ensure-chromium: Chromium is not installed, and it cannot be installed from here (needs root and apt-get).
The report test (test/sandbox/report.sandbox.ts) renders the sandbox report in headless Chromium.
Install it, then run the tests again:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium
  other systems:  install Chromium so that `chromium` is on PATH (or at /usr/bin/chromium)
MSG
exit 1
