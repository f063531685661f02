#!/usr/bin/env bash
# Sets everything up and runs the demo: SQLite, in-process bus, built-in simulator, on http://127.0.0.1:8000.
# Extra arguments go to `beffroi demo` (e.g. --port 8080 --speed 10 --data-dir /tmp/beffroi).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/beffroi demo "$@"
