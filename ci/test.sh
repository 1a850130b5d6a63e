#!/usr/bin/env bash
# The test command CI runs (the README's `make test`): builds the venv from
# pinned requirements and runs the whole suite. Needs no ESP-IDF.
set -euo pipefail
cd "$(dirname "$0")/.."
exec make test
