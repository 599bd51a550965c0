#!/bin/sh
# Create a virtual environment and install it from a hashed lock file.
# Called by the Makefile; safe to run again.
#   VENV=.venv REQUIREMENTS=requirements.txt (default): the book's environment, and pysecbook.
#   VENV=.venv-sbom REQUIREMENTS=requirements-sbom.txt PYSECBOOK_INSTALL_SELF=no: a tool's own
#   environment, without pysecbook.
# The switch has a name of the project's own: a variable a CI system or a shell sets for its
# own purposes (PROJECT, say) must never decide whether the package is installed.
set -eu
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
REQUIREMENTS=${REQUIREMENTS:-requirements.txt}
PYSECBOOK_INSTALL_SELF=${PYSECBOOK_INSTALL_SELF:-yes}
case "$PYSECBOOK_INSTALL_SELF" in
    yes|no) ;;
    *) echo "bootstrap: PYSECBOOK_INSTALL_SELF must be yes or no, not '$PYSECBOOK_INSTALL_SELF'." >&2
       exit 2 ;;
esac

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "bootstrap: $PYTHON not found; install Python 3.11 or newer." >&2
    exit 2
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "bootstrap: $("$PYTHON" --version 2>&1) is too old; Python 3.11 or newer is needed." >&2
    exit 2
fi
# Debian ships venv's pip bootstrap separately (python3-venv).
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        apt-get update -qq && apt-get install -y -qq "python$ver-venv" || apt-get install -y -qq python3-venv
    else
        echo "bootstrap: Python's venv module is missing; install it (Debian: apt install python3-venv)." >&2
        exit 2
    fi
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# Every dependency is pinned with its hash; pip refuses anything else.
"$VENV/bin/python" -m pip install --quiet --require-hashes --no-deps -r "$REQUIREMENTS"
# ... and nothing else: what the lock no longer pins is removed from an existing environment.
"$VENV/bin/python" "$(dirname "$0")/prune_venv.py" "$REQUIREMENTS"
if [ "$PYSECBOOK_INSTALL_SELF" = yes ]; then
    # The package itself: editable, so pages and tests see src/ as it is; its dependencies
    # are already installed, hashed, by the line above.
    "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation --editable .
fi
"$VENV/bin/python" -m pip check
if [ "$PYSECBOOK_INSTALL_SELF" = yes ] && ! "$VENV/bin/python" -c "import pysecbook" >/dev/null 2>&1; then
    echo "bootstrap: pysecbook is not importable from $VENV after set-up; remove $VENV and run make again." >&2
    exit 1
fi
