#!/usr/bin/env bash
# A real SOCKS5 server for test/integration/validation/socks-proxy.test.ts: Debian's
# dante-server (danted). Idempotent; starts no daemon (each test starts private instances on
# loopback with its own config), and the system service is never started (policy-rc.d refuses
# while we install). Creates the system user whose password the user/password test sends
# (Dante's `socksmethod: username` checks the system password database).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt() { if command -v flock >/dev/null && [ -w /work ]; then $SUDO flock /work/apt.lock apt-get "$@"; else $SUDO apt-get "$@"; fi; }

if ! command -v danted >/dev/null; then
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    added_policy=1
  fi
  apt install -y --no-install-recommends dante-server >/dev/null 2>&1 ||
    { apt update >/dev/null && apt install -y --no-install-recommends dante-server; }
  [ -n "$added_policy" ] && $SUDO rm -f "$policy"
  # The package may have enabled its service: never let it run beside the tests' instances.
  $SUDO systemctl disable --now danted >/dev/null 2>&1 || true
fi
command -v danted >/dev/null

# The proxy user of the password test (test/support/socks-server.ts: DANTE_TEST_USER/PASSWORD).
user="${DANTE_TEST_USER:-mailsift-socks}"
password="${DANTE_TEST_PASSWORD:-socks-test-pass}"
if ! getent passwd "$user" >/dev/null; then
  $SUDO useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
fi
# SHA-512 rather than the slower default yescrypt: danted checks it on every connection.
echo "$user:$password" | $SUDO chpasswd -c SHA512
