#!/bin/sh
# Install what the browser tests need: Debian's Chromium (never a downloaded browser) and
# axe-core from the npm registry, pinned by package-lock.json. Called by `make test`.
# Without Chromium the browser tests skip on a developer machine and fail in CI (CI=true).
set -eu
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "browser-deps: installing Debian's chromium"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
    else
        echo "browser-deps: $CHROMIUM not found; the browser tests will skip." >&2
        echo "browser-deps: to enable them: sudo apt-get install chromium" >&2
    fi
fi

if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
        else
            echo "browser-deps: npm not found; install Node.js and npm to run the accessibility tests." >&2
            exit 0
        fi
    fi
    # Exactly what package-lock.json names, checked against its integrity hashes; no scripts.
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
