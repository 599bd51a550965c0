"""AES in ECB mode shows which plaintexts are equal; AES-GCM hides it and detects tampering.

ECB encrypts each 16-byte block on its own with the same key, so equal plaintext blocks give
equal ciphertext blocks, and equal records give equal ciphertexts: an attacker who reads the
encrypted column learns which rows hold the same value. AES-GCM uses a fresh nonce per
message (equal records encrypt differently) and authenticates the ciphertext (a flipped bit
makes decryption fail instead of returning altered data).
Book page: ``book/practices/sensitive-data``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pysecbook.teaching.risks import Outcome, Risk, register

#: The encrypted column of the demonstration: one salary band per employee.
RECORDS: dict[str, bytes] = {
    "alice": b"salary band: E7 (executive)",
    "bob": b"salary band: S2 (staff)",
    "carol": b"salary band: E7 (executive)",
    "dave": b"salary band: S2 (staff)",
    "erin": b"salary band: S3 (senior staff)",
}


def encrypt_insecure(key: bytes, plaintext: bytes) -> bytes:
    """Encrypt with AES in ECB mode (PKCS7 padding): each block on its own."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # nosec B305 - deliberately insecure: demonstration of PSB-CRYPTO-ECB-MODE
    return encryptor.update(padded) + encryptor.finalize()


def decrypt_insecure(key: bytes, ciphertext: bytes) -> bytes:
    """Decrypt what :func:`encrypt_insecure` produced. Nothing checks the ciphertext."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # nosec B305 - deliberately insecure: demonstration of PSB-CRYPTO-ECB-MODE
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def encrypt_secure(key: bytes, plaintext: bytes) -> bytes:
    """Encrypt with AES-GCM: a fresh 96-bit nonce per message, stored before the ciphertext."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def decrypt_secure(key: bytes, ciphertext: bytes) -> bytes:
    """Decrypt and authenticate; raises ``InvalidTag`` if a single bit was changed."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).decrypt(ciphertext[:12], ciphertext[12:], None)


def new_key() -> bytes:
    """A random 256-bit AES key."""
    return os.urandom(32)


def encrypted_column(encrypt: Callable[[bytes, bytes], bytes]) -> dict[str, bytes]:
    """The column as stored: each employee's record encrypted under one key."""
    key = new_key()
    return {user: encrypt(key, record) for user, record in RECORDS.items()}


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


def attack(func: Callable[[bytes, bytes], bytes]) -> Outcome:
    """Read the encrypted column and group the users whose ciphertexts are identical."""
    groups = equal_groups(encrypted_column(func))
    found = "; ".join(" = ".join(g) for g in groups) or "none"
    return Outcome(
        attack_succeeded=bool(groups),
        observed=f"{len(RECORDS)} ciphertexts; users with identical ciphertexts (hence equal records): {found}",
    )


RISK = register(
    Risk(
        id="PSB-CRYPTO-ECB-MODE",
        title="AES in ECB mode",
        summary=(
            "ECB encrypts equal blocks to equal ciphertext, so equal records are visible as "
            "equal, and nothing detects tampering; use an AEAD mode such as AES-GCM."
        ),
        cwe=327,
        bandit=("B305",),
        modules=("cryptography",),
        page="practices/sensitive-data",
        insecure=encrypt_insecure,
        secure=encrypt_secure,
        attack=attack,
    )
)
