"""Data leaving the machine, and the channels it leaves by: secrets read and sent over HTTP,
DNS, a messenger webhook or a bot API; host information sent to a shady destination; reverse
shells; links to raw IP addresses, paste sites, tunnels, shorteners and request catchers.

Network use alone is normal for a library; reading a secret store alone may be a
configuration loader. The two meeting in one file is the alarm, and its message says what was
read and where it goes. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast

from pysecbook.checker.scan.model import Finding
from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.common import Capabilities, strings_in, what_is, where_to
from pysecbook.checker.scan.rules.classify import link_kind
from pysecbook.checker.scan.rules.facts import Facts
from pysecbook.checker.scan.rules.install import hostile_command
from pysecbook.checker.scan.rules.registry import finding, register

RULES = register(
    "exfiltration and remote control",
    ("PSB-RF-EXFIL-SECRETS", "high", 200, "reads secrets and sends them away", "Exfiltration"),
    ("PSB-RF-EXFIL-DNS", "high", 200, "encodes data into DNS lookups", "Exfiltration"),
    ("PSB-RF-EXFIL-HOSTINFO", "high", 200, "sends host and user information to a shady destination", "Discovery", "medium"),
    ("PSB-RF-SECRET-READ", "medium", 522, "reads a secret store (keys, tokens, browser profiles, wallets)", "Credential Access"),
    ("PSB-RF-REVERSE-SHELL", "high", 78, "hands a shell to a remote host", "Command and Control"),
    ("PSB-RF-SHADY-LINK", "high", 918, "a link to a shady destination", "Command and Control", "medium"),
)



def _own_name(f: Facts, rec, carried: frozenset[str]) -> bool:  # type: ignore[no-untyped-def]
    """The lookup is of this machine's own name (``gethostbyname_ex(gethostname())``, or
    with ``.local`` added), which a program does to learn its addresses: the only data is
    the host name, and no domain of anyone else's is there to receive it."""
    if carried != {"recon"}:
        return False
    strings = [s.strip().lower() for s in strings_in(f, rec.call.node.args[0], rec.call.scope)]
    return all(s in ("", ".") or s in C.LOCAL_SUFFIXES for s in strings)


def check(f: Facts, caps: Capabilities) -> list[Finding]:
    out: list[Finding] = []
    path = f.path
    sends = caps.sends
    reads = caps.secret_reads
    exfil_lines: set[int] = set()
    for rec in sends:
        carried = rec.labels & {"secret", "env", "collected"}
        to = where_to(caps, rec)
        if carried:
            out.append(finding("PSB-RF-EXFIL-SECRETS", path, rec.line,
                               f"sends {what_is(carried)} with {rec.call.name}() to {to}."))
            exfil_lines.add(rec.line)
            continue
        carried = rec.labels & {"envvar", "recon"}
        if carried:
            shady = caps.shady(rec)
            out.append(finding("PSB-RF-EXFIL-HOSTINFO", path, rec.line,
                               f"sends {what_is(carried)} with {rec.call.name}() to {to}.",
                               lone=not shady))
            exfil_lines.add(rec.line)
    if reads and sends and not exfil_lines:
        r, s = reads[0], sends[0]
        out.append(finding("PSB-RF-EXFIL-SECRETS", path, s.line,
                           f"reads {r.detail} ({r.call.name}(), line {r.line}) and sends data "
                           f"with {s.call.name}() (line {s.line}) to {where_to(caps, s)}."))
    elif reads and not sends:
        r = reads[0]
        out.append(finding("PSB-RF-SECRET-READ", path, r.line,
                           f"reads {r.detail} ({r.call.name}()); nothing in this file sends it."))
    for rec in caps.dns:
        carried = rec.labels & {"secret", "env", "envvar", "recon", "collected", "encoded"}
        if carried and not _own_name(f, rec, carried):
            what = what_is(carried) or "encoded data"
            out.append(finding("PSB-RF-EXFIL-DNS", path, rec.line,
                               f"{rec.call.name}() of a host name built from {what}: the "
                               "lookup itself carries the data to whoever runs that domain's "
                               "name server."))
    connects = [r for r in caps.network if r.detail in ("socket connect", "socket.create_connection")
                or r.call.name == "socket.create_connection"]
    shell_calls = [c for c in f.calls if c.name in ("os.dup2", "pty.spawn")]
    for rec in caps.processes:
        if hostile_command(rec.detail) == "opens a reverse shell":
            out.append(finding("PSB-RF-REVERSE-SHELL", path, rec.line,
                               f"{rec.call.name}({rec.detail[:100]!r}) opens a reverse shell."))
            break
        if connects and any(k.arg in ("stdin", "stdout", "stderr") and "fileno" in ast.unparse(k.value)
                            for k in rec.call.node.keywords):
            shell_calls.append(rec.call)
    if connects and shell_calls:
        c, s = connects[0], shell_calls[0]
        out.append(finding("PSB-RF-REVERSE-SHELL", path, s.line,
                           f"connects to {c.target or 'a remote host'} (line {c.line}) and wires "
                           f"that socket to a shell's input and output with {s.name}(): whoever "
                           "is at the other end types the commands."))
    used = [r for r in caps.network if caps.shady(r)]
    if used:
        r = used[0]
        out.append(finding("PSB-RF-SHADY-LINK", path, r.line,
                           f"{r.call.name}() goes to {caps.shady(r)}."))
    else:
        shady = [(line, url, kind) for line, url, _ in f.links if (kind := link_kind(url))]
        if shady:
            line, url, kind = shady[0]
            more = f" (and {len(shady) - 1} more)" if len(shady) > 1 else ""
            out.append(finding("PSB-RF-SHADY-LINK", path, line,
                               f"a link to {kind}: {url[:80]}{more}.", lone=True))
    return out
