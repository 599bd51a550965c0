"""What a call, a string or a node is, to the rules: network or decoding calls, secret stores,
start-up files and autostart locations, shady destinations (raw IPs, paste sites, tunnels,
shorteners, webhooks, bot APIs) and string tricks. Pure functions on names, strings and
nodes, with plain substring tests and no regular expression, so their cost is linear in the
text. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import ast
import ipaddress
import urllib.parse

from pysecbook.checker.scan.rules import catalog as C
from pysecbook.checker.scan.rules.names import Names

__all__ = ["add_chain", "autostart_kind", "is_decode", "is_main", "is_network", "is_reversed",
           "link_kind", "secret_kind", "secret_variable", "shady_kind", "startup_kind",
           "string_labels", "trick_of", "urls_in"]


def is_network(name: str) -> bool:
    if name in C.NETWORK_CALLS:
        return True
    module, _, verb = name.rpartition(".")
    return module in C.NETWORK_CLIENTS and verb in C.NETWORK_VERBS


def is_decode(name: str) -> bool:
    return name in C.DECODE_CALLS or name.endswith(C.DECODE_SUFFIXES) or (
        name.endswith(".decode") and name.startswith(("bytes.", "codecs.")))


def secret_variable(name: str) -> bool:
    upper = name.upper()
    return any(w in upper for w in C.SECRET_VARIABLE_WORDS)


def _norm(text: str) -> str:
    return text.lower().replace("\\\\", "/").replace("\\", "/")


def secret_kind(text: str) -> str | None:
    """What secret store a string names (``"SSH keys"``...), or None."""
    low = _norm(text)
    for what, markers in C.SECRET_MARKERS:
        if any(m in low for m in markers):
            return what
    return None


def autostart_kind(text: str) -> str | None:
    low = _norm(text)
    return next((m for m in C.AUTOSTART_MARKERS if m in low), None)


def startup_kind(text: str) -> str | None:
    low = _norm(text)
    return next((m for m in C.STARTUP_FILES if m in low), None)


def shady_kind(url: str) -> str | None:
    """Why a URL (or host) is a shady destination, or None: a raw public IP address, a paste
    site, a file drop, a tunnel, a URL shortener, a request catcher, a messenger webhook or
    bot API."""
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        parts = urllib.parse.urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    path = parts.path or ""
    if "/api/webhooks/" in path:
        return "a messenger webhook"
    if host.startswith("hooks.slack."):
        return "a messenger webhook"
    first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    if first.startswith("bot") and ":" in first and first[3:].split(":", 1)[0].isdigit():
        return "a messenger bot API"
    if not host:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            return None
        if ip.version == 4 and any(ip in ipaddress.ip_network(n) for n in (
                "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")):
            return None
        return "a raw IP address"
    for what, domains in C.SHADY_DOMAINS.items():
        if any(host == d or host.endswith("." + d) for d in domains):
            return what
    for label in host.split("."):
        if label in C.SHADY_LABELS:
            return C.SHADY_LABELS[label]
    return None


def urls_in(text: str) -> list[str]:
    """The URLs in a string: the whole string when it is one, else each word holding ``://``
    (quotes and closing punctuation trimmed). Splitting on whitespace keeps it linear."""
    if "://" not in text:
        return []
    words = text.split()
    if len(words) == 1:
        return words
    return [w.strip("\"'<>()[],;.") for w in words if "://" in w][:32]


def link_kind(text: str) -> str | None:
    """Why a string holding links points somewhere shady (see :func:`shady_kind`), or None."""
    return next((why for url in urls_in(text) if (why := shady_kind(url))), None)


def string_labels(value: str) -> frozenset[str]:
    """Labels of a string constant inside data a rule follows."""
    out = set()
    if secret_kind(value):
        out.add("secret")
    if link_kind(value):
        out.add("shady")
    return frozenset(out)


def is_reversed(node: ast.Subscript) -> bool:
    s = node.slice
    return (isinstance(s, ast.Slice) and s.lower is None and s.upper is None
            and isinstance(s.step, ast.UnaryOp) and isinstance(s.step.op, ast.USub)
            and isinstance(s.step.operand, ast.Constant) and s.step.operand.value == 1)


def trick_of(call: ast.Call, names: Names) -> str | None:
    """What string trick a ``str.join`` call plays, if any: joining ``chr`` codes, or
    gluing three or more fragments of at most three characters."""
    arg = call.args[0]
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "map" and arg.args and isinstance(
            arg.args[0], ast.Name) and arg.args[0].id == "chr":
        return "chr() codes joined"
    if isinstance(arg, ast.GeneratorExp | ast.ListComp):
        for sub in ast.walk(arg.elt):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "chr":
                return "chr() codes joined"
    if isinstance(arg, ast.List | ast.Tuple) and len(arg.elts) >= 3:
        consts = [e.value for e in arg.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        chrs = sum(isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "chr"
                   for e in arg.elts)
        if chrs >= 3:
            return "chr() codes joined"
        if len(consts) == len(arg.elts) and all(len(c) <= 3 for c in consts) and sum(map(len, consts)) >= 4:
            return "a name glued from fragments"
    return None


def is_main(node: ast.If) -> bool:
    """``if __name__ == "__main__":``, whose body runs only when the file is run as a script."""
    test = node.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def add_chain(node: ast.BinOp, seen: set[int]) -> list[ast.AST]:
    parts: list[ast.AST] = []
    stack: list[ast.AST] = [node]
    while stack and len(parts) < 4096:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            seen.add(id(n))
            stack.append(n.right)
            stack.append(n.left)
        else:
            parts.append(n)
    return parts
