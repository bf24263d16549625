#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the report's browser test
# (tests/python/test_report_browser.py), unless a Chromium is already there. Prints its path.
# Needs root (CI is root) and Debian's package mirrors; UPTAKE_CHROMIUM names another binary.
set -euo pipefail

find_chromium() {
    for candidate in "${UPTAKE_CHROMIUM:-}" chromium chromium-browser; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! find_chromium >/dev/null; then
    echo "==> installing Debian's chromium (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
find_chromium
