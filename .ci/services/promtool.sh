#!/usr/bin/env bash
# promtool (Debian's prometheus package) checks docs/prometheus/mailsift-alerts.yml and runs its
# unit tests (test/unit/ops/alert-rules.test.ts). Only the binary is used: no daemon is started
# (policy-rc.d refuses while we install). Without it the test checks the rules' YAML shape only.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  promtool --version | head -n1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt() { if command -v flock >/dev/null && [ -w /work ]; then $SUDO flock /work/apt.lock apt-get "$@"; else $SUDO apt-get "$@"; fi; }
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  added_policy=1
fi
apt install -y --no-install-recommends prometheus || {
  apt update
  apt install -y --no-install-recommends prometheus
}
[ -n "$added_policy" ] && $SUDO rm -f "$policy"
promtool --version | head -n1
