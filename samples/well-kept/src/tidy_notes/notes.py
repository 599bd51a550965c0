"""Append and list notes; the file is opened by name, never run."""

from __future__ import annotations

from pathlib import Path


def add(path: Path, text: str) -> None:
    """Append one note, on one line."""
    line = " ".join(text.split())
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def read_all(path: Path) -> list[str]:
    """Every note, oldest first."""
    if not path.exists():
        return []
    return path.read_text(encoding="utf-8").splitlines()
