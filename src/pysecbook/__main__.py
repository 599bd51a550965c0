"""``python -m pysecbook``: the same command line as the ``pysecbook`` script."""

from pysecbook.cli import main

raise SystemExit(main())
