#!/usr/bin/env bash
# Quick start, command 1: set everything up, index seeds/, and open the chat in the browser.
# PORT picks the port (default 8501); extra arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m rag ingest
port="${PORT:-8501}"
echo "Reports chat: open http://127.0.0.1:${port} in your browser (Ctrl+C stops it)." >&2
exec .venv/bin/python -m streamlit run app.py --server.address 127.0.0.1 --server.port "$port" \
  --server.headless true --browser.gatherUsageStats false "$@"
