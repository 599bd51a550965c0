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

def test_users_passwords_are_in_the_word_list_but_not_first() -> None:
    words = password_hashing.word_list()
    assert len(words) == len(set(words)) == 24
    assert [words.index(p) for p in password_hashing.USERS.values()] == [22, 14, 22]


def test_fast_hashes_need_one_pass_over_the_list_for_the_whole_table() -> None:
    for func in (password_hashing.hash_password_insecure, password_hashing.hash_password_sha256):
        result = password_hashing.crack(password_hashing.leaked_table(func), password_hashing.word_list())
        assert result.recovered == password_hashing.USERS
        assert result.shared_hashes == [("alice", "carol")]
        assert result.guesses == 23 and not result.exhausted  # sunshine2019 is word 23


def test_a_slow_hash_alone_still_gives_up_weak_passwords() -> None:
    """Argon2id costs time per guess and per salt; the listed passwords fall all the same."""
    table = password_hashing.leaked_table(password_hashing.hash_password_argon2)
    result = password_hashing.crack(table, password_hashing.word_list())
    assert result.recovered == password_hashing.USERS
    assert result.shared_hashes == []  # salted: equal passwords, different hashes
    assert result.guesses == 23 + 15 + 23  # every salt is attacked on its own


def test_the_secure_version_refuses_breached_passwords_and_salts_the_rest() -> None:
    with pytest.raises(password_hashing.BreachedPassword):
        password_hashing.hash_password_secure("sunshine2019")
    first = password_hashing.hash_password_secure("correct horse battery staple")
    second = password_hashing.hash_password_secure("correct horse battery staple")
    assert first != second and first.startswith("$argon2id$")
    assert password_hashing.verify_password_secure(first, "correct horse battery staple")
    assert not password_hashing.verify_password_secure(first, "correct horse battery stapler")


def test_costs_are_measured_for_every_scheme() -> None:
    costs = {c.scheme: c for c in password_hashing.costs()}
    assert list(costs) == ["MD5", "SHA-256", "scrypt (16 MiB)", "Argon2id (19 MiB, t=2)"]
    for cost in costs.values():
        assert cost.seconds_per_guess > 0 and cost.list_length == 24
        assert cost.seconds_for_list == cost.seconds_per_guess * 24


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


def test_the_weak_key_is_really_weak_and_its_private_key_is_recovered() -> None:
    key = key_sizes.generate_signing_key_insecure()
    n = key.public_key().public_numbers().n
    assert n.bit_length() == key_sizes.WEAK_BITS
    result = key_sizes.factor_public_key(key.public_key(), message=31337)
    p = result.factor
    assert p is not None and n % p == 0 and 1 < p < n
    assert {p, n // p} == {key.private_numbers().p, key.private_numbers().q}
    assert result.broken and result.recovered == 31337


def test_a_real_rsa_key_is_not_factored_in_the_attackers_time() -> None:
    rsa2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    result = key_sizes.factor_public_key(rsa2048, max_steps=2**12)
    assert result.factor is None and not result.broken and result.recovered is None
    assert result.steps > 2**12


def test_rsa_key_from_primes_signs_and_verifies() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = key_sizes.rsa_key_from_primes(key_sizes.random_prime(512), key_sizes.random_prime(512))
    signature = key.sign(b"release 1.0", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(signature, b"release 1.0", padding.PKCS1v15(), hashes.SHA256())


def test_bandit_sees_the_library_call_not_the_hand_made_key() -> None:
    from pysecbook.teaching.sast import scan_function

    assert "B505" in scan_function(key_sizes.generate_rsa_1024).test_ids
    assert "B505" not in scan_function(key_sizes.generate_signing_key_insecure).test_ids


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
