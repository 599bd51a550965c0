"""Which index pip would use: configuration files, environment variables, the command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pysecbook.checker.index import IndexOption, pip_index_config
from pysecbook.checker.index.config import pip_config_files
from pysecbook.checker.index.simple import IndexUnavailable


def _conf(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_later_files_sections_variables_and_the_command_line_win(tmp_path: Path) -> None:
    site = _conf(tmp_path / "global.conf", "[global]\nindex-url = https://mirror-a.invalid/simple\n"
                 "extra-index-url = https://extra-a.invalid/simple\n")
    user = _conf(tmp_path / "user.conf", "[global]\nindex_url = https://mirror-b.invalid/simple\n"
                 "[install]\nindex-url = https://mirror-c.invalid/simple\n")
    config = pip_index_config(environ={}, config_files=[site, user])
    assert (config.index_url, config.origin) == ("https://mirror-c.invalid/simple/", f"{user} [install]")
    assert [(s.option, s.value, s.origin) for s in config.extra] == [
        ("extra-index-url", "https://extra-a.invalid/simple", f"{site} [global]")]
    env = {"PIP_INDEX_URL": "https://mirror-d.invalid/simple",
           "PIP_EXTRA_INDEX_URL": "https://e1.invalid/simple https://e2.invalid/simple",
           "PIP_FIND_LINKS": "/srv/wheels"}
    config = pip_index_config(environ=env, config_files=[site, user])
    assert config.origin == "environment variable PIP_INDEX_URL"
    assert config.extra_index_urls == ["https://extra-a.invalid/simple", "https://e1.invalid/simple",
                                       "https://e2.invalid/simple"]
    assert [s.value for s in config.extra if s.option == "find-links"] == ["/srv/wheels"]
    config = pip_index_config("https://cli.invalid/simple", environ=env, config_files=[site])
    assert (config.index_url, config.origin) == ("https://cli.invalid/simple/", "--index-url")
    assert not config.is_default


def test_no_setting_means_pypi_and_a_missing_file_is_ignored(tmp_path: Path) -> None:
    config = pip_index_config(environ={}, config_files=[str(tmp_path / "absent.conf")])
    assert config.is_default and config.extra == () and config.files_read == ()


def test_pip_config_file_devnull_reads_no_file_and_an_existing_one_replaces_the_user_files(
        tmp_path: Path) -> None:
    assert pip_config_files({"PIP_CONFIG_FILE": os.devnull}) == []
    named = _conf(tmp_path / "named.conf", "[global]\n")
    env = {"PIP_CONFIG_FILE": named, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "x")}
    files = pip_config_files(env, prefix=str(tmp_path / "venv"))
    assert files[-2:] == [str(tmp_path / "venv" / "pip.conf"), named]
    assert str(tmp_path / "x" / "pip" / "pip.conf") not in files
    files = pip_config_files({"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "x")},
                             prefix=str(tmp_path / "venv"))
    assert str(tmp_path / "home" / ".pip" / "pip.conf") in files
    assert str(tmp_path / "x" / "pip" / "pip.conf") in files


def test_a_requirements_files_options_come_last_as_in_pip() -> None:
    settings = [IndexOption("index-url", "https://file.invalid/simple", "req.txt:1"),
                IndexOption("extra-index-url", "https://more.invalid/simple", "req.txt:2")]
    config = pip_index_config("https://cli.invalid/simple", environ={}, config_files=(),
                              file_settings=settings)
    assert (config.index_url, config.origin) == ("https://file.invalid/simple/", "req.txt:1")
    assert config.extra_index_urls == ["https://more.invalid/simple"]
    config = pip_index_config(environ={}, config_files=(),
                              file_settings=[IndexOption("no-index", "true", "req.txt:3")])
    assert config.no_index


def test_no_index_leaves_nothing_to_check_against(tmp_path: Path) -> None:
    from packaging.requirements import Requirement

    from pysecbook.checker.index.lookup import find_release
    from pysecbook.checker.index.simple import Settings

    config = pip_index_config(environ={"PIP_NO_INDEX": "1"}, config_files=())
    with pytest.raises(IndexUnavailable, match="no-index"):
        find_release(Requirement("demo"), config, http=None, settings=Settings(), cache=tmp_path)
