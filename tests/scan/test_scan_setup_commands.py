"""A ``setup.py publish`` branch is the maintainer's, not install-time code, unless anything
that runs before it could make pip take it (requests' setup.py has one such branch)."""

from __future__ import annotations

import pytest

from pysecbook.checker.scan import scan_file

PUBLISH = (
    "import os\nimport sys\nfrom setuptools import setup\n\n"
    "{before}"
    "if sys.argv[-1] {test}:\n"
    "    os.system('python -m build')\n"
    "    os.system('twine upload dist/*')\n"
    "    sys.exit()\n\n"
    "setup(name='tidy')\n"
)


def flags(source: str) -> set[tuple[str, int | None, str]]:
    result = scan_file("setup.py", source.encode(), install_time=True)
    return {(f.rule_id, f.line, f.severity) for f in result.findings if f.source == "redflag"}


def test_a_publish_branch_is_not_install_time_code() -> None:
    found = flags(PUBLISH.format(before="", test='== "publish"'))
    assert found == {("PSB-RF-SELF-PROPAGATE", 7, "low")}
    source = scan_file("setup.py", PUBLISH.format(before="", test='== "publish"').encode(),
                       install_time=True)
    (message,) = [f.message for f in source.findings if f.rule_id == "PSB-RF-SELF-PROPAGATE"]
    assert message.endswith("only under 'setup.py publish', a command pip never runs.")


@pytest.mark.parametrize(("before", "test"), [
    ("sys.argv.append('publish')\n", '== "publish"'),  # argv changed before the test
    ("sys.argv[-1] = 'publish'\n", '== "publish"'),
    ("args = sys.argv\n", '== "publish"'),  # an alias anything could change
    ("import helper\n", '== "publish"'),  # a local module may change argv when imported
    ("exec(open('x.py').read())\n", '== "publish"'),
    ("getattr(sys, 'ar' + 'gv').append('publish')\n", '== "publish"'),
    ("", '== "publish" or True'),  # not a guard at all
    ("", 'in ("publish", "install")'),  # pip runs install
    ("", '!= "publish"'),
    ("def go():\n    sys.argv.append('publish')\ngo()\n", '== "publish"'),
], ids=["append", "item", "alias", "import", "exec", "getattr", "or-true", "install", "ne", "function"])
def test_anything_that_could_make_pip_take_the_branch_makes_it_install_time(before: str, test: str) -> None:
    found = flags(PUBLISH.format(before=before, test=test))
    assert any(rule == "PSB-RF-SELF-PROPAGATE" and severity == "high" for rule, _, severity in found)
    assert any(rule == "PSB-RF-SETUP-PROCESS" for rule, _, _ in found)


def test_code_after_the_branch_cannot_change_it() -> None:
    """requests reads its version with exec() after the branch: that cannot reach back."""
    source = PUBLISH.format(before="", test='== "publish"') + "exec(open('v.py').read(), {})\n"
    found = flags(source)
    assert ("PSB-RF-SELF-PROPAGATE", 7, "low") in found
    assert not any(rule == "PSB-RF-SETUP-PROCESS" for rule, _, _ in found)
