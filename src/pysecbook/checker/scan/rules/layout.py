"""What the target reader refuses or reports about the target's layout: hostile archive
members, links out of the tree, files an installer would put where they do not belong.

The readers in :mod:`pysecbook.checker.scan.targets` raise these while they read (before any
file is scanned); they are defined here so that every rule id of the checker lives in the one
registry. Book page: ``book/checklist/index`` (section "Reading the verdict").
"""

from __future__ import annotations

from pysecbook.checker.scan.rules.registry import register

RULES = register(
    "layout",
    ("PSB-ARCHIVE-TRAVERSAL", "high", 22, "an archive member whose path leaves the destination", "Persistence"),
    ("PSB-ARCHIVE-LINK", "high", 59, "an archive member that is a link out of the destination", "Persistence"),
    ("PSB-ARCHIVE-DEVICE", "high", 67, "an archive member that is a device file or a FIFO", "Defense Evasion"),
    ("PSB-ARCHIVE-BOMB", "high", 409, "an archive that expands far beyond its size", "Defense Evasion"),
    ("PSB-ARCHIVE-DUPLICATE", "medium", 706, "two archive members with the same name", "Defense Evasion"),
    ("PSB-DIR-SPECIAL-FILE", "medium", 67, "a device, FIFO or socket in the project tree", "Defense Evasion"),
    ("PSB-DIR-SYMLINK-LOOP", "medium", 61, "a symlink loop in the project tree", "Defense Evasion"),
    ("PSB-DIR-SYMLINK-OUTSIDE", "high", 61, "a symlink that points outside the project tree", "Defense Evasion"),
    ("PSB-DIR-SYMLINK-HIDDEN", "high", 61, "a symlink to files the scan would skip where they are", "Defense Evasion", "medium"),
    ("PSB-INSTALL-RECORD-OUTSIDE", "medium", 22, "an installed RECORD entry outside the installation", "Persistence"),
)
