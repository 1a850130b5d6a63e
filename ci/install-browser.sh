#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing.
# Best effort: without root or apt the browser tests skip with a message.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: chromium not installed and no root/apt: browser tests will be skipped"
    exit 0
fi
echo "installing chromium (Debian package) for the browser tests..."
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "note: apt-get install chromium failed: browser tests will be skipped"
