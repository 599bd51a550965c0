"""Properties of the secure cryptography, password and TLS code (book/practices/sensitive-data,
book/practices/passwords), stated as the attacker's goal.

The adapted attacks in the risk modules are the moves a person thought of; Hypothesis
composes them from the pieces an attacker splices: record ids with separators, NUL bytes and
look-alike letters; ciphertexts cut, flipped and re-ordered; passwords in two spellings, with
a NUL byte or past 72 bytes; certificate names with wildcards, look-alikes and NUL bytes.
Argon2 and scrypt are slow on purpose, so their properties run few examples.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from pysecbook.lab.child import private_tmpdir
from pysecbook.teaching.risks import encryption_modes as em
from pysecbook.teaching.risks import password_hashing as ph
from pysecbook.teaching.risks import secret_comparison as sc
from pysecbook.teaching.risks import tls_verification as tls

# -- AEAD: a ciphertext opens in its own place, unchanged, or nowhere -------------------------

KEY = em.new_key()
#: Pieces of a record id or a column name, as a user who picks their own id would splice
#: them: separators a naive encoding joins with, NUL bytes, a 4-byte length, two spellings of
#: one letter, a full-width letter.
ID_PIECES = st.sampled_from(("alice", "bob", "", "|", ":", ".", "\x00", "\x00\x00\x00\x05",
                             "é", "e\u0301", "ａ", "7", " ", "salary_band"))
NAMES = st.lists(ID_PIECES, max_size=4).map("".join)
COLUMNS = st.sampled_from((em.COLUMN, em.NOTE_COLUMN, "employees", "")) | NAMES
PLACES = st.tuples(COLUMNS, NAMES)
PLAINTEXTS = st.sampled_from(tuple(em.RECORDS.values())) | st.binary(max_size=48)


def _decrypts(ciphertext: bytes, place: tuple[str, str]) -> bytes | None:
    column, record_id = place
    try:
        return em.decrypt_secure(KEY, ciphertext, record_id=record_id, column=column)
    except InvalidTag:
        return None


@given(PLAINTEXTS, PLACES, PLACES)
def test_no_ciphertext_opens_in_another_row_or_column(plaintext: bytes,
                                                       home: tuple[str, str],
                                                       elsewhere: tuple[str, str]) -> None:
    """Goal: a value read from a row or column it was not written to. A ciphertext decrypts
    in the (column, record id) it was made for, and nowhere else."""
    column, record_id = home
    ciphertext = em.encrypt_secure(KEY, plaintext, record_id=record_id, column=column)
    assert _decrypts(ciphertext, home) == plaintext
    if elsewhere != home:
        assert _decrypts(ciphertext, elsewhere) is None, (home, elsewhere)


#: What a writer without the key does to a stored ciphertext: cut it, flip one bit, swap
#: two slices, or append bytes.
TAMPERING = st.one_of(
    st.tuples(st.just("cut"), st.integers(0, 80)),
    st.tuples(st.just("flip"), st.integers(0, 80), st.integers(0, 7)),
    st.tuples(st.just("swap"), st.integers(0, 80), st.integers(0, 80), st.integers(1, 16)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=16)),
)


def tamper(ciphertext: bytes, how: tuple) -> bytes:  # type: ignore[type-arg]
    data = bytearray(ciphertext)
    if how[0] == "cut":
        return bytes(data[: how[1] % len(data)])
    if how[0] == "flip":
        data[how[1] % len(data)] ^= 1 << how[2]
        return bytes(data)
    if how[0] == "swap":
        a, b, width = how[1] % len(data), how[2] % len(data), how[3]
        first, second = data[a:a + width], data[b:b + width]
        if len(first) == len(second):
            data[a:a + width], data[b:b + width] = second, first
        return bytes(data)
    return bytes(data) + how[1]


@given(PLAINTEXTS, PLACES, TAMPERING)
def test_no_altered_ciphertext_decrypts(plaintext: bytes, place: tuple[str, str],
                                        how: tuple) -> None:  # type: ignore[type-arg]
    """Goal: forged data accepted. Any ciphertext that is not the one written (cut short, a
    bit flipped, slices swapped, bytes appended) is refused."""
    column, record_id = place
    ciphertext = em.encrypt_secure(KEY, plaintext, record_id=record_id, column=column)
    altered = tamper(ciphertext, how)
    if altered != ciphertext:
        assert _decrypts(altered, place) is None, how


@st.composite
def place_pairs(draw: st.DrawFn) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two places: independent, or the second cut from the first joined with a separator
    (or with none) and split again elsewhere, as an attacker aims at a naive encoding."""
    a = draw(PLACES)
    separator = draw(st.sampled_from((None, "|", ":", ".", "\x00", "")))
    if separator is None:
        return a, draw(PLACES)
    if separator and draw(st.booleans()):  # the separator inside a name, where it misleads
        a = (a[0], draw(NAMES) + separator + a[1]) if draw(st.booleans()) else \
            (a[0] + separator + draw(NAMES), a[1])
    joined = separator.join(a)
    cuts = [i for i in range(len(joined) + 1)
            if not separator or joined[i:i + len(separator)] == separator]
    k = draw(st.sampled_from(cuts))
    return a, (joined[:k], joined[k + len(separator):])


@given(place_pairs())
def test_associated_data_names_one_place_only(
        pair: tuple[tuple[str, str], tuple[str, str]]) -> None:
    """Goal: a record id chosen so that its associated data spells another row's. Distinct
    (column, record id) pairs never give the same associated data."""
    a, b = pair
    if a != b:
        assert em.associated_data(*a) != em.associated_data(*b), (a, b)


# -- Passwords: one password, in any spelling, and no other ------------------------------------

#: Pieces of a password: words, a NUL byte, a zero-width space, a combining accent and the
#: letter it combines into, full-width and ligature letters, and 72 bytes (where bcrypt
#: stops reading).
PW_PIECES = st.sampled_from(("dragon", "sunshine", "!!", "2019", "\x00", " ", "\u200b", "e",
                             "\u0301", "é", "ｄ", "ﬁ", "ß", "a" * 72))
PASSWORDS = st.lists(PW_PIECES, min_size=1, max_size=4).map("".join)
#: What the same user, or an attacker, types at login: the same password in another
#: normalisation form, with a piece added, with its last character dropped, or another one.
RESPELLINGS = st.sampled_from(("same", "NFC", "NFD", "NFKD", "append NUL", "append a",
                               "drop last", "upper"))


def respell(password: str, how: str) -> str:
    if how in ("NFC", "NFD", "NFKD"):
        return unicodedata.normalize(how, password)
    return {"same": password, "append NUL": password + "\x00", "append a": password + "a",
            "drop last": password[:-1], "upper": password.upper()}[how]


def _same_password(a: str, b: str) -> bool:
    return unicodedata.normalize("NFKC", a) == unicodedata.normalize("NFKC", b)


@settings(max_examples=12)
@given(PASSWORDS, RESPELLINGS, PASSWORDS)
def test_argon2_login_accepts_the_password_in_any_spelling_and_no_other(
        password: str, how: str, other: str) -> None:
    """Goal: a login with a password that is not the user's (one byte more past 72 bytes,
    a NUL byte, one character less); and the user locked out by another spelling of their
    own. Exactly the passwords with the same NFKC form verify."""
    stored = ph.hash_password_argon2(password)
    typed = respell(password, how)
    assert ph.verify_password_secure(stored, typed) == _same_password(password, typed), how
    assert ph.verify_password_secure(stored, other) == _same_password(password, other)


@pytest.fixture(scope="module")
def scrypt_stored() -> tuple[str, str]:
    password = "a" * 72 + "dragon\x00é ﬁ"
    return password, ph.hash_password_scrypt(password)


@settings(max_examples=4)
@given(RESPELLINGS)
def test_scrypt_login_accepts_the_password_in_any_spelling_and_no_other(
        scrypt_stored: tuple[str, str], how: str) -> None:
    """Goal as for Argon2, against one stored scrypt hash (each check costs 128 MiB)."""
    password, stored = scrypt_stored
    typed = respell(password, how)
    assert ph.verify_password_scrypt(stored, typed) == _same_password(password, typed), how


#: Spellings of a listed password: normalisation forms, full-width letters, and the same
#: text handed over as bytes or in a list.
LISTED_SPELLINGS = st.sampled_from(("NFC", "NFD", "fullwidth", "bytes", "list"))


def listed_spelling(word: str, how: str) -> object:
    if how == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    if how == "bytes":
        return word.encode()
    if how == "list":
        return [word]
    return unicodedata.normalize(how, word)


@given(st.sampled_from(ph.word_list()), LISTED_SPELLINGS)
def test_no_spelling_of_a_listed_password_is_stored(word: str, how: str) -> None:
    """Goal: a breached password in the table, in a spelling the breach check did not
    recognise. Every spelling is refused at sign-up (BreachedPassword, or TypeError for
    anything but a str)."""
    with pytest.raises((ph.BreachedPassword, TypeError)):
        ph.hash_password_secure(listed_spelling(word, how))  # type: ignore[arg-type]


# -- Comparing secrets ---------------------------------------------------------------------

SECRET = b"0123456789abcdef0123456789abcdef"
#: What an attacker sends for a token: a prefix or an extension of the secret, the secret
#: with one byte changed, nothing, and the other things a JSON body can hold.
GUESSES = st.one_of(
    st.integers(0, len(SECRET)).map(lambda n: SECRET[:n]),
    st.binary(max_size=8).map(lambda tail: SECRET + tail),
    st.tuples(st.integers(0, len(SECRET) - 1), st.integers(1, 255)).map(
        lambda p: SECRET[:p[0]] + bytes([SECRET[p[0]] ^ p[1]]) + SECRET[p[0] + 1:]),
    st.binary(max_size=40),
    st.sampled_from(([], [0], {}, "", None, 0, SECRET.decode())),
)


@given(GUESSES)
def test_only_the_secret_itself_is_accepted(guess: object) -> None:
    """Goal: a token accepted without knowing the secret. Only the secret's own bytes are
    accepted; every other value is refused or raises TypeError."""
    try:
        accepted = sc.token_matches_secure(guess, SECRET)  # type: ignore[arg-type]
    except TypeError:
        accepted = False
    assert accepted == (guess == SECRET), guess


# -- TLS: the secret goes only to a certificate for the server's name ----------------------

#: Labels of a certificate name: the server's own, the attacker's domain, wildcards whole
#: and partial, another case, a NUL byte, an empty label (a doubled or trailing dot).
LABELS = st.sampled_from(("api", "internal", "example", "attacker", "*", "a*", "*i", "API",
                          "Internal", "\x00", "", "api-internal", "xn--pi-8ka"))
CERT_NAMES = st.lists(LABELS, min_size=1, max_size=5).map(".".join)


def names_the_server(san: str) -> bool:
    """The oracle: RFC 6125 matching as the book's secure client should apply it, the name
    itself in any case, or a wildcard that is the whole left-most label."""
    san, host = san.lower(), tls.SERVER_NAME.lower()
    if san == host:
        return True
    first, _, rest = host.partition(".")
    return san == f"*.{rest}" and bool(first)


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[tls.Pki, tls.Authority, object]]:
    with private_tmpdir() as tmp:
        pki, authority = tls.make_lab(tmp)
        yield pki, authority, tmp


@given(st.lists(CERT_NAMES, min_size=1, max_size=3))
def test_the_secret_goes_only_to_a_certificate_for_the_servers_name(
        lab: tuple[tls.Pki, tls.Authority, object], names: list[str]) -> None:
    """Goal: the client's secret, sent to a server whose certificate, from the trusted
    authority, names something else. The secret is sent if and only if one of the
    certificate's names is the server's name (or a wildcard for its parent domain)."""
    pki, authority, tmp = lab
    chain = tls.issue(tmp, "candidate", authority, names)  # type: ignore[arg-type]
    exchange = tls.exchange_with(tls.send_secret_secure, chain, pki.trusted_ca)
    sent = tls.SECRET in exchange.server_received
    assert sent == any(names_the_server(n) for n in names), (names, exchange.client)
