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


# A command class with a process in run(): defusedxml's "test", babel's "import_cldr".
COMMAND = (
    "import subprocess\nimport sys\nfrom setuptools import Command, setup\n\n"
    "{decorator}class {name}(Command):\n"
    "    user_options = []\n\n"
    "    def run(self):\n"
    "        subprocess.check_call([sys.executable, 'scripts/fetch_data.py'])\n\n"
    "{after}"
    "setup(name='tidy'{setup})\n"
)


def command(name: str = "PyTest", setup: str = ", cmdclass={'test': PyTest}",
            after: str = "", decorator: str = "") -> str:
    return COMMAND.format(name=name, setup=setup, after=after, decorator=decorator)


@pytest.mark.parametrize("source", [
    command(),
    command("import_cldr", ", cmdclass={'import_cldr': import_cldr}"),
    command("commands_only", ", cmdclass={'test': commands_only, 'lint': commands_only}"),
    command("bdist_rpm", ""),  # never named in its file: registered under its own name
    command(setup=", cmdclass={'test': PyTest}, extras_require={'test': ['pytest']}",
            after="def option(self):\n    return getattr(self, 'verbose', 0)\n\n"),
    command("Helper", ""),  # never named, not a command's name: nothing can run it
], ids=["test", "import_cldr", "two-names", "own-name", "extras-named-test", "unnamed"])
def test_a_command_pip_never_runs_is_not_install_time_code(source: str) -> None:
    result = scan_file("setup.py", source.encode(), install_time=True)
    found = {(f.rule_id, f.severity) for f in result.findings if f.source == "redflag"}
    assert ("PSB-RF-SETUP-PROCESS", "high") not in found
    assert not any(rule == "PSB-RF-INSTALL-HOOK" for rule, _ in found)


@pytest.mark.parametrize("source", [
    command("Evil", ", cmdclass={'build_py': Evil}"),  # pip builds with build_py
    command("Evil", ", cmdclass={'test': Evil, 'install': Evil}"),
    command("Evil", ", cmdclass=cmds", after="cmds = {'test': Evil}\ncmds['build' + '_py'] = Evil\n"),
    command("Evil", ", cmdclass=dict(test=Evil)"),  # a use that is not a dict literal's value
    command("Evil", ", cmdclass={'test': Evil}",
            after="class build_py(Command):\n    sub_commands = [('test', None)]\n\n"),
    command("Evil", ", cmdclass={k: v for k, v in globals().items() if k == 'Evil'}"),
    command("Evil", ", cmdclass=REGISTRY", decorator="@register('build_py')\n",
            after="REGISTRY = {}\n"),
    command("install", ""),  # its own name is a command pip runs
    command("Evil", ", cmdclass={'test': Evil, 'build_py': getattr(sys.modules[__name__], 'Evil')}"),
    command("Evil", ", cmdclass={'maint': Evil}",
            after="class build_py(Command):\n    def run(self):\n        self.run_command('maint')\n\n"),
    command("Evil", ", entry_points={'distutils.commands': ['build_py = setup:Evil']}"),
], ids=["build_py", "also-install", "computed-key", "dict-call", "sub-command", "globals",
        "decorator", "own-name-install", "entry-point", "reflection-beside-a-key", "run-command"])
def test_a_command_class_that_pip_may_run_stays_install_time_code(source: str) -> None:
    result = scan_file("setup.py", source.encode(), install_time=True)
    found = {(f.rule_id, f.severity) for f in result.findings if f.source == "redflag"}
    assert ("PSB-RF-SETUP-PROCESS", "high") in found
    assert any(rule == "PSB-RF-INSTALL-HOOK" for rule, _ in found)
