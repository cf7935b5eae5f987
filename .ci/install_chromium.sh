#!/usr/bin/env bash
# Install Debian's `chromium` for the browser test of the quality report
# (tests_py/test_report_browser.py calls this when no chromium is on PATH;
# CI may call it up front). Idempotent and quiet: does nothing when chromium
# is already installed, prints apt's output only when the install fails.
# Needs root (or password-less sudo) and the Debian archive.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "install_chromium: chromium is missing and this user cannot install it" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Refresh the package lists once, only when apt does not know chromium yet.
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    "${SUDO[@]}" apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
        chromium fonts-dejavu-core >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
command -v chromium >/dev/null
