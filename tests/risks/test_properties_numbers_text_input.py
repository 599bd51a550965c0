"""Properties of the secure number, text and input code (book/practices/numbers, text and
input-validation), each stated as the attacker's goal.

The adapted attacks in the risk modules are the inputs a person thought of; Hypothesis splices
the same pieces (special values, exponent notation, other scripts' digits, invisible and
look-alike characters, malformed UTF-8, trailing dots and NUL bytes, near misses of a regular
expression) in combinations nobody wrote down.
"""

from __future__ import annotations

import base64
import contextlib
import math
import re
import signal
import time
import unicodedata
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import base64_decoding as b64
from pysecbook.teaching.risks import decimal_construction as dc
from pysecbook.teaching.risks import decoding_errors as de
from pysecbook.teaching.risks import dos_guards as dg
from pysecbook.teaching.risks import fee_rounding as fr
from pysecbook.teaching.risks import float_money as fm
from pysecbook.teaching.risks import input_validation as iv
from pysecbook.teaching.risks import loop_counters as lc
from pysecbook.teaching.risks import nan_checks as nc
from pysecbook.teaching.risks import redos
from pysecbook.teaching.risks import text_encoding as te
from pysecbook.teaching.risks import unicode_digits as ud
from pysecbook.teaching.risks import unicode_normalization as un

# --- numbers ----------------------------------------------------------------------------------

#: The text of an amount as an attacker writes one: sign, digits in ASCII or another script,
#: a point, an exponent, and the words for NaN and infinity.
SIGNS = st.sampled_from(("", "-", "+", " ", "\u2212"))
DIGITS = st.sampled_from(("0", "1", "5", "9", "00", "005", "999", "1_0", "\u0665", "\uff15"))
FRACTIONS = st.sampled_from(("", ".", ".0", ".00", ".005", ".01", ".10", ".5", ".99", ".999"))
EXPONENTS = st.sampled_from(("", "e0", "E-3", "e-2", "e2", "E+1", "e999", "e-999999999"))
WORDS = st.sampled_from(("NaN", "nan", "-nan", "sNaN", "Infinity", "inf", "-0", "1e999"))
AMOUNT_TEXT = st.one_of(st.tuples(SIGNS, DIGITS, FRACTIONS, EXPONENTS).map("".join), WORDS)
#: An amount as it reaches the code after a JSON parser: text, or a number of some type.
AMOUNTS = st.one_of(AMOUNT_TEXT, st.floats(), st.decimals(), st.integers(), st.booleans())
#: What a refusal may look like: the attacker's goal is what moved, not which error was raised.
REFUSED = (ValueError, TypeError, AttributeError, ArithmeticError)
#: The precision of the thread's decimal context: the default, or what an earlier request left.
PRECISIONS = st.sampled_from((28, 12, 6, 3))


@given(st.sampled_from(("5.00", "123456.78")), PRECISIONS, st.lists(AMOUNTS, max_size=8))
def test_no_withdrawal_pays_out_more_than_the_wallet_held(
        opening_text: str, precision: int, amounts: list[object]) -> None:
    """Goal: more paid out than the wallet held, or a payout that is not a whole number of
    cents, by any sequence of withdrawals, on a thread with any decimal precision."""
    opening = Decimal(opening_text)
    wallet = fm.Wallet(balance=opening, paid_out=Decimal(0))
    with localcontext() as ctx:
        ctx.prec = precision
        for amount in amounts:
            with contextlib.suppress(*REFUSED):
                fm.withdraw_secure(wallet, amount)  # type: ignore[arg-type]
    assert wallet.paid_out + wallet.balance == opening, amounts
    assert 0 <= wallet.paid_out <= opening and wallet.paid_out == wallet.paid_out.quantize(fm.CENT)


@given(st.one_of(st.just(100.0), st.just(math.nan)), st.lists(AMOUNTS, max_size=8))
def test_no_transfer_moves_more_than_the_balance(balance: float, amounts: list[object]) -> None:
    """Goal: more sent than the account held (100.00, or a balance already NaN, which holds
    nothing), or a transfer above the limit."""
    account = nc.Account(balance=balance)
    for amount in amounts:
        with contextlib.suppress(*REFUSED):
            nc.transfer_secure(account, amount)  # type: ignore[arg-type]
    held = balance if math.isfinite(balance) else 0.0
    assert all(math.isfinite(v) and 0 < v <= nc.TRANSFER_LIMIT for v in account.sent), amounts
    assert sum(account.sent) <= held + 1e-9, amounts


TARIFF_AMOUNTS = st.one_of(st.decimals(), st.integers(), st.floats(), AMOUNT_TEXT,
                           st.integers(1, 10**9).map(lambda cents: Decimal(cents).scaleb(-2)))


@given(TARIFF_AMOUNTS, PRECISIONS)
def test_no_amount_makes_the_tariff_fee_negative_or_short(amount: object, precision: int) -> None:
    """Goal: a fee that is negative, not a number (one the shop pays, or cannot collect), or
    below the tariff (1.5 %, half up), on a thread with any decimal precision."""
    with localcontext() as ctx:
        ctx.prec = precision
        try:
            fee = dc.fee_secure(amount)  # type: ignore[arg-type]
        except REFUSED:
            return
    assert fee.is_finite() and fee >= 0 and fee == fee.quantize(dc.CENT), (amount, fee)
    with localcontext() as ctx:
        ctx.prec = 60
        due = (amount * Decimal(dc.TARIFF)).quantize(dc.CENT, rounding=ROUND_HALF_UP)
    assert fee == due, (amount, fee, due)


CENTS = st.one_of(st.integers(-10**3, 10**6), st.integers(10**20, 10**40),
                  st.floats(), st.booleans(), st.decimals(places=3))


@given(CENTS, PRECISIONS)
def test_no_amount_makes_the_processing_fee_negative_or_short(amount: object,
                                                               precision: int) -> None:
    """Goal: a negative fee, or one below 2.9 % of the payment rounded up, on a thread with
    any decimal precision."""
    with localcontext() as ctx:
        ctx.prec = precision
        try:
            fee = fr.fee_secure(amount)  # type: ignore[arg-type]
        except REFUSED:
            return
    assert isinstance(amount, int) and amount > 0
    assert fee >= 0 and fee * 1000 >= amount * 29 and (fee - 1) * 1000 < amount * 29, (amount, fee)


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=12))
def test_no_split_pays_less_fee_than_the_whole(parts: list[int]) -> None:
    """Goal: pay the same total in parts and pay less fee than in one payment."""
    assert sum(fr.fee_secure(p) for p in parts) >= fr.fee_secure(sum(parts)), parts


#: Card values and voucher sizes: the amount pieces above, and plain amounts with 0 to 3 decimals.
CARD_AMOUNTS = st.one_of(AMOUNT_TEXT, st.tuples(
    st.integers(0, 10**6), st.sampled_from(("", ".00", ".5", ".005", ".01", ".10", ".999"))
).map(lambda t: f"{t[0]}{t[1]}"))


@given(CARD_AMOUNTS, CARD_AMOUNTS)
def test_no_split_issues_more_than_the_card_is_worth(value: str, voucher: str) -> None:
    """Goal: vouchers worth more (or fewer cents) than the card, or more vouchers than the
    limit, from one card."""
    try:
        vouchers = lc.split_gift_card_secure(value, voucher)
    except REFUSED:
        return
    assert len(vouchers) <= lc.MAX_VOUCHERS, (value, voucher)
    assert sum(Decimal(v) for v in vouchers) == Decimal(value), (value, voucher, vouchers[:3])


# --- text -------------------------------------------------------------------------------------

#: Every script's zero but ASCII's; a script's digits follow its zero.
OTHER_ZEROS = [chr(cp) for cp in range(0x80, 0x20000)
               if unicodedata.category(chr(cp)) == "Nd" and unicodedata.digit(chr(cp)) == 0]
ZERO = st.one_of(st.just("0"), st.sampled_from(OTHER_ZEROS))
#: What an attacker adds to a number: characters int() skips, a superscript, an invisible one.
TRICKS = st.sampled_from(("", "", "\n", " ", "_", "\u00b2", "\u200b", "+", "\U0001d7ce"))


@st.composite
def spellings_of_one_number(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A ten-digit number, and spellings of it: one script, or a script per digit, with a
    trick inserted somewhere (most often at the end)."""
    number = draw(st.text("0123456789", min_size=10, max_size=10))
    spellings = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            zero = draw(ZERO)
            digits = [chr(ord(zero) + int(d)) for d in number]
        else:
            digits = [chr(ord(draw(ZERO)) + int(d)) for d in number]
        at = draw(st.one_of(st.just(10), st.integers(0, 10)))
        spellings.append("".join(digits[:at]) + draw(TRICKS) + "".join(digits[at:]))
    return number, spellings


@given(spellings_of_one_number())
def test_no_spelling_gets_a_second_voucher(number_and_spellings: tuple[str, list[str]]) -> None:
    """Goal: a second voucher for a number that already has one, by any spelling of it (and
    never a voucher for a text with anything but the ten digits 0-9)."""
    number, spellings = number_and_spellings
    redeemed = {number}
    for phone in spellings:
        with pytest.raises(ValueError):
            ud.redeem_voucher_secure(redeemed, phone)
    assert redeemed == {number}


DIGIT_CHARS = st.one_of(st.sampled_from("0123456789"), st.sampled_from(OTHER_ZEROS), TRICKS)


@given(st.lists(DIGIT_CHARS, min_size=1, max_size=24).map("".join))
def test_no_amount_with_other_digits_or_too_many_is_parsed(text: str) -> None:
    """Goal: an amount parsed from any character but 0-9, or from more than 18 digits."""
    try:
        value = dg.parse_amount_secure(text)
    except ValueError:
        return
    assert text.isascii() and text.isdigit() and len(text) <= dg.MAX_AMOUNT_DIGITS, text
    assert value == int(text)


#: How an attacker disguises a name: fullwidth letters, case, look-alike letters, ligatures,
#: circled and mathematical letters, combining marks, and characters nobody sees.
def _fullwidth(s: str) -> str:
    return "".join(chr(0xFF00 + ord(c) - 0x20) if "!" <= c <= "~" else c for c in s)


DISGUISES: list[Callable[[str], str]] = [
    str, str.upper, str.title, _fullwidth,
    lambda s: s.replace("k", "\u212a").replace("s", "\u017f"),  # Kelvin sign, long s
    lambda s: s.replace("fi", "\ufb01").replace("i", "\u2170"),  # ligature, roman numeral one
    lambda s: "".join(chr(0x24D0 + ord(c) - 0x61) if "a" <= c <= "z" else c for c in s),  # circled
    lambda s: "".join(chr(0x1D41A + ord(c) - 0x61) if "a" <= c <= "z" else c for c in s),  # bold
    lambda s: s.replace("a", "\u0430").replace("o", "\u043e"),  # Cyrillic a and o
    lambda s: s.replace("i", "\u0131"),  # dotless i
    lambda s: unicodedata.normalize("NFD", s.replace("e", "\u00e9")),  # a combining accent
]
INVISIBLES = st.sampled_from(("", "\u200b", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u034f"))


@st.composite
def disguised_names(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(("alice", "admin", "root", "support", "kate", "sid", "fiona")))
    disguise = draw(st.sampled_from(DISGUISES))
    invisible = draw(INVISIBLES)
    at = draw(st.integers(0, len(name)))
    return disguise(name[:at] + invisible + name[at:])


#: What a person sees: the name with invisible characters removed and the look-alikes above
#: mapped back, case folded.
LOOKS_LIKE = str.maketrans({"\u0430": "a", "\u043e": "o", "\u0131": "i", "\u00e9": "e"})


def looks_like(name: str) -> str:
    visible = "".join(c for c in unicodedata.normalize("NFKC", name)
                      if unicodedata.category(c) not in ("Cf", "Mn"))
    return visible.translate(LOOKS_LIKE).casefold()


@given(st.lists(disguised_names(), min_size=1, max_size=6))
def test_no_name_is_stored_as_or_looks_like_a_registered_one(names: list[str]) -> None:
    """Goal: a registration stored under a name that is taken or reserved (now, or when the
    stored form is normalised again), or one that displays as a taken name."""
    users = {"alice": "h-alice", "kate": "h-kate"}
    for name in names:
        before = dict(users)
        try:
            stored = un.register_secure(users, name, "h-mallory")
        except ValueError:
            continue
        assert stored not in before and stored not in un.RESERVED, (name, stored)
        assert un.canonical_name(stored) == stored, (name, stored)
        assert looks_like(stored) not in set(before) | un.RESERVED, (name, stored)
        assert all(users[k] == v for k, v in before.items())


#: A comment as an attacker builds one: halves of a script tag, and what goes between them.
SPLITTERS = st.sampled_from((b"", b"\xc0", b"\xc0\x80", b"\xed\xa0\x80", b"\x80", b"\xe2\x82",
                             b"\xff", b"\x00", "\u200b".encode(), "\u00ad".encode(),
                             "\ufeff".encode(), b" ", b"\t"))
TAGS = st.tuples(st.sampled_from((b"<scr", b"<SCR", b"<Scr", b"< scr", b"<sc")), SPLITTERS,
                 st.sampled_from((b"ipt>", b"IPT>", b"ipt ", b"ipt/"))).map(b"".join)
BODIES = st.lists(st.one_of(TAGS, SPLITTERS, st.just(b"nice post ")), max_size=5).map(b"".join)


@given(BODIES)
def test_no_comment_is_stored_with_a_script_tag(body: bytes) -> None:
    """Goal: a stored comment that contains ``<script``, in any case."""
    try:
        stored = de.store_comment_secure(body)
    except ValueError:
        return
    assert "<script" not in stored.lower(), body


DISPLAY_NAMES = st.lists(st.sampled_from(("Zoe", "Zoë", ",", "\n", "\r", "\r\n", '"', "2099-12-31",
                                          "mallory", " ", "\u2028", "\x85", "\x00")),
                         max_size=6).map("".join)


@given(DISPLAY_NAMES, st.sampled_from((0, 0, 140_000)))
def test_no_display_name_saves_an_expired_account(display: str, padding: int) -> None:
    """Goal: Mallory's expired account missing from what the nightly job disables, whatever
    her display name holds, at any length (``padding`` more characters)."""
    display += "Z" * padding
    accounts = [(u, display if u == "mallory" else d, e) for u, d, e in te.ACCOUNTS]
    with private_tmpdir() as tmp:
        path = str(tmp / "accounts.csv")
        te.write_accounts(path, accounts)
        try:
            disabled = te.expired_accounts_secure(path, "2026-12-01")
        except Exception:  # noqa: BLE001 - a job that stops disables nobody: the attacker's goal
            disabled = []
    assert disabled == ["mallory", "oscar"], (display[:60], len(display))


# --- input validation -------------------------------------------------------------------------

#: Extensions no upload may have, in any position: scripts and pages a server may run.
FORBIDDEN = ("py", "pyw", "sh", "exe", "php", "phtml", "html", "svg", "js")
EXTENSIONS = st.sampled_from(FORBIDDEN).flatmap(
    lambda ext: st.sampled_from((ext, ext.upper(), ext.title(), _fullwidth(ext),
                                 ext.replace("p", "\u0440"))))  # Cyrillic er for p
DOTS = st.sampled_from((".", "\uff0e", "\u2024", "\ufe52"))  # full stop and its look-alikes
TAILS = st.sampled_from(("", ".", " ", ". ", "..", "\x00.txt", ".txt", ".pdf", ":$DATA",
                         "::$DATA", "\n", "%00.txt", "/"))
STEMS = st.sampled_from(("run", "x", "CON", "nul", "report_2024", "a" * 64, "..", "../up", ""))
UPLOAD_NAMES = st.tuples(STEMS, DOTS, EXTENSIONS, TAILS).map("".join)


def _forbidden_in(name: str) -> bool:
    """Does ``name``, read the ways a server or a file system may read it (NFKC, any case,
    cut at a NUL or a colon, trailing dots and spaces dropped), carry a forbidden extension?"""
    read = unicodedata.normalize("NFKC", name).casefold().split("\x00")[0].split(":")[0]
    parts = read.rstrip(". ").split(".")[1:]
    return any(part.strip() in FORBIDDEN for part in parts)


@given(UPLOAD_NAMES)
def test_no_upload_with_a_forbidden_extension_is_stored(name: str) -> None:
    """Goal: a stored file whose name carries a script extension (in any case, before a
    trailing dot or space, a NUL or a second extension, in look-alike letters that NFKC
    folds), or a file outside the upload directory."""
    with private_tmpdir() as tmp:
        uploads = tmp / "uploads"
        uploads.mkdir()
        try:
            stored = Path(iv.save_upload_secure(uploads, name, b"data"))
        except (ValueError, OSError):
            return
        assert stored.resolve().parent == uploads.resolve(), name
        assert not _forbidden_in(stored.name), name
        assert stored.name.split(".")[0].lower() not in iv.WINDOWS_DEVICES, name


#: Upload names, among them two that already exist in the upload directory: another user's
#: ``report.pdf``, and ``notes.txt``, a link to a file outside it.
EXISTING_NAMES = st.sampled_from(("report.pdf", "notes.txt", "new.txt", "Report.pdf", "x.png"))


@given(st.lists(EXISTING_NAMES, min_size=1, max_size=5))
def test_no_upload_replaces_a_file_or_writes_through_a_link(names: list[str]) -> None:
    """Goal: change a file the attacker did not upload (another user's, one outside the
    upload directory through a link, or an earlier upload) by uploading under its name."""
    with private_tmpdir() as tmp:
        uploads = tmp / "uploads"
        uploads.mkdir()
        (uploads / "report.pdf").write_bytes(b"alice's report")
        (tmp / "settings.txt").write_bytes(b"debug = false")
        (uploads / "notes.txt").symlink_to(tmp / "settings.txt")
        first: dict[str, bytes] = {}
        for i, name in enumerate(names):
            data = f"upload {i}".encode()
            try:
                iv.save_upload_secure(uploads, name, data)
            except (ValueError, OSError):
                continue
            first.setdefault(name, data)
        assert (uploads / "report.pdf").read_bytes() == b"alice's report", names
        assert (tmp / "settings.txt").read_bytes() == b"debug = false", names
        for name, data in first.items():
            assert (uploads / name).read_bytes() == data, names


#: Ids as a client sends them: digits of any length, other scripts' digits, numbers instead of
#: strings, multiples of the hash modulus.
IDS = st.one_of(st.text("0123456789", min_size=1, max_size=25), st.integers(0, 10**25),
                st.integers(1, 50).map(lambda k: str(k * dg.HASH_MODULUS)),
                st.sampled_from(("", " 1", "1_0", "\u0661", "+1", "-1", "01")))


@given(st.lists(IDS, max_size=30))
def test_no_accepted_ids_can_collide(ids: list[object]) -> None:
    """Goal: a set of ids of which two share a hash (the start of a hash flood): every id
    counted must be a string of at most 12 ASCII digits, its own hash."""
    try:
        dg.count_unique_ids_secure(ids)  # type: ignore[arg-type]
    except ValueError:
        return
    for i in ids:
        assert isinstance(i, str) and re.fullmatch(r"[0-9]{1,12}", i, re.ASCII), i
        assert hash(int(i)) == int(i)


#: A token as an attacker re-spells the revoked one: stray characters, whitespace, the URL-safe
#: alphabet, other padding, other unused bits in the last character.
def _respell(token: str, how: str, where: int) -> str:
    at = where % len(token)
    edits = {
        "junk": token[:at] + "." + token[at:],
        "space": token[:at] + " " + token[at:],
        "newline": token + "\n",
        "urlsafe": token.translate(str.maketrans("+/", "-_")),
        "unpadded": token.rstrip("="),
        "extra-padding": token + "==",
        "lower": token.lower(),
    }
    if how == "final-bits":
        variants = b64.other_final_bits(token)
        return variants[where % len(variants)] if variants else token
    return edits[how]


#: What a refused login may raise; anything else returned is a login.
LOGIN_REFUSED = (PermissionError, ValueError, IndexError)


def _logged_in_as(token: str) -> str | None:
    try:
        return b64.authenticate_secure(token)
    except LOGIN_REFUSED:
        return None


TOKEN_EDITS = st.sampled_from(("junk", "space", "newline", "urlsafe", "unpadded",
                               "extra-padding", "lower", "final-bits"))


@given(st.lists(st.tuples(TOKEN_EDITS, st.integers(0, 200)), min_size=1, max_size=3))
def test_no_spelling_of_the_revoked_token_logs_in(edits: list[tuple[str, int]]) -> None:
    """Goal: log in with the revoked token, re-spelt by any sequence of edits."""
    token = b64.STOLEN_TOKEN
    for how, where in edits:
        token = _respell(token, how, where)
    assert _logged_in_as(token) is None, token


#: Tokens made up in the issued tokens' shape (a prefix, a user, a secret), and random bytes.
MADE_UP_TOKENS = st.one_of(
    st.tuples(st.sampled_from((b"apikey", b"api-key", b"")),
              st.sampled_from((b"alice", b"mallory", b"admin")),
              st.one_of(st.binary(max_size=20), st.text("0123456789abcdef", max_size=32).map(
                  str.encode))).map(b":".join),
    st.binary(max_size=60),
).map(lambda raw: base64.b64encode(raw).decode())


@given(MADE_UP_TOKENS)
def test_no_token_but_an_issued_one_logs_in(token: str) -> None:
    """Goal: log in with a token the service never issued."""
    assert _logged_in_as(token) is None, token


#: Inputs that would cost a backtracking pattern: a repeated piece, a tail that makes it fail,
#: in lengths up to a megabyte.
PIECES = st.sampled_from(("a", "a.", "a-", "a+", "a@", "@", ".", "-", "a@a.", "aa.b"))
COUNTS = st.one_of(st.sampled_from((1, 8, 16, 20, 24, 32, 64, 126, 253, 254, 255, 10**6)),
                   st.integers(1, 300), st.integers(10**3, 10**6))
NEAR_MISSES = st.tuples(st.sampled_from(("", "a", "a@", "a@a.")), PIECES, COUNTS,
                        st.sampled_from(("", "!", "@", "@a", "@a.a!", ".", "-", "a@a.a")))
#: The stated limit: no input of any length may cost the validator more than this.
EMAIL_SECONDS = 0.05


@contextlib.contextmanager
def interrupted_after(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in this (main) thread after ``seconds``, even inside ``re``, which
    checks for signals while it backtracks: a catastrophic pattern fails the property instead
    of hanging the test run."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@given(NEAR_MISSES)
def test_no_input_makes_the_email_check_exceed_its_time(shape: tuple[str, str, int, str]) -> None:
    """Goal: one input, of any length, on which the e-mail check spends more than 0.05 s
    (measured as CPU time, and interrupted at ten times that)."""
    head, piece, count, tail = shape
    address = head + piece * count + tail
    with interrupted_after(10 * EMAIL_SECONDS):
        start = time.process_time()
        redos.is_valid_email_secure(address)
        spent = time.process_time() - start
    assert spent < EMAIL_SECONDS, (len(address), address[:40], spent)
