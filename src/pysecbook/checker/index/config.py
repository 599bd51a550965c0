"""Which package index ``pip install`` would use here, read from pip's own settings as files.

pip takes its index from, in increasing priority: its configuration files (global, user,
site, then the file ``PIP_CONFIG_FILE`` names), the ``PIP_*`` environment variables, and
the command line. In a file, the ``[install]`` section overrides ``[global]``. pip is never
run to find out: its configuration is plain INI text, read here with :mod:`configparser`
(running pip would import whatever a ``.pth`` file or a plug-in put in its way).

``pysecbook check NAME`` asks one index only, the default one. Every *extra* source pip would
also take packages from (``extra-index-url``, ``find-links``) is recorded with where it was
set, never merged: gathering candidates from several indexes is how dependency confusion
works. :mod:`pysecbook.checker.checklist.index_evidence` turns them into M1 findings.
Book page: ``book/checklist/before-install``.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import platformdirs
from pypi_simple import PYPI_SIMPLE_ENDPOINT

from pysecbook.checker.declarations import IndexOption

__all__ = ["IndexConfig", "IndexOption", "isolated", "pip_config_files", "pip_index_config"]

CONFIG_NAME = "pip.ini" if sys.platform == "win32" else "pip.conf"
#: Sections pip reads for ``pip install``, later ones overriding earlier ones.
SECTIONS = ("global", "install")


@dataclass(frozen=True)
class IndexConfig:
    """The one index to ask, and every other source pip would also use (never merged)."""

    index_url: str = PYPI_SIMPLE_ENDPOINT
    origin: str = "pip's default (PyPI)"
    extra: tuple[IndexOption, ...] = ()
    no_index: bool = False
    #: Configuration files read, for the report ("where did this setting come from?").
    files_read: tuple[str, ...] = field(default=(), compare=False)

    @property
    def extra_index_urls(self) -> list[str]:
        return [s.value for s in self.extra if s.option == "extra-index-url"]

    @property
    def is_default(self) -> bool:
        return self.index_url.rstrip("/") == PYPI_SIMPLE_ENDPOINT.rstrip("/")


def pip_config_files(environ: Mapping[str, str] | None = None, *,
                     prefix: str | None = None) -> list[str]:
    """pip's configuration files in the order pip loads them (later overrides earlier).

    ``PIP_CONFIG_FILE=os.devnull`` means none at all, as for pip; an existing
    ``PIP_CONFIG_FILE`` replaces the user files and is read last.
    """
    env = os.environ if environ is None else environ
    named = env.get("PIP_CONFIG_FILE")
    if named == os.devnull:
        return []
    if sys.platform.startswith("linux"):
        dirs = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep) + ["/etc"]
        home = env.get("HOME") or os.path.expanduser("~")
        user_dir = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        user = [os.path.join(home, ".pip", CONFIG_NAME), os.path.join(user_dir, "pip", CONFIG_NAME)]
    else:  # macOS and Windows: pip asks platformdirs, and so do we
        dirs = platformdirs.site_config_dir("pip", appauthor=False, multipath=True).split(os.pathsep)
        legacy = os.path.join(os.path.expanduser("~"), "pip" if sys.platform == "win32" else ".pip",
                              CONFIG_NAME)
        user = [legacy, os.path.join(platformdirs.user_config_dir("pip", appauthor=False,
                                                                  roaming=True), CONFIG_NAME)]
    files = [os.path.join(d, CONFIG_NAME) for d in dirs if d]
    if not (named and os.path.exists(named)):
        files += user
    files.append(os.path.join(prefix or sys.prefix, CONFIG_NAME))
    if named:
        files.append(named)
    return files


def _split(value: str) -> list[str]:
    return [v for v in value.split() if v]


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "yes", "true", "on")


def pip_index_config(index_url: str | None = None, *, environ: Mapping[str, str] | None = None,
                     config_files: Sequence[str] | None = None,
                     file_settings: Sequence[IndexOption] = ()) -> IndexConfig:
    """The index pip would use for ``pip install`` here, and every extra source it would add.

    ``index_url`` is ``--index-url`` from the command line (it wins over everything).
    ``environ`` defaults to :data:`os.environ`, ``config_files`` to :func:`pip_config_files`;
    tests pass both, so the machine's own pip settings never leak into a verdict.
    ``file_settings`` are the options of a requirements file; as in pip, they come last: an
    ``--index-url`` there replaces every other, ``--extra-index-url`` and ``--find-links``
    add sources, ``--no-index`` leaves no index at all.
    """
    env = os.environ if environ is None else environ
    files = pip_config_files(env) if config_files is None else list(config_files)
    chosen: tuple[str, str] | None = None
    sources: dict[tuple[str, str], IndexOption] = {}
    no_index = False
    read: list[str] = []
    for path in files:
        parser = configparser.RawConfigParser()
        parser.optionxform = lambda s: s.lower().replace("_", "-").removeprefix("--")  # type: ignore[method-assign]
        try:
            with open(path, encoding="utf-8") as fh:
                parser.read_file(fh)
        except (OSError, UnicodeDecodeError, configparser.Error):
            continue  # pip ignores a missing file; an unreadable one gives no setting either
        read.append(path)
        file_extra: dict[str, IndexOption] = {}
        for section in SECTIONS:
            if not parser.has_section(section):
                continue
            origin = f"{path} [{section}]"
            items = dict(parser.items(section))
            if "index-url" in items:
                chosen = (items["index-url"].strip(), origin)
            for option in ("extra-index-url", "find-links"):
                if option in items:  # a later section replaces an earlier one's list
                    for key in [k for k in file_extra if k.startswith(option + "\0")]:
                        del file_extra[key]
                    for value in _split(items[option]):
                        file_extra[f"{option}\0{value}"] = IndexOption(option, value, origin,
                                                                         machine=True)
            if "no-index" in items:
                no_index = _truthy(items["no-index"])
        for setting in file_extra.values():
            sources[(setting.option, setting.value)] = setting
    for var, option in (("PIP_INDEX_URL", "index-url"),
                        ("PIP_EXTRA_INDEX_URL", "extra-index-url"),  # nosec PSB802 - read to report it (M1)
                        ("PIP_FIND_LINKS", "find-links"), ("PIP_NO_INDEX", "no-index")):
        value = env.get(var)
        if not value:
            continue
        origin = f"environment variable {var}"
        if option == "index-url":
            chosen = (value.strip(), origin)
        elif option == "no-index":
            no_index = _truthy(value)
        else:
            for v in _split(value):
                sources[(option, v)] = IndexOption(option, v, origin, machine=True)
    if index_url:
        chosen = (index_url, "--index-url")
    for setting in file_settings:
        if setting.option == "index-url":
            chosen = (setting.value, setting.where)
        elif setting.option == "no-index":
            no_index = True
        else:
            # the file's own line wins over the same source in this machine's settings: it
            # is evidence about the file, which the machine's copy would hide
            sources[(setting.option, setting.value)] = setting
    url, origin = chosen or (PYPI_SIMPLE_ENDPOINT, "pip's default (PyPI)")
    return IndexConfig(url.rstrip("/") + "/", origin, tuple(sources.values()), no_index, tuple(read))


def isolated(index_url: str = PYPI_SIMPLE_ENDPOINT) -> IndexConfig:
    """One index and nothing else: no configuration file, no environment variable."""
    return pip_index_config(index_url, environ={}, config_files=())

