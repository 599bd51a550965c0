"""tidy-notes: keep short notes in a plain text file."""

__version__ = "1.2.0"
