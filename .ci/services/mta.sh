#!/usr/bin/env bash
# Real MTAs from Debian for test/integration/validation/real-mtas.test.ts. Idempotent; starts no
# daemon (each test starts private instances on loopback addresses and a free port).
#   - postfix (with postscreen) and postgrey: installed as packages, "No configuration", and the
#     system services are never started (policy-rc.d refuses while we install).
#   - exim4 and opensmtpd conflict with postfix as packages: `apt-get download` + `dpkg-deb -x`
#     unpack their binaries beside it in $MTA_ROOT (default /opt/mailsift-mta), with the system
#     users their binaries expect (Debian-exim; opensmtpd, opensmtpq) and OpenSMTPD's chroot.
set -euo pipefail

MTA_ROOT="${MTA_ROOT:-/opt/mailsift-mta}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt() { if command -v flock >/dev/null && [ -w /work ]; then $SUDO flock /work/apt.lock apt-get "$@"; else $SUDO apt-get "$@"; fi; }

need=()
command -v postconf >/dev/null || need+=(postfix)
command -v postgrey >/dev/null || need+=(postgrey)
for lib in libgnutls-dane0 libidn12 libnsl2 libevent-2.1-7 libdb5.3 libpcre2-8-0 libpam0g libssl3; do
  dpkg -s "$lib" >/dev/null 2>&1 || need+=("$lib")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  # Never let the package start the system postfix / postgrey: a private policy while we install.
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    added_policy=1
  fi
  apt install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt update >/dev/null && apt install -y --no-install-recommends "${need[@]}"; }
  [ -n "$added_policy" ] && $SUDO rm -f "$policy"
fi

unpack() { # unpack <package> <binary inside>
  local pkg="$1" bin="$2" dir="$MTA_ROOT/$1"
  [ -x "$dir/$bin" ] && return 0
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && chmod 777 . && apt download "$pkg" >/dev/null)
  $SUDO mkdir -p "$dir"
  $SUDO dpkg-deb -x "$tmp"/"${pkg}"_*.deb "$dir"
  rm -rf "$tmp"
  [ -x "$dir/$bin" ]
}
unpack exim4-daemon-light usr/sbin/exim4
unpack opensmtpd usr/sbin/smtpd

# The users the binaries look up by name (as the packages' postinst scripts create them).
getent passwd Debian-exim >/dev/null ||
  $SUDO useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim
for u in opensmtpd opensmtpq; do
  getent passwd "$u" >/dev/null ||
    $SUDO useradd --system --user-group --no-create-home --home-dir /var/lib/opensmtpd/empty --shell /usr/sbin/nologin "$u"
done
$SUDO mkdir -p /var/lib/opensmtpd/empty /var/spool/smtpd # chroot; mount point of private spools

postconf -d -h mail_version >/dev/null
# Both binaries must load (libraries present); exim4 -bV exits 1 without a system config file.
grep -q 'Exim version' <<<"$("$MTA_ROOT/exim4-daemon-light/usr/sbin/exim4" -bV 2>&1 || true)"
grep -q 'usage: smtpd' <<<"$("$MTA_ROOT/opensmtpd/usr/sbin/smtpd" -h 2>&1 || true)"
echo "MTAs ready: postfix $(postconf -d -h mail_version), postgrey, exim 4 and OpenSMTPD in $MTA_ROOT"
