"""``make bench``: the book's build times, the checker's speed and memory, the site's weight.

Writes ``bench/report.json`` and ``bench/report.md``. Everything is measured on the machine
that runs it; nothing is asserted. The parts live in ``bench/pysecbench/``, one module each,
registered by name (see its ``__init__``); ``--only book,site`` runs some of them. The only
network use is fetching pinned, SHA-256-verified files from the index (the Django sdist, the
top wheels) into ``bench/cache/`` (gitignored). The book is built from a plain file copy of
the working tree in a temporary directory, and the site is served on 127.0.0.1 only.

Usage: ``python bench/bench.py [--only PART,...] [--make-test] [--runs 3] [--render-only]``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pysecbench.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
