#!/usr/bin/env bash
# Quick start, command 1: set everything up, index seeds/, and open the chat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m rag ingest
exec .venv/bin/python -m rag chat "$@"
