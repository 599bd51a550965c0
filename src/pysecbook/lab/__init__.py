"""The lab: the tools the book's pages, the tests and the bench build and run around the code
they study, each written once.

- :mod:`~pysecbook.lab.child`: the one child-process runner. A snippet, a module or a library
  function runs in a fresh interpreter, in a private temporary directory, with a timeout,
  resource limits and a minimal environment; ``call_in_child`` and ``timed_call`` call one
  function there and read back what it returned or raised (and, timed, how long it ran).
- :mod:`~pysecbook.lab.pip_audit`: the one pip-audit runner, on top of the child runner.
- :mod:`~pysecbook.lab.builders`: the one builder of sdists and wheels, well-formed and
  hostile, reproducible byte for byte.
- :mod:`~pysecbook.lab.loopback`: the one HTTP server on 127.0.0.1, started in a thread and
  stopped when its block ends.
- :mod:`~pysecbook.lab.offline`: stand-ins for the services a page or a test never reaches
  (an auditor that says it did not audit).

Who may import what (``tests/test_architecture.py`` holds it): the teaching code, the risk
catalogue, the tests and the bench may import any of it. The checker may import only the
pieces it runs itself at run time, :data:`RUNTIME` (it audits with pip-audit in a child
process); those import nothing else of pysecbook but each other, so the checker never loads a
builder, a server or the teaching code through them. Nothing here imports the teaching code.
"""

from __future__ import annotations

#: The modules of the lab the checker runs at run time, and so may import.
RUNTIME = frozenset({"pysecbook.lab.child", "pysecbook.lab.pip_audit"})
