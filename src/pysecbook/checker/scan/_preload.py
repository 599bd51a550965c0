"""Imported once by the scan's forkserver, before it forks any worker.

Importing the scanning code and building Bandit's managers here means every worker starts
warm: a fork of this process already holds them. Nothing of the target is known yet.
"""

from pysecbook.checker.scan import filescan, sast

sast.scan_bytes(b"", "<warm-up>")
sast.scan_bytes(b"x = 1  # nosec\n", "<warm-up>", ignore_nosec=False)
sast.scan_bytes(b"x = 1  # nosec\n", "<warm-up>", ignore_nosec=True)

__all__ = ["filescan"]
