"""Unit tests of the practices risks on passwords, sensitive data and randomness.

The generic tests in tests/test_risks.py run each attack both ways; these check the pieces
the pages rely on (untempering, the word list, the bytecode reader, the toy factoring...).
"""

from __future__ import annotations

import random

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pysecbook.teaching.risks import encryption_modes, hardcoded_secrets, key_sizes, password_hashing
from pysecbook.teaching.risks import randomness, secret_comparison, tls_verification
from pysecbook.teaching.sast import is_bandit_rule, scan_function


# -- randomness -------------------------------------------------------------------------

def _temper(y: int) -> int:
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    return y ^ (y >> 18)


def test_untemper_inverts_tempering() -> None:
    rng = random.Random(1)  # noqa: S311 - test data
    for _ in range(2000):
        word = rng.getrandbits(32)
        assert randomness.untemper(_temper(word)) == word


def test_token_words_are_in_generation_order() -> None:
    a, b = random.Random(7), random.Random(7)  # noqa: S311 - test data
    token = f"{a.getrandbits(128):032x}"
    assert randomness.token_words(token) == [b.getrandbits(32) for _ in range(4)]


def test_prediction_from_an_independent_generator() -> None:
    victim = random.Random(2024)  # noqa: S311 - test data
    victim.getrandbits(32 * 5)  # start at an arbitrary position
    tokens = [f"{victim.getrandbits(128):032x}" for _ in range(randomness.TOKENS_OBSERVED)]
    predicted = randomness.predict(tokens, count=5)
    assert predicted == [f"{victim.getrandbits(128):032x}" for _ in range(5)]


# -- passwords ----------------------------------------------------------------------------

def test_users_passwords_are_in_the_word_list_but_not_near_the_top() -> None:
    words = password_hashing.word_list()
    assert len(words) == len(set(words)) == 600
    for password in password_hashing.USERS.values():
        assert words.index(password) > 100


def test_fast_hashes_are_cracked_and_share_equal_passwords() -> None:
    for func in (password_hashing.hash_password_insecure, password_hashing.hash_password_sha256):
        result = password_hashing.crack(password_hashing.leaked_table(func), password_hashing.word_list())
        assert result.recovered == password_hashing.USERS
        assert result.shared_hashes == [("alice", "carol")]


def test_argon2_hash_verifies_and_is_salted() -> None:
    first = password_hashing.hash_password_secure("sunshine2019")
    second = password_hashing.hash_password_secure("sunshine2019")
    assert first != second and first.startswith("$argon2id$")
    assert password_hashing.verify_password_secure(first, "sunshine2019")
    assert not password_hashing.verify_password_secure(first, "sunshine2018")


def test_scrypt_format_is_understood_by_the_attacker() -> None:
    stored = password_hashing.hash_password_scrypt("dragon!!")
    assert password_hashing._guess_matches(stored, "dragon!!")
    assert not password_hashing._guess_matches(stored, "dragon!")


def test_usedforsecurity_false_silences_b324_only_where_declared() -> None:
    assert "B324" not in scan_function(password_hashing.checksum).test_ids
    assert "B324" in scan_function(password_hashing.hash_password_insecure).test_ids
    assert not scan_function(password_hashing.hash_password_sha256).test_ids


# -- secret comparison --------------------------------------------------------------------

def test_timing_probe_verdict() -> None:
    clear = secret_comparison.TimingProbe([100.0, 100.0, 900.0, 110.0], true_index=2)
    assert clear.slowest == 2 and clear.margin > secret_comparison.MARGIN
    flat = secret_comparison.TimingProbe([200.0, 201.0, 199.0, 200.0], true_index=0)
    assert flat.margin < 1.1


def test_both_comparisons_agree_on_the_answer() -> None:
    for check in (secret_comparison.token_matches_insecure, secret_comparison.token_matches_secure):
        assert check(b"same", b"same") and not check(b"same", b"diff")


# -- secrets in the source -------------------------------------------------------------------

def test_bytecode_reader_decodes_base64(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pyc = hardcoded_secrets.ship_bytecode(hardcoded_secrets.load_api_token_obfuscated, tmp_path)
    assert pyc.suffix == ".pyc" and not (tmp_path / "settings.py").exists()
    assert hardcoded_secrets.load_api_token_obfuscated() in hardcoded_secrets.strings_in_bytecode(pyc)


def test_obfuscation_fools_bandit_but_not_the_attacker() -> None:
    assert hardcoded_secrets.attack(hardcoded_secrets.load_api_token_obfuscated).attack_succeeded
    # Bandit's own rules; the project's PSB601 flags the lenient b64decode, not the secret.
    found = scan_function(hardcoded_secrets.load_api_token_obfuscated).test_ids
    assert not {rule for rule in found if is_bandit_rule(rule)}, found


def test_secure_loader_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_TOKEN", "from-the-environment")
    assert hardcoded_secrets.load_api_token_secure() == "from-the-environment"


# -- encryption modes ------------------------------------------------------------------------

def test_round_trips_and_tampering() -> None:
    key = encryption_modes.new_key()
    record = encryption_modes.RECORDS["alice"]
    ecb = encryption_modes.encrypt_insecure(key, record)
    gcm = encryption_modes.encrypt_secure(key, record)
    assert encryption_modes.decrypt_insecure(key, ecb) == record
    assert encryption_modes.decrypt_secure(key, gcm) == record
    tampered = encryption_modes.decrypt_insecure(key, encryption_modes.flip_bit(ecb, 0))
    assert tampered != record and tampered[16:] == record[16:]
    with pytest.raises(InvalidTag):
        encryption_modes.decrypt_secure(key, encryption_modes.flip_bit(gcm, 12))


def test_ecb_repeats_blocks_within_one_message() -> None:
    ciphertext = encryption_modes.encrypt_insecure(encryption_modes.new_key(), b"A" * 32)
    assert ciphertext[:16] == ciphertext[16:32]


# -- key sizes --------------------------------------------------------------------------------

def test_security_strength_table() -> None:
    rsa2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    assert key_sizes.security_strength(rsa2048) == ("RSA-2048", 112)
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert key_sizes.security_strength(p256) == ("ECDSA secp256r1", 128)


@pytest.mark.parametrize("bits", sorted(key_sizes.TOY_PRIMES))
def test_toy_key_is_broken(bits: int) -> None:
    toy = key_sizes.break_toy_key(bits, message=1234)
    assert toy.p * toy.q == toy.n and toy.recovered_message == 1234
    assert toy.modulus_bits in (bits - 1, bits)


# -- TLS --------------------------------------------------------------------------------------

def test_secure_client_talks_to_the_genuine_server() -> None:
    exchange = tls_verification.connect(tls_verification.send_secret_secure, "genuine")
    assert exchange.server_received == tls_verification.SECRET


def test_secure_client_refuses_a_trusted_certificate_for_another_name() -> None:
    exchange = tls_verification.connect(tls_verification.send_secret_secure, "wrong_name")
    assert exchange.client.startswith("refused: Hostname mismatch")
    assert exchange.server_received == b""
