#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: lint, types, import layers, and every test
# (the ones needing PostgreSQL, Mosquitto or NATS skip with a message when those are down, unless
# BEFFROI_REQUIRE_SERVICES=1, as on CI, where they fail).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff";          ruff check beffroi tests bench scenarios
echo "== ruff format";   ruff format --check beffroi tests bench scenarios
echo "== mypy --strict"; mypy beffroi
echo "== import layers"; lint-imports
echo "== pytest";        pytest -q -p no:cacheprovider "$@"
