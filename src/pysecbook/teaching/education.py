"""Tools for code review: what Bandit finds in a small module, and how its rules plug in.

The education page runs the book's Bandit wrapper on a sample module written the way
untrained developers often write Python, and lists the rules Bandit loads from its plugin
entry points (a team adds its own rules the same way).
Book page: ``book/practices/education``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from pysecbook.teaching.sast import ScanResult, scan_source

#: A module a reviewer might be handed. It is only ever scanned, never imported or run.
SAMPLE_MODULE = '''\
"""Report service: exports a user's orders."""
import hashlib
import pickle
import subprocess

import yaml

API_TOKEN = "s3cr3t-token"


def load_settings(path):
    with open(path) as f:
        return yaml.load(f, Loader=yaml.Loader)


def load_cache(blob):
    return pickle.loads(blob)


def fingerprint(password):
    return hashlib.md5(password.encode()).hexdigest()


def export(user, fmt):
    query = "SELECT * FROM orders WHERE owner = '%s'" % user
    subprocess.run(f"report --format {fmt}", shell=True)
    return query
'''


def scan_sample(source: str = SAMPLE_MODULE) -> ScanResult:
    """Bandit's findings on ``source`` (by default, :data:`SAMPLE_MODULE`)."""
    return scan_source(source, name="report_service.py")


def numbered(source: str = SAMPLE_MODULE) -> str:
    """``source`` with line numbers, so findings can be matched to lines."""
    return "\n".join(f"{n:3} {line}" for n, line in enumerate(source.splitlines(), 1))


@dataclass(frozen=True)
class PluginRule:
    """One Bandit test as its package registers it: entry point name and target."""

    name: str
    target: str
    distribution: str


def bandit_plugin_rules() -> list[PluginRule]:
    """Every entry point in the ``bandit.plugins`` group, sorted by name.

    Bandit discovers its own tests this way, so a rule from another installed package
    appears in the same list.
    """
    rules = []
    for ep in metadata.entry_points(group="bandit.plugins"):
        dist = ep.dist.name if ep.dist is not None else "?"
        rules.append(PluginRule(ep.name, ep.value, dist))
    return sorted(rules, key=lambda r: r.name)
