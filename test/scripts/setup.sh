#!/usr/bin/env bash
# Idempotent set-up for the test suite (used by `npm run test:all`, `npm run demo` and .ci/run).
#
#   bash test/scripts/setup.sh             npm packages + Debian packages the tests need
#   bash test/scripts/setup.sh --npm-only  npm packages only
#   bash test/scripts/setup.sh --no-npm    Debian packages and setup hooks only
#
# Debian packages are installed with apt-get as root (or through sudo when not root and sudo
# works without a password); otherwise the script says what to install and exits non-zero.
# Then (unless --npm-only) every other test/scripts/setup-*.sh runs in name order: suites with
# heavier needs (e.g. setup-e2e.sh: Chromium, code-server) plug in there.
# `apt-get update` only runs when something must be installed. Never asks questions, never
# starts or enables a system service: the Tomcat tests run their own private Tomcat.
set -euo pipefail

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

do_npm=1
do_apt=1
for arg in "$@"; do
  case "$arg" in
    --npm-only) do_apt=0 ;;
    --no-npm) do_npm=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (expected --npm-only, --no-npm or --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive
export NEEDRESTART_MODE=a

say() { echo "setup: $*"; }

# --- npm --------------------------------------------------------------------------------
if [ "$do_npm" -eq 1 ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm not found: install Node.js 20.18 or newer first" >&2
    exit 1
  fi
  say "npm install (workspace root: $root)"
  (cd "$root" && npm install --no-audit --no-fund --loglevel=error </dev/null)
fi

[ "$do_apt" -eq 1 ] || { say "done (npm only)"; exit 0; }

# --- Debian packages --------------------------------------------------------------------
install_debian_packages() {
  # package -> why. Add packages here (one line each) when a test needs a new system tool.
  apt_packages=(
    tomcat10 # real servlet container for test/tomcat (brings a Java runtime through tomcat10-common)
    openssl  # independent S/MIME parser for the AS2 adapter's wire tests (openssl cms)
  )

  missing=()
  for pkg in "${apt_packages[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "installed" ] || missing+=("$pkg")
  done
  # Tomcat needs a Java runtime; the package depends on one, but check the result anyway.
  java_missing=0
  if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
    java_missing=1
  fi
  if [ "$java_missing" -eq 1 ] && [ "${#missing[@]}" -eq 0 ]; then
    missing+=(default-jre-headless)
  fi

  if [ "${#missing[@]}" -eq 0 ]; then
    say "Debian packages present: ${apt_packages[*]}"
    return 0
  fi

  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing packages: ${missing[*]}; this is not a Debian-like system (no apt-get)." >&2
    echo "setup: install them by hand (e.g. Apache Tomcat 10 with CATALINA_HOME=/usr/share/tomcat10) and re-run." >&2
    exit 1
  fi

  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo_cmd=(sudo -n env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a)
    else
      echo "setup: missing Debian packages: ${missing[*]}" >&2
      echo "setup: not root and no password-less sudo; run as root:" >&2
      echo "         apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
      echo "setup: (or use --npm-only to skip system packages; the Tomcat tests then skip locally and fail in CI)" >&2
      exit 1
    fi
  fi

  # Keep the package's maintainer scripts from starting the service (no systemd in containers
  # and CI; the tests never use the system instance). policy-rc.d is honoured by invoke-rc.d.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    "${sudo_cmd[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    created_policy=1
  fi
  cleanup_policy() {
    if [ "$created_policy" -eq 1 ]; then "${sudo_cmd[@]}" rm -f "$policy" || true; fi
}
trap cleanup_policy EXIT

log="$(mktemp -t sessionflow-setup-apt.XXXXXX)"
say "installing Debian packages: ${missing[*]} (apt-get; log: $log)"
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o Dpkg::Use-Pty=0)
if ! "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" update >"$log" 2>&1; then
  echo "setup: apt-get update failed; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
if ! "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  echo "setup: apt-get install ${missing[*]} failed; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi

# If a maintainer script started the system Tomcat anyway, stop it: it would hold port 8080
# and is not used by the tests. Never enable it.
if [ -x /etc/init.d/tomcat10 ] || command -v service >/dev/null 2>&1; then
  "${sudo_cmd[@]}" service tomcat10 stop >/dev/null 2>&1 || true
fi

for pkg in "${missing[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  if [ "$status" != "installed" ]; then
    echo "setup: $pkg is still not installed after apt-get; see $log" >&2
    exit 1
  fi
done
if [ ! -x /usr/share/tomcat10/bin/catalina.sh ] || ! command -v java >/dev/null 2>&1; then
  echo "setup: tomcat10 installed but /usr/share/tomcat10/bin/catalina.sh or java is missing; see $log" >&2
  exit 1
fi
rm -f "$log"
say "installed: ${missing[*]}"
cleanup_policy
trap - EXIT
}

install_debian_packages

# --- setup hooks of other suites ----------------------------------------------------------
for hook in "$root"/test/scripts/setup-*.sh; do
  [ -e "$hook" ] || continue
  say "running $(basename "$hook")"
  if ! bash "$hook" </dev/null; then
    echo "setup: $(basename "$hook") failed (see its messages above)" >&2
    exit 1
  fi
done
say "done"
