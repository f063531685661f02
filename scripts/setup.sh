#!/usr/bin/env bash
# Sets up Beffroi in ./.venv (Python 3.11+). Idempotent: re-running only installs what changed.
#   scripts/setup.sh          runtime dependencies
#   scripts/setup.sh --dev    plus the test and lint tools
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
