"""The OpenSSF Secure Coding Guide for Python (pySCG), rule by rule, mapped to the book's risks.

One entry per rule of the guide's index (``docs/Secure-Coding-Guide-for-Python/readme.md`` in
the ``ossf/wg-best-practices-os-developers`` repository, read at :data:`SOURCE_COMMIT`): its
id, family, title and CWE as the guide gives them, the risks of this book that demonstrate
it, and a note where the match is partial or there is no risk at all. The reference page
renders this table, and the tests check that it names every rule once and only risks that
exist. Book page: ``book/reference/pyscg``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The commit of the guide's index this table was written from.
SOURCE_COMMIT = "0059184edb004bc7a154d4b2d51b30abfdb06be2"
SOURCE_URL = ("https://github.com/ossf/wg-best-practices-os-developers/tree/"
              f"{SOURCE_COMMIT}/docs/Secure-Coding-Guide-for-Python")

#: The guide's families, in its order, with the folder that holds each family's rules.
FAMILIES = {
    "01 Introduction": "01_introduction",
    "02 Encoding and Strings": "02_encoding_and_strings",
    "03 Numbers": "03_numbers",
    "04 Neutralization": "04_neutralization",
    "05 Exception handling": "05_exception_handling",
    "06 Logging": "06_logging",
    "07 Concurrency": "07_concurrency",
    "08 Coding Standards": "08_coding_standards",
    "09 Cryptography": "09_cryptography",
}


@dataclass(frozen=True)
class Rule:
    """One rule of the guide and what the book has for it."""

    id: str
    family: str
    title: str
    cwes: tuple[int, ...]
    risks: tuple[str, ...] = field(default=())
    note: str = ""

    @property
    def url(self) -> str:
        return f"{SOURCE_URL}/{FAMILIES[self.family]}/{self.id}/README.md"


def _rules(family: str, *entries: tuple[object, ...]) -> list[Rule]:
    return [Rule(rule_id, family, title, cwes, risks, note)  # type: ignore[arg-type]
            for rule_id, title, cwes, risks, note in entries]


RULES: tuple[Rule, ...] = tuple([
    *_rules(
        "01 Introduction",
        ("pyscg-0040", "Use Process Isolation for Trust Zones", (501,),
         ("PSB-VENV-BOUNDARY", "PSB-EVAL-SANDBOX"),
         "Python has no boundary inside a process; these show what is not one."),
        ("pyscg-0041", "Externalize Configuration and Secrets", (798,),
         ("PSB-SECRET-HARDCODED",), ""),
        ("pyscg-0042", "Ensure Correct Operator Precedence", (783,),
         ("PSB-PRECEDENCE-AND-OR",), ""),
        ("pyscg-0055", "Determine Access on Server Side", (472,),
         ("PSB-ACCESS-CLIENT-VALUE",), ""),
    ),
    *_rules(
        "02 Encoding and Strings",
        ("pyscg-0043", "Specify Locale Explicitly", (175,), ("PSB-TEXT-LOCALE-ENCODING",),
         "The locale's part that reaches Python code most often: the default encoding."),
        ("pyscg-0044", "Canonicalize Input Before Validating", (180,),
         ("PSB-TEXT-NORMALIZE-LATE", "PSB-BASE64-LENIENT", "PSB-PATH-TRAVERSAL"), ""),
        ("pyscg-0045", "Enforce Consistent Encoding", (176,),
         ("PSB-TEXT-DECODE-IGNORE", "PSB-TEXT-UNICODE-DIGITS"), ""),
    ),
    *_rules(
        "03 Numbers",
        ("pyscg-0001", "Control Numeric Precision", (1339,), ("PSB-NUM-FLOAT-MONEY",), ""),
        ("pyscg-0002", "Guard Fixed-Width Numbers Against Overflow", (191, 190),
         ("PSB-NUM-FIXED-WIDTH",), ""),
        ("pyscg-0003", "Use Arithmetic Over Bitwise Operations", (1335,), (),
         "Python's int has no width, so shifts are exact (x >> 1 is x // 2); the numbers page "
         "shows it, and the bit-mask trap in access rules is precedence (pyscg-0042)."),
        ("pyscg-0004", "Use Integer Loop Counters", (197,), ("PSB-NUM-FLOAT-COUNTER",), ""),
        ("pyscg-0005", "Specify Rounding for Numeric Conversions", (197,),
         ("PSB-NUM-TRUNCATED-FEE",), ""),
        ("pyscg-0006", "Use an Appropriate Comparator for Numbers", (681,),
         ("PSB-NUM-FLOAT-MONEY", "PSB-NUM-NAN-LIMIT"),
         "Float equality and comparisons with NaN, shown inside these two risks."),
        ("pyscg-0007", "Use String Literals for Decimal Construction", (681,),
         ("PSB-NUM-DECIMAL-FLOAT",), ""),
    ),
    *_rules(
        "04 Neutralization",
        ("pyscg-0047", "Use Allow Lists Over Deny Lists", (184,), ("PSB-INPUT-DENYLIST",), ""),
        ("pyscg-0008", "Prevent Format String Injection", (134,), ("PSB-FORMAT-GLOBALS",), ""),
        ("pyscg-0009", "Prevent OS Command Injection", (78,), ("PSB-SHELL-INJECTION",), ""),
        ("pyscg-0010", "Prevent SQL Injection", (89,), ("PSB-SQL-INJECTION",), ""),
        ("pyscg-0011", "Prevent Type Confusion", (843,), ("PSB-TYPE-CONFUSION",), ""),
        ("pyscg-0012", "Extract Archives Safely", (409,),
         ("PSB-ZIP-BOMB", "PSB-TARFILE-EXTRACTALL"), ""),
        ("pyscg-0013", "Secure Search Paths", (426,),
         ("PSB-STDLIB-SHADOW", "PSB-PTH-STARTUP", "PSB-ENV-STARTUP"), ""),
        ("pyscg-0023", "Secure Deserialization", (502,),
         ("PSB-PICKLE-LOADS", "PSB-SHELVE-OPEN", "PSB-MARSHAL-LOADS", "PSB-YAML-LOAD",
          "PSB-MULTIPROCESSING-LISTENER"), ""),
    ),
    *_rules(
        "05 Exception handling",
        ("pyscg-0014", "Use Specific Exception Types", (397,), ("PSB-EXCEPT-FAIL-OPEN",), ""),
        ("pyscg-0015", "Handle Error Conditions", (755,),
         ("PSB-EXCEPT-SWALLOWED", "PSB-NONE-UNCHECKED"), ""),
        ("pyscg-0016", "Propagate Exceptions and Preserve Context", (396,),
         ("PSB-EXCEPT-SWALLOWED", "PSB-POOL-LOST-EXCEPTION"),
         "Exceptions that never reach a handler; chaining with raise ... from has no attack "
         "of its own."),
        ("pyscg-0018", "Validate Numeric Data Beyond Type Checking", (754,),
         ("PSB-NUM-NAN-LIMIT",), ""),
        ("pyscg-0052", "Ensure Cleanup on Exceptions", (460,), ("PSB-CLEANUP-ON-ERROR",), ""),
    ),
    *_rules(
        "06 Logging",
        ("pyscg-0019", "Insertion of Sensitive Information into Log File", (532,),
         ("PSB-LOG-SECRETS",), ""),
        ("pyscg-0020", "Insufficient Logging", (778,),
         ("PSB-EXCEPT-SWALLOWED", "PSB-ASYNC-TASK-LOST"),
         "Audit records that are lost; what to log is in the logging page's checklist."),
        ("pyscg-0021", "Active Debug Code", (489,), ("PSB-DEBUG-TRACEBACK",), ""),
        ("pyscg-0022", "Improper Output Neutralization for Logs", (117,),
         ("PSB-LOG-INJECTION",), ""),
        ("pyscg-0050", "Generation of Error Message Containing Sensitive Information", (209,),
         ("PSB-DEBUG-TRACEBACK",), ""),
    ),
    *_rules(
        "07 Concurrency",
        ("pyscg-0024", "Uncontrolled Resource Consumption", (400,),
         ("PSB-POOL-CANCEL-IGNORED",), "The guide's case: a pool task that cancel() cannot stop."),
        ("pyscg-0025", "Insufficient Resource Pool", (410,), ("PSB-POOL-STARVATION",), ""),
        ("pyscg-0026", "Deadlock", (833,), ("PSB-DEADLOCK-LOCK-ORDER",), ""),
        ("pyscg-0027", "Concurrent Execution Using Shared Resource with Improper "
         "Synchronization ('Race Condition')", (362,), ("PSB-RACE-CHECK-THEN-ACT",), ""),
        ("pyscg-0028", "Return inside Finally Block", (584,), ("PSB-FINALLY-RETURN",), ""),
        ("pyscg-0029", "Improper Initialization", (665,), ("PSB-THREADLOCAL-REUSE",), ""),
        ("pyscg-0030", "Missing Report of Error Condition", (392,),
         ("PSB-POOL-LOST-EXCEPTION", "PSB-ASYNC-TASK-LOST"), ""),
        ("pyscg-0051", "Improper Resource Shutdown or Release", (404,), ("PSB-FD-LEAK",), ""),
        ("pyscg-0054", "Race Condition Within a Thread", (366,), ("PSB-RACE-CHECK-THEN-ACT",),
         "The same lesson: a read, a decision and a write on shared state must be one step."),
    ),
    *_rules(
        "08 Coding Standards",
        ("pyscg-0031", "Loop Condition Value Update Within the Loop", (1095,),
         ("PSB-LOOP-MUTATION",), ""),
        ("pyscg-0032", "Use of Same Variable for Multiple Purposes", (1109,),
         ("PSB-NAME-REUSE",), ""),
        ("pyscg-0033", "Comparison of Object References Instead of Object Contents", (595,),
         ("PSB-IDENTITY-COMPARE",), ""),
        ("pyscg-0034", "NULL Pointer Dereference", (476,), ("PSB-NONE-UNCHECKED",), ""),
        ("pyscg-0035", "Incomplete Cleanup", (459,), ("PSB-FD-LEAK", "PSB-CLEANUP-ON-ERROR"),
         "Temporary files left on disk fail the same way; the book has no attack of its own "
         "for a leftover file."),
        ("pyscg-0036", "Unchecked Return Value", (252,), ("PSB-RETURN-UNCHECKED",), ""),
        ("pyscg-0037", "Reachable Assertion", (617,), ("PSB-ASSERT-OPTIMIZE",), ""),
    ),
    *_rules(
        "09 Cryptography",
        ("pyscg-0038", "Use Sufficiently Random Values", (330,), ("PSB-RANDOM-PREDICTABLE",), ""),
    ),
])


def by_family() -> dict[str, list[Rule]]:
    """The rules grouped by family, in the guide's order."""
    grouped: dict[str, list[Rule]] = {family: [] for family in FAMILIES}
    for rule in RULES:
        grouped[rule.family].append(rule)
    return grouped
