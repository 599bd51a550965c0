"""AES in ECB mode shows which plaintexts are equal; AES-GCM hides it and detects tampering.

ECB encrypts each 16-byte block on its own with the same key, so equal plaintext blocks give
equal ciphertext blocks, and equal records give equal ciphertexts: an attacker who reads the
encrypted column learns which rows hold the same value. AES-GCM uses a fresh nonce per
message (equal records encrypt differently) and authenticates the ciphertext (a flipped bit
makes decryption fail instead of returning altered data).

Authentication covers only what is authenticated. GCM with no associated data accepts a
ciphertext in any row: copied from Alice's row into Bob's, it decrypts to Alice's record. The
secure version binds each ciphertext to its column and its row (as associated data), so a
ciphertext moved anywhere else is refused. The adapted attacks move, tamper with and
re-encrypt rows the way someone with write access to the database (but not the key) would.
Book page: ``book/practices/sensitive-data``.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable

from cryptography.exceptions import InvalidTag

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The encrypted column of the demonstration: one salary band per employee.
RECORDS: dict[str, bytes] = {
    "alice": b"salary band: E7 (executive)",
    "bob": b"salary band: S2 (staff)",
    "carol": b"salary band: E7 (executive)",
    "dave": b"salary band: S2 (staff)",
    "erin": b"salary band: S3 (senior staff)",
}

#: The column the records live in: the purpose each ciphertext is bound to.
COLUMN = "employees.salary_band"
#: Another column encrypted with the same key, whose plaintext each employee chooses.
NOTE_COLUMN = "employees.profile_note"

#: Bytes GCM adds to a record: the 12-byte nonce stored before it and the 16-byte tag after.
NONCE_BYTES = 12
TAG_BYTES = 16

Encrypt = Callable[..., bytes]


def encrypt_insecure(key: bytes, plaintext: bytes, *, record_id: str, column: str) -> bytes:
    """Encrypt with AES in ECB mode (PKCS7 padding): each block on its own.

    ``record_id`` and ``column`` are accepted, as the secure version's are, and unused:
    nothing ties the ciphertext to its row.
    """
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    del record_id, column
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # nosec B305 - deliberately insecure: demonstration of PSB-CRYPTO-ECB-MODE
    return encryptor.update(padded) + encryptor.finalize()


def decrypt_insecure(key: bytes, ciphertext: bytes, *, record_id: str, column: str) -> bytes:
    """Decrypt what :func:`encrypt_insecure` produced. Nothing checks the ciphertext."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    del record_id, column
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # nosec B305 - deliberately insecure: demonstration of PSB-CRYPTO-ECB-MODE
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def encrypt_first_try(key: bytes, plaintext: bytes, *, record_id: str, column: str) -> bytes:
    """The first fix: AES-GCM with a fresh random nonce, and no associated data.

    Equal records no longer look equal and a changed bit is detected, but the tag says only
    "this ciphertext was made with this key", not "for this row": kept to show a ciphertext
    moved to another row or column being accepted there.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    del record_id, column
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def decrypt_first_try(key: bytes, ciphertext: bytes, *, record_id: str, column: str) -> bytes:
    """Decrypt what :func:`encrypt_first_try` produced: any row's ciphertext, in any row."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    del record_id, column
    return AESGCM(key).decrypt(ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:], None)


def associated_data(column: str, record_id: str) -> bytes:
    """What a ciphertext is bound to: a format label, its column and its row's id.

    Each field is written as its UTF-8 length (4 bytes, big-endian) followed by its bytes, so
    no two (column, record id) pairs give the same bytes. Joining with a separator would not
    do: ``"a|b", "c"`` and ``"a", "b|c"`` both give ``a|b|c``, and a record id is often chosen
    by a user.
    """
    if not isinstance(column, str) or not isinstance(record_id, str):
        raise TypeError("column and record_id must be str (the same type at encryption and "
                        f"decryption), not {type(column).__name__}, {type(record_id).__name__}")
    fields = (b"pysecbook-record-v1", column.encode("utf-8"), record_id.encode("utf-8"))
    return b"".join(struct.pack(">I", len(field)) + field for field in fields)


def encrypt_secure(key: bytes, plaintext: bytes, *, record_id: str, column: str) -> bytes:
    """Encrypt one field with AES-GCM, bound to its column and its row.

    A fresh random 96-bit nonce per call is stored before the ciphertext; the column and the
    record id are authenticated as associated data (:func:`associated_data`), so the result
    decrypts only as that column of that row (:func:`decrypt_secure`).

    Assumes: the key is random (32 bytes from ``os.urandom``), is kept outside the database,
    and serves this one purpose (no other code encrypts or signs with it); record ids are
    stable and unique within the column; and one key encrypts fewer than 2**32 values. With
    random 96-bit nonces, NIST SP 800-38D allows 2**32 encryptions per key: after q of them
    the chance that two share a nonce is about q**2 / 2**97 (about 2**-33 at 2**32), and a
    repeated nonce reveals the XOR of two plaintexts and lets an attacker forge tags.
    Rotate the key well before that count.
    Does not stop: replay of an older ciphertext of the same column of the same row: a
    restored backup or a rolled-back row decrypts, because the associated data names the
    place, not the time (bind a version number, kept where the writer cannot roll it back,
    if that matters); deletion of a row; and what the ciphertext shows without decryption:
    the plaintext's length (28 bytes are added, nothing is padded) and which rows changed
    when.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aad = associated_data(column, record_id)
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt_secure(key: bytes, ciphertext: bytes, *, record_id: str, column: str) -> bytes:
    """Decrypt and authenticate one field of one row; raises ``InvalidTag`` if a single bit of
    the ciphertext was changed, if it was cut short, or if it was made for another row or
    column."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aad = associated_data(column, record_id)
    if len(ciphertext) < NONCE_BYTES + TAG_BYTES:
        raise InvalidTag()
    return AESGCM(key).decrypt(ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:], aad)


def encrypt_nonce_from_row(key: bytes, plaintext: bytes, *, record_id: str, column: str) -> bytes:
    """Another fix, as it is sometimes written: the row is bound, and the nonce is derived from
    it, so that encrypting the same row again gives the same bytes.

    Kept to show nonce reuse: when the row's value changes, the new value is encrypted under
    the same key and the same nonce as the old one.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aad = associated_data(column, record_id)
    nonce = hashlib.sha256(aad).digest()[:NONCE_BYTES]
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt_nonce_from_row(key: bytes, ciphertext: bytes, *, record_id: str, column: str) -> bytes:
    """Decrypt what :func:`encrypt_nonce_from_row` produced."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aad = associated_data(column, record_id)
    return AESGCM(key).decrypt(ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:], aad)


#: Each encryption function and the decryption that the application pairs with it.
DECRYPTORS: dict[Encrypt, Callable[..., bytes]] = {
    encrypt_insecure: decrypt_insecure,
    encrypt_first_try: decrypt_first_try,
    encrypt_nonce_from_row: decrypt_nonce_from_row,
    encrypt_secure: decrypt_secure,
}


def decryptor_for(encrypt: Encrypt) -> Callable[..., bytes]:
    """The decryption function that goes with ``encrypt``."""
    return DECRYPTORS[encrypt]


def new_key() -> bytes:
    """A random 256-bit AES key."""
    return os.urandom(32)


def encrypted_column(encrypt: Encrypt, key: bytes | None = None) -> dict[str, bytes]:
    """The column as stored: each employee's record encrypted under one key, for its row."""
    key = key or new_key()
    return {user: encrypt(key, record, record_id=user, column=COLUMN)
            for user, record in RECORDS.items()}


def read_row(encrypt: Encrypt, key: bytes, ciphertext: bytes, record_id: str,
             column: str = COLUMN) -> bytes | None:
    """What the application shows for one field of one row: the decrypted value, or None when
    decryption refuses the ciphertext."""
    try:
        return decryptor_for(encrypt)(key, ciphertext, record_id=record_id, column=column)
    except (InvalidTag, ValueError):  # a bad tag, or (ECB) bad padding
        return None


def equal_groups(column: dict[str, bytes]) -> list[tuple[str, ...]]:
    """What the attacker reads without the key: which users have identical ciphertexts."""
    groups: dict[bytes, list[str]] = {}
    for user, ciphertext in column.items():
        groups.setdefault(ciphertext, []).append(user)
    return [tuple(users) for users in groups.values() if len(users) > 1]


def blocks(ciphertext: bytes, width: int = 8) -> str:
    """The ciphertext as 16-byte blocks, each shown by its first ``width`` hex digits."""
    return " ".join(ciphertext[i : i + 16].hex()[:width] for i in range(0, len(ciphertext), 16))


def flip_bit(ciphertext: bytes, index: int, bit: int = 0) -> bytes:
    """The ciphertext with one bit changed, as an attacker with write access would."""
    changed = bytearray(ciphertext)
    changed[index] ^= 1 << bit
    return bytes(changed)


def attack(func: Encrypt) -> Outcome:
    """Read the encrypted column and group the users whose ciphertexts are identical."""
    groups = equal_groups(encrypted_column(func))
    found = "; ".join(" = ".join(g) for g in groups) or "none"
    return Outcome(
        attack_succeeded=bool(groups),
        observed=f"{len(RECORDS)} ciphertexts; users with identical ciphertexts (hence equal records): {found}",
    )


def _shown(value: bytes | None) -> str:
    return "refused (decryption failed)" if value is None else repr(value)


def attack_swap_rows(encrypt: Encrypt) -> Outcome:
    """Bob, who can write to the database but has no key, copies Alice's ciphertext into his
    own row and opens his profile: does the application show him Alice's record?"""
    key = new_key()
    column = encrypted_column(encrypt, key)
    column["bob"] = column["alice"]
    shown = read_row(encrypt, key, column["bob"], "bob")
    return Outcome(shown == RECORDS["alice"],
                   f"Bob's row, holding Alice's ciphertext, read as {_shown(shown)}")


def attack_other_column(encrypt: Encrypt) -> Outcome:
    """Bob writes the salary band he wants into his profile note, a column the application
    encrypts with the same key, then copies that ciphertext into his salary band."""
    key = new_key()
    column = encrypted_column(encrypt, key)
    wanted = RECORDS["alice"]
    note = encrypt(key, wanted, record_id="bob", column=NOTE_COLUMN)
    column["bob"] = note
    shown = read_row(encrypt, key, column["bob"], "bob")
    return Outcome(shown == wanted,
                   f"Bob's salary band, holding his own profile note's ciphertext, read as "
                   f"{_shown(shown)}")


def attack_nonce_reuse(encrypt: Encrypt) -> Outcome:
    """Erin's band changes from S3 to E7. The attacker knows her old band, keeps the old
    ciphertext from a backup, and XORs it with the new one and the old value: with the same
    nonce, that is the new value."""
    key = new_key()
    old_value = RECORDS["erin"]
    new_value = RECORDS["alice"]
    old = encrypt(key, old_value, record_id="erin", column=COLUMN)
    new = encrypt(key, new_value, record_id="erin", column=COLUMN)
    body_old = old[NONCE_BYTES:-TAG_BYTES] if len(old) > NONCE_BYTES + TAG_BYTES else old
    body_new = new[NONCE_BYTES:-TAG_BYTES] if len(new) > NONCE_BYTES + TAG_BYTES else new
    n = min(len(body_old), len(body_new), len(old_value))
    guess = bytes(a ^ b ^ c for a, b, c in zip(body_old[:n], body_new[:n], old_value[:n]))
    same_nonce = old[:NONCE_BYTES] == new[:NONCE_BYTES]
    return Outcome(guess == new_value[:n],
                   f"nonces {'equal' if same_nonce else 'different'}; old ciphertext XOR new "
                   f"ciphertext XOR old value = {guess!r}")


def tampered_versions(ciphertext: bytes, other: bytes) -> dict[str, bytes]:
    """What a writer without the key can make of one stored ciphertext: a flipped bit, a
    ciphertext cut short (by one byte, by a block, by the tag), its blocks swapped, and its
    first block spliced onto another row's last."""
    versions = {
        "one bit flipped": flip_bit(ciphertext, min(NONCE_BYTES, len(ciphertext) - 1)),
        "last byte cut": ciphertext[:-1],
        "last block cut": ciphertext[:-16],
        "12 bytes cut (4 of the tag left)": ciphertext[:-12],
    }
    if len(ciphertext) >= 32:
        versions["first two blocks swapped"] = ciphertext[16:32] + ciphertext[:16] + ciphertext[32:]
        versions["spliced with another row"] = ciphertext[:16] + other[16:]
    return versions


def attack_tamper(encrypt: Encrypt) -> Outcome:
    """Change Alice's stored ciphertext without the key (flip a bit, cut it short, swap or
    splice its blocks): is any altered ciphertext read back as a different record?"""
    key = new_key()
    column = encrypted_column(encrypt, key)
    accepted = []
    for label, version in tampered_versions(column["alice"], column["bob"]).items():
        shown = read_row(encrypt, key, version, "alice")
        if shown is not None and shown != RECORDS["alice"]:
            accepted.append(f"{label} -> {shown!r}")
    return Outcome(bool(accepted),
                   "accepted: " + "; ".join(accepted) if accepted
                   else "every altered ciphertext was refused")


RISK = register(
    Risk(
        id="PSB-CRYPTO-ECB-MODE",
        title="AES in ECB mode",
        summary=(
            "ECB encrypts equal blocks to equal ciphertext, so equal records are visible as "
            "equal, and nothing detects tampering; use an AEAD mode such as AES-GCM, with the "
            "row and column as associated data."
        ),
        cwe=327,
        bandit=("B305",),
        modules=("cryptography",),
        page="practices/sensitive-data",
        insecure=encrypt_insecure,
        secure=encrypt_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("Alice's ciphertext copied into Bob's row", "crypto",
                          attack_swap_rows, beats=encrypt_first_try),
            AdaptedAttack("a ciphertext of the attacker's choosing, made by the same key for "
                          "another column, copied into the salary column", "crypto",
                          attack_other_column, beats=encrypt_first_try),
            AdaptedAttack("an old and a new ciphertext of one row XORed, with the old value "
                          "known (nonce reuse)", "crypto", attack_nonce_reuse,
                          beats=encrypt_nonce_from_row),
            AdaptedAttack("a bit flipped, the ciphertext or its tag cut short, blocks swapped "
                          "or spliced from another row", "crypto", attack_tamper),
        ),
    )
)
