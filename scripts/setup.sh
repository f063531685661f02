#!/usr/bin/env bash
# Sets up Beffroi in ./.venv (Python 3.11+) and builds the web console (Node.js 20+). Idempotent: re-running only
# installs or rebuilds what changed.
#   scripts/setup.sh          runtime dependencies and the console
#   scripts/setup.sh --dev    plus the test and lint tools, and Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "Beffroi needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || { echo "python3 -m venv failed: on Debian/Ubuntu run 'apt-get install python3-venv'" >&2; exit 1; }
fi
extras=""
if [ "${1:-}" = "--dev" ]; then extras="[dev]"; fi
stamp=".venv/.beffroi-installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras}"
  touch "$stamp"
fi

# The web console: console/ (TypeScript, Vite) built into beffroi/api/static/console, served by the API at /.
console_out="beffroi/api/static/console"
console_stamp="$console_out/.built"
if [ ! -f "$console_stamp" ] || [ -n "$(find console -path console/node_modules -prune -o -type f -newer "$console_stamp" -print -quit)" ]; then
  if ! command -v npm >/dev/null 2>&1 || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
    echo "Building the console needs Node.js 20 or newer with npm (found: $(node --version 2>/dev/null || echo none))." >&2
    echo "On Debian/Ubuntu: apt-get install nodejs npm (or https://nodejs.org); then re-run $0." >&2
    exit 1
  fi
  (cd console && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
  touch "$console_stamp"
fi

# The browser tests drive Debian's Chromium (Playwright's own browser download does not work everywhere).
if [ "${1:-}" = "--dev" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; }
  else
    echo "The browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium' (they are skipped without it," >&2
    echo "and fail on CI)." >&2
  fi
fi
