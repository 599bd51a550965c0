"""``exec`` of a user's "configuration" runs the user's program, even with builtins removed.

A tool lets users upload settings written as Python assignments. The insecure version runs
them with ``exec`` and believes that passing ``{"__builtins__": {}}`` makes that safe; any
object reaches ``object.__subclasses__()``, and from there a module's real builtins. The
secure version reads a data format, TOML (``tomllib``, in the standard library since 3.11),
which has no way to express a call.
Book page: ``book/practices/code-injection``.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable

from pysecbook.lab.child import timed_call
from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register
from pysecbook.teaching.sandbox import call_with_marker


def load_config_insecure(text: str) -> dict[str, object]:
    """Read settings written as Python assignments, with builtins 'removed'."""
    settings: dict[str, object] = {}
    exec(text, {"__builtins__": {}}, settings)  # nosec B102 - deliberately insecure: demonstration of PSB-EXEC-CONFIG
    return settings


#: What the program runs with when nothing is uploaded. ``debug`` and ``notify`` are the
#: program's own settings; the upload form offers only :data:`USER_SETTINGS`.
DEFAULTS: dict[str, object] = {"retries": 3, "name": "nightly", "hosts": [], "debug": False,
                               "notify": "ops@example.org"}


def load_config_first_try(text: str) -> dict[str, object]:
    """Read settings written in TOML over the defaults: data only, nothing in it can run.

    The first fix, kept to show the adapted attacks beating it: TOML cannot express a call,
    but every key in the upload is merged over the program's settings, whatever its name and
    whatever its type.
    """
    return {**copy.deepcopy(DEFAULTS), **tomllib.loads(text)}


def _count(low: int, high: int) -> Callable[[object], bool]:
    return lambda v: type(v) is int and low <= v <= high


def _text(longest: int) -> Callable[[object], bool]:
    return lambda v: type(v) is str and len(v) <= longest and v.isprintable()


def _text_list(items: int, longest: int) -> Callable[[object], bool]:
    return lambda v: type(v) is list and len(v) <= items and all(map(_text(longest), v))


#: The settings a user may upload, each with what its value must be: an ``int`` (never a
#: ``bool``) in a range, printable text of a bounded length, a short list of such texts.
USER_SETTINGS: dict[str, Callable[[object], bool]] = {
    "retries": _count(0, 10),
    "name": _text(64),
    "hosts": _text_list(16, 253),
}
#: Longest configuration read, in characters (16 hosts of 253 characters fit).
MAX_CONFIG_LENGTH = 8 * 1024
#: Most dots a configuration may contain. ``tomllib``'s work on a dotted key (``a.b.c = 1``)
#: grows with the square of its parts (CPython gh-149231), and on the keys under a table
#: header with the header's parts times the keys (gh-152930); parts are separated by dots.
#: One key of 32,000 parts in 64 KiB took 41 seconds on the machine that builds the book;
#: within both bounds, the worst document we found took 30 milliseconds.
MAX_DOTS = 128


def load_config_secure(text: str) -> dict[str, object]:
    """Read settings written in TOML: data only, nothing in it can run; only the settings the
    form offers, each of the type and within the range it must have.

    Anything else, a key the form does not offer, a ``bool`` or a ``float`` where a count is
    expected, a value out of range, a table where text is expected, an upload longer than
    :data:`MAX_CONFIG_LENGTH`, with more than :data:`MAX_DOTS` dots or deeper than the parser
    handles, raises ``ValueError``. The two bounds keep the parser's work to milliseconds
(measured; ``tomllib``'s cost is not linear in its input, see :data:`MAX_DOTS`).

    Assumes: ``USER_SETTINGS`` names every key a user may set and states each value's type and
    range; the caller merges the returned dictionary over its defaults and uses that, not the
    uploaded text.
    Does not stop: a value that is valid and still harmful where the program uses it (a host
    name the program should not contact, text that another component later treats as code
    or markup); many uploads in a row.
    """
    if len(text) > MAX_CONFIG_LENGTH:
        raise ValueError(f"configuration longer than {MAX_CONFIG_LENGTH} characters")
    if text.count(".") > MAX_DOTS:
        raise ValueError(f"configuration with more than {MAX_DOTS} dots")
    try:
        uploaded = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ValueError(f"not a TOML document: {exc}") from None
    unknown = sorted(set(uploaded) - set(USER_SETTINGS))
    if unknown:
        raise ValueError(f"not a setting users may change: {', '.join(unknown)}")
    for key, value in uploaded.items():
        if not USER_SETTINGS[key](value):
            raise ValueError(f"{key}: {type(value).__name__} value outside what it may be")
    return uploaded


def payload(marker: str) -> str:
    """A 'configuration' that finds the real ``open`` without any builtin and writes ``marker``."""
    return (
        "retries = 3\n"
        "for c in ().__class__.__base__.__subclasses__():\n"
        "    if c.__name__ == 'catch_warnings':\n"
        f"        c()._module.__builtins__['open']({marker!r}, 'w').write('owned')\n"
    )


def toml_payloads(marker: str) -> dict[str, str]:
    """Mallory's best tries in TOML, which has no syntax for a call: a value holding Python
    source (dangerous only to a program that evaluates it later), and a table spelling
    ``exec`` the way object-building formats do."""
    code = f"open({marker!r}, 'w').write('owned')"
    return {
        "TOML value holding Python source": f'retries = 3\nhook = "{code}"\n',
        "TOML table in pickle's reduce spelling": f'[__reduce__]\ncallable = "exec"\nargs = ["{code}"]\n',
    }


def attack(func: object) -> Outcome:
    """Upload each payload as a configuration (in a child interpreter): is a file written?

    The Python "configuration" that escapes the empty ``__builtins__``, then the TOML
    documents of :func:`toml_payloads`."""
    parts = []
    succeeded = False
    makers = {"Python assignments": payload,
              **{label: (lambda m, label=label: toml_payloads(m)[label]) for label in toml_payloads("x")}}
    for label, make in makers.items():
        written, result = call_with_marker(func, make)
        succeeded = succeeded or written
        parts.append(f"{label}: " + ("escaped and wrote the marker file through the real open()"
                                     if written else f"no file written, {result}"))
    return Outcome(succeeded, "; ".join(parts))


def gadget_payload(marker: str) -> str:
    """Another way out without any builtin name: from ``os._wrap_close``'s ``__init__`` to the
    globals of ``os`` and its builtins."""
    return (
        "retries = 3\n"
        "for c in ().__class__.__base__.__subclasses__():\n"
        "    if c.__name__ == '_wrap_close':\n"
        f"        c.__init__.__globals__['__builtins__']['open']({marker!r}, 'w').write('owned')\n"
    )


def attack_other_gadget(impl: Callable[..., object]) -> Outcome:
    """Upload a "configuration" that escapes through ``os._wrap_close`` instead of
    ``warnings.catch_warnings``, for a loader that filtered the first gadget's name."""
    written, result = call_with_marker(impl, gadget_payload)
    return Outcome(written, ("escaped and wrote the marker file" if written
                             else f"no file written, {result}"))


#: Keys the form never offered, for the program's own settings.
EXTRA_KEYS = 'retries = 3\ndebug = true\nnotify = "mallory@example.net"\n'


def attack_extra_keys(impl: Callable[..., object]) -> Outcome:
    """Add keys the upload form never offered, named like the program's own settings
    (``debug``, ``notify``): a loader that merges every key over the defaults hands them to
    the program (mass assignment)."""
    try:
        settings = impl(EXTRA_KEYS)  # type: ignore[operator]
    except ValueError as exc:
        return Outcome(False, f"refused: {exc}")
    taken = {k: settings[k] for k in ("debug", "notify") if settings.get(k) != DEFAULTS[k]}
    return Outcome(bool(taken), f"the program now runs with {taken}" if taken
                   else f"settings unchanged: {settings}")


#: Values of another type or size than the setting takes: ``true`` for a count (``bool`` is an
#: ``int`` in Python), ``inf``, a 21-digit count, text where a list is expected, a table.
WRONG_TYPES = ("retries = true", "retries = inf", "retries = 100000000000000000000",
               'hosts = "db.internal"', "name = { first = 'x' }")


def attack_wrong_types(impl: Callable[..., object]) -> Outcome:
    """Give each setting a value of another type or size: ``retries = true`` passes an
    ``isinstance(v, int)`` check, ``inf`` and a 21-digit count make a retry loop that does not
    end, a string where a list of hosts is expected is iterated letter by letter."""
    taken, refused = [], []
    for line in WRONG_TYPES:
        try:
            settings = impl(line + "\n")  # type: ignore[operator]
        except ValueError as exc:
            refused.append(f"{line}: {exc}")
            continue
        key = line.split(" ", 1)[0]
        taken.append(f"{key} = {settings[key]!r}")
    if taken:
        return Outcome(True, f"the program was handed {'; '.join(taken)}")
    return Outcome(False, "every value refused; " + "; ".join(refused[:2]) + "; ...")


#: How long reading one configuration may take, in the demonstration's service.
STALL_LIMIT = 0.5
#: One key of 16,001 dotted parts: 32 KB of text.
LONG_DOTTED_KEY = "a" + ".a" * 16_000 + " = 1\n"


def top_level_keys(name: str, text: str) -> list[str]:
    """The top-level keys this module's loader called ``name`` reads from ``text`` (in a
    child: the whole value can be too deep to print)."""
    return sorted(globals()[name](text))


def attack_long_dotted_key(impl: Callable[..., object]) -> Outcome:
    """Upload one key of 16,001 dotted parts (``a.a.a...``, 32 KB): ``tomllib`` checks every
    prefix of a dotted key against the tables already defined, so its work grows with the
    square of the parts. Read in a child killed after a few seconds; a stall past
    :data:`STALL_LIMIT` is the attacker's win."""
    result = timed_call(top_level_keys, impl.__name__, LONG_DOTTED_KEY,
                        timeout=STALL_LIMIT + 4.5)
    stalled = result.timed_out or (result.seconds or 0.0) > STALL_LIMIT
    return Outcome(stalled, f"{len(LONG_DOTTED_KEY):,} characters, one key: {result}")


RISK = register(
    Risk(
        id="PSB-EXEC-CONFIG",
        title="exec() of a user's configuration",
        summary="exec() runs any program, and removing __builtins__ does not sandbox it; "
        "read configuration in a data format.",
        cwe=94,
        bandit=("B102",),
        modules=("builtins", "tomllib"),
        page="practices/code-injection",
        insecure=load_config_insecure,
        secure=load_config_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("the escape through os._wrap_close instead of catch_warnings",
                          "variant", attack_other_gadget),
            AdaptedAttack("keys the form never offered (debug, notify) merged over the "
                          "program's settings", "variant", attack_extra_keys,
                          beats=load_config_first_try),
            AdaptedAttack("retries = true, inf or 10**20; text where a list is expected",
                          "type-confusion", attack_wrong_types, beats=load_config_first_try),
            AdaptedAttack("one key of 16,001 dotted parts, quadratic work for tomllib",
                          "exhaustion", attack_long_dotted_key, beats=load_config_first_try),
        ),
    )
)
