#!/usr/bin/env bash
# Install the headless browser that tests/test_browser.py drives: Debian's chromium package.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (no sudo is used);
# playwright cannot download its own browsers here, so it is pointed at /usr/bin/chromium.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install_browser.sh: /usr/bin/chromium is missing and this is not root;" \
       "install it with: apt-get install -y chromium (the browser test will be skipped)." >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser.sh: no apt-get here; install Chromium at /usr/bin/chromium by hand" \
       "(the browser test will be skipped)." >&2
  exit 0
fi
echo "Installing chromium for the browser test (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && \
   apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
  /usr/bin/chromium --version >&2
else
  echo "install_browser.sh: apt-get could not install chromium (offline?);" \
       "the browser test will be skipped." >&2
fi
