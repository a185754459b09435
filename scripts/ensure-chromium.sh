#!/usr/bin/env bash
# Makes sure headless Chromium is installed: test/sandbox/report.sandbox.ts renders the sandbox's HTML
# report in it. Idempotent and quiet when Chromium is already there.
#
#   bash scripts/ensure-chromium.sh                # `pretest`: installs it, or fails saying how to
#   bash scripts/ensure-chromium.sh --if-possible  # `prepare` (npm ci): installs it where it can, else only says so
#
# `npm ci` installs it, so that `npm test` on a new machine tests rather than downloads a browser;
# `pretest` checks again for a checkout installed with --ignore-scripts.
set -euo pipefail
if_possible=false
[ "${1:-}" = --if-possible ] && if_possible=true
# npm runs `prepare` before `npm pack` and `npm publish` too, where no test runs.
if $if_possible; then
  case "${npm_command:-}" in pack | publish) exit 0 ;; esac
fi

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi

install() {
  echo "ensure-chromium: installing the Debian package 'chromium' (the report test renders the sandbox report in headless Chromium)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium
}

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  if $if_possible; then
    install || echo "ensure-chromium: the install failed; npm test will try again" >&2
  else
    install
  fi
  exit 0
fi

if $if_possible; then
  echo "ensure-chromium: Chromium is not installed and needs root and apt-get to install; npm test will say what to install" >&2
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
