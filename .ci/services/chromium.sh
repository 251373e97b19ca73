#!/usr/bin/env bash
# The browser tests (test/browser/) drive Debian's Chromium with playwright-core; never a download.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  chromium --version
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
lock() { if command -v flock >/dev/null 2>&1 && [ -w /work ]; then flock /work/apt.lock "$@"; else "$@"; fi; }
lock apt-get install -y --no-install-recommends chromium || {
  lock apt-get update
  lock apt-get install -y --no-install-recommends chromium
}
chromium --version
