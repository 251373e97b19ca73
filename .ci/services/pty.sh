#!/usr/bin/env bash
# The CLI test draws its progress bars once through a real pseudo-terminal with `script`
# (util-linux). Debian ships it in bsdutils, which is essential, so this installs only if missing.
set -euo pipefail
if ! command -v script >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bsdutils
fi
script --version
