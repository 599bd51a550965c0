"""The one requirements reader: pip's rules for lines, options, includes and encodings.

Each rule is pip's own (``pip/_internal/req/req_file.py``); where the checker's three former
readers disagreed, these tests pin the choice.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from pysecbook.checker.declarations import (
    DiskFiles,
    TargetFiles,
    decode_like_pip,
    is_pinned,
    logical_lines,
    read_requirements,
)

H1, H2 = "a" * 64, "b" * 64


def read(files: dict[str, str | bytes], root: str = "requirements.txt", **kw):  # type: ignore[no-untyped-def]
    data = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    return read_requirements(TargetFiles.of(data), TargetFiles.source(root), **kw)


def texts(reading) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(r.text, r.line) for r in reading.requirements]


# ------------------------------------------------------------------ lines

def test_a_comment_starts_at_a_hash_after_white_space_as_in_pip() -> None:
    """pip strips ``(^|\\s+)#.*$``: after a tab too; a ``#`` inside a word (a URL fragment) stays."""
    reading = read({"requirements.txt": "rich==13.9.4\t# a tab before it\n"
                                        "  # an indented comment line\n"
                                        "pkg @ https://files.invalid/pkg-1.0-py3-none-any.whl#sha256=00\n"
                                        "attrs==24.1#not-a-comment\n"})
    assert texts(reading) == [("rich==13.9.4", 1),
                              ("pkg @ https://files.invalid/pkg-1.0-py3-none-any.whl#sha256=00", 3),
                              ("attrs==24.1#not-a-comment", 4)]


def test_continuations_join_lines_as_pip_does() -> None:
    """A trailing backslash joins the next line (the joined line keeps the first number); a
    comment line ends the continuation, even if it ends with a backslash itself."""
    text = (f"tidy-notes==1.2.0 \\\n    --hash=sha256:{H1} \\\n    --hash=sha256:{H2}\n"
            "rich\\\n==13.9.4\n"
            "qux==2 \\\n# a comment \\\nattrs==24.1\n")
    assert logical_lines(text) == [
        (1, f"tidy-notes==1.2.0     --hash=sha256:{H1}     --hash=sha256:{H2}"),
        (4, "rich==13.9.4"), (6, "qux==2"), (8, "attrs==24.1")]
    reading = read({"requirements.txt": text})
    assert reading.requirements[0].hashes == (f"sha256:{H1}", f"sha256:{H2}")


def test_variables_are_left_as_written() -> None:
    """pip expands ``${VAR}`` from the installer's environment, which is not the checker's."""
    reading = read({"requirements.txt": "--extra-index-url https://${TOKEN}@private.invalid/simple\n"})
    assert [o.value for o in reading.options] == ["https://${TOKEN}@private.invalid/simple"]


# ------------------------------------------------------------------ options

def test_options_are_split_with_shlex_and_parsed_as_pip_parses_them() -> None:
    """Quotes, ``=`` or a space, a glued short option, an abbreviated long option, pip's
    ``--pypi-url`` alias and several options on one line all mean what they mean to pip."""
    reading = read({"requirements.txt":
                    "--index-url 'https://mirror.invalid/simple'\n"
                    "--extra-index https://extra.invalid/simple\n"
                    "-fhttps://links.invalid/ --trusted-host=links.invalid --no-index\n"
                    "--pypi-url=https://other.invalid/simple\n"})
    assert [(o.option, o.value, o.line) for o in reading.options] == [
        ("index-url", "https://mirror.invalid/simple", 1),
        ("extra-index-url", "https://extra.invalid/simple", 2),
        ("no-index", "true", 3), ("find-links", "https://links.invalid/", 3),
        ("trusted-host", "links.invalid", 3),
        ("index-url", "https://other.invalid/simple", 4)]
    assert not reading.problems


def test_options_beside_a_requirement_or_an_include_are_ignored_as_pip_ignores_them() -> None:
    """On a requirement's line only ``--hash`` and ``--config-settings`` count; on an include's
    line, only the first ``-r``."""
    reading = read({"requirements.txt": "rich==13.9.4 --index-url https://ignored.invalid/simple\n"
                                        "-r base.txt --extra-index-url https://ignored.invalid/simple\n"
                                        "attrs==24.1 -C key=value\n",
                    "base.txt": "demo==1.0\n"})
    assert not reading.options and not reading.problems
    assert texts(reading) == [("rich==13.9.4", 1), ("demo==1.0", 1), ("attrs==24.1", 3)]


@pytest.mark.parametrize(("line", "why"), [
    ("--frobnicate", "no such option: --frobnicate"),
    ("rich==13.9.4 --frobnicate", "no such option: --frobnicate"),
    ("--no https://x.invalid", "ambiguous option: --no"),
    ("--index-url", "requires 1 argument"),
    ("--no-index=yes", "does not take a value"),
    (f"rich==13.9.4 --hash=md5:{H1[:32]}", "allowed hash algorithms"),
    ("rich==13.9.4 --hash=sha256", "must be a hash name followed by a value"),
    ("--extra-index-url 'https://unclosed.invalid", "cannot split the options"),
])
def test_a_line_pip_refuses_is_a_problem_not_skipped(line: str, why: str) -> None:
    reading = read({"requirements.txt": f"attrs==24.1\n{line}\n"})
    [problem] = reading.problems
    assert (problem.kind, problem.origin, problem.line) == ("option", "requirements.txt", 2)
    assert why in problem.message and problem.message.startswith("pip refuses this line")
    assert texts(reading) == [("attrs==24.1", 1)] and not reading.options


def test_editable_requirements() -> None:
    reading = read({"requirements.txt": "-e ./vendor/pkg\n--editable=\"git+https://x.invalid/p.git#egg=p\"\n"})
    assert [(r.text, r.editable) for r in reading.requirements] == [
        ("./vendor/pkg", True), ("git+https://x.invalid/p.git#egg=p", True)]


# ------------------------------------------------------------------ includes

def test_includes_are_followed_relative_to_the_file_that_names_them() -> None:
    reading = read({"requirements.txt": "-r requirements/base.txt\n-c constraints.txt\nrich==1\n",
                    "requirements/base.txt": "-r common.txt\nattrs==24.1\n",
                    "requirements/common.txt": "idna==3.10\n"})
    assert reading.files == ["requirements.txt", "requirements/base.txt", "requirements/common.txt"]
    assert [(r.origin, r.text) for r in reading.requirements] == [
        ("requirements/common.txt", "idna==3.10"), ("requirements/base.txt", "attrs==24.1"),
        ("requirements.txt", "rich==1")]
    constraint = [i for i in reading.includes if i.constraint]
    assert [(i.ref, i.name) for i in constraint] == [("constraints.txt", "constraints.txt")]
    assert "constraints.txt" not in reading.files  # a constraints file installs nothing


@pytest.mark.parametrize("ref", ["../outside.txt", "/etc/requirements.txt", "..",
                                 "https://example.invalid/r.txt", "file:r.txt"])
def test_an_include_that_leaves_the_target_is_reported(ref: str) -> None:
    reading = read({"requirements.txt": f"-r {ref}\n"})
    [include] = reading.includes
    assert (include.line, include.why) == (1, "outside the target")


def test_a_loop_a_repeat_a_missing_file_and_too_many_files_are_problems() -> None:
    reading = read({"requirements.txt": "-r a.txt\n-r b.txt\n-r gone.txt\n",
                    "a.txt": "-r requirements.txt\n-r b.txt\n", "b.txt": "rich==1\n"})
    assert [(p.kind, p.path, p.origin, p.line) for p in reading.problems] == [
        ("loop", "requirements.txt", "a.txt", 1), ("repeated", "b.txt", "requirements.txt", 2),
        ("missing", "gone.txt", "requirements.txt", 3)]
    assert texts(reading) == [("rich==1", 1)]  # each file read once
    chain = {f"{i}.txt": f"-r {i + 1}.txt\n" for i in range(6)}
    deep = read(chain, "0.txt", max_files=3)
    assert deep.files == ["0.txt", "1.txt", "2.txt"]
    assert [(p.kind, p.origin, p.line) for p in deep.problems] == [("too-many", "2.txt", 1)]


# ------------------------------------------------------------------ encodings

_MARKS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
          "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32", "utf-32-le", "utf-32-be"])
def test_a_byte_order_mark_gives_the_encoding(encoding: str) -> None:
    """The codec writes its own mark for utf-8-sig, utf-16 and utf-32; the others get one."""
    data = _MARKS.get(encoding, b"") + "caf\u00e9-tools==1.0\n".encode(encoding)
    assert decode_like_pip(data) == ("caf\u00e9-tools==1.0\n", None)


def test_a_coding_comment_counts_on_the_first_two_lines_when_the_line_starts_with_a_hash() -> None:
    latin = "caf\u00e9==1\n".encode("latin-1")
    assert decode_like_pip(b"# -*- coding: latin-1 -*-\n" + latin)[0] == "# -*- coding: latin-1 -*-\ncaf\u00e9==1\n"
    assert decode_like_pip(b"\n#coding=latin-1\n" + latin)[0] is not None
    assert decode_like_pip(b"\n\n# coding: latin-1\n" + latin)[0] is None  # third line: UTF-8
    # pip reads the comment only on a line that starts with "#" (the scan's former reader
    # also took an indented one)
    text, why = decode_like_pip(b"  # coding: latin-1\n" + latin)
    assert text is None and "not UTF-8" in str(why)
    assert "cannot be read with it" in str(decode_like_pip(b"# coding: no-such-codec\nx\n")[1])


# ------------------------------------------------------------------ one pin, one reader

@pytest.mark.parametrize(("text", "pinned"), [
    ("a==1.0", True), ("a===1.0", True), ("a==1.0 ; python_version > '3'", True),
    ("a==1.*", False), ("a==1.0,>=0.9", False), ("a>=1.0", False), ("a", False),
])
def test_is_pinned(text: str, pinned: bool) -> None:
    assert is_pinned(Requirement(text)) is pinned


def test_files_on_disk_and_in_memory_are_read_alike(tmp_path: Path) -> None:
    files = {"requirements.txt": f"-r sub/base.txt\n--extra-index-url https://x.invalid/simple\n"
                                 f"rich==13.9.4 --hash=sha256:{H1}\n-e ./pkg\n",
             "sub/base.txt": "attrs==24.1  # pinned\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    memory = read(files)
    disk = read_requirements(DiskFiles(2**20), DiskFiles.source(tmp_path / "requirements.txt",
                                                                "requirements.txt"))
    assert memory.requirements == disk.requirements and memory.options == disk.options
    assert memory.files == disk.files and not disk.problems
