"""The tidy-notes command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from tidy_notes import notes


def main() -> int:
    parser = argparse.ArgumentParser(prog="tidy-notes")
    parser.add_argument("--file", type=Path, default=Path("notes.txt"))
    parser.add_argument("text", nargs="*")
    args = parser.parse_args()
    if args.text:
        notes.add(args.file, " ".join(args.text))
    for line in notes.read_all(args.file):
        Console().print(line)
    return 0
