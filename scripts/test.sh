#!/usr/bin/env bash
# Quick start, command 2: set everything up and run the whole test suite.
# Setup needs the package registries; the tests themselves then run inside a network
# namespace with no network at all (only loopback), to prove nothing reaches outside.
# RAG_TEST_NETWORK=1 runs them with the machine's network instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_browser.sh  # Chromium for tests/test_browser.py (apt-get, as root)
if [ "${RAG_TEST_NETWORK:-0}" != "1" ] && unshare -n true 2>/dev/null; then
  echo "Running the tests with no network (unshare -n; loopback only)." >&2
  exec unshare -n sh -c 'ip link set lo up && exec .venv/bin/python -m pytest "$@"' pytest "$@"
fi
echo "unshare -n is not available here: running the tests with the machine's network." >&2
exec .venv/bin/python -m pytest "$@"
