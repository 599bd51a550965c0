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
from pysecbook.teaching.risks import get
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
    assert list(costs) == ["MD5", "SHA-256", "scrypt (128 MiB)", "Argon2id (19 MiB, t=2)"]
    for cost in costs.values():
        assert cost.seconds_per_guess > 0 and cost.list_length == 24
        assert cost.seconds_for_list == cost.seconds_per_guess * 24


def test_scrypt_format_is_understood_by_the_attacker() -> None:
    stored = password_hashing.hash_password_scrypt("dragon!!")
    assert password_hashing._guess_matches(stored, "dragon!!")
    assert not password_hashing._guess_matches(stored, "dragon!")


def test_scrypt_stores_owasp_minimum_parameters_with_the_hash() -> None:
    """The weakness that was here: N=2**14, an eighth of OWASP's minimum, and no way to read
    the parameters back from what was stored."""
    stored = password_hashing.hash_password_scrypt("correct horse battery staple")
    assert stored.startswith("$scrypt$n=131072,r=8,p=1$")
    assert (password_hashing.SCRYPT_N, password_hashing.SCRYPT_R, password_hashing.SCRYPT_P) == (2**17, 8, 1)
    assert password_hashing.below_minimum(stored) is None
    assert password_hashing.below_minimum(password_hashing.hash_password_scrypt_first_try("x"))
    assert not password_hashing.scrypt_needs_rehash(stored)
    assert password_hashing.scrypt_needs_rehash(password_hashing.with_parameters(stored, "n=16384,r=8,p=1"))


def test_scrypt_maxmem_is_exactly_what_this_openssl_needs() -> None:
    """128·r·(N + p + 2) bytes: one byte less is refused, and the default (32 MiB) is far too
    little for N=2**17. Measured on the interpreter running the tests."""
    import hashlib

    n, r, p = 2**17, 8, 1
    need = password_hashing.scrypt_maxmem(n, r, p)
    assert need == 134_220_800
    hashlib.scrypt(b"pw", salt=b"s" * 16, n=n, r=r, p=p, maxmem=need, dklen=32)
    for too_little in (need - 1, 0):
        with pytest.raises(ValueError, match="memory limit exceeded"):
            hashlib.scrypt(b"pw", salt=b"s" * 16, n=n, r=r, p=p, maxmem=too_little, dklen=32)


def test_scrypt_verification_accepts_only_what_it_issued(monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    stored = password_hashing.hash_password_scrypt("dragon!!")
    verify = password_hashing.verify_password_scrypt
    assert verify(stored, "dragon!!") and not verify(stored, "dragon!")
    cheap = password_hashing.with_parameters(stored, "n=2,r=8,p=1")
    ruinous = password_hashing.with_parameters(stored, "n=1048576,r=8,p=1")
    short = stored[:-62]  # a digest cut to one byte, as a narrowed column would
    computed: list[dict[str, object]] = []
    real = hashlib.scrypt

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        computed.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    for bad in (cheap, ruinous, short, stored.upper(), stored + "00", ""):
        assert not verify(bad, "dragon!!"), bad
    assert computed == []  # refused before any scrypt is computed (counted, not timed)
    assert verify(stored, "dragon!!") and len(computed) == 1  # the count sees a real one


def test_scrypt_verification_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((type(a), type(b), len(a), len(b)))
        return original(a, b)

    stored = password_hashing.hash_password_scrypt("dragon!!")
    monkeypatch.setattr(password_hashing.hmac, "compare_digest", spy)
    assert password_hashing.verify_password_scrypt(stored, "dragon!!")
    assert calls == [(bytes, bytes, 32, 32)]


def test_argon2_verification_refuses_parameters_it_did_not_issue() -> None:
    """A stored hash chooses nothing: downgraded (m=8 KiB, t=1) or ruinous parameters are
    refused, though the hash is a correct one of the right password."""
    from argon2.low_level import Type, hash_secret

    salt = b"0123456789abcdef"
    for m, t in ((8, 1), (19_456, 1), (65_536, 2)):
        stored = hash_secret(b"correct horse", salt, time_cost=t, memory_cost=m, parallelism=1,
                             hash_len=32, type=Type.ID).decode()
        assert password_hashing.verify_password_first_try(stored, "correct horse")
        assert not password_hashing.verify_password_secure(stored, "correct horse")
    good = password_hashing.hash_password_secure("correct horse battery staple")
    assert password_hashing.verify_password_secure(good, "correct horse battery staple")
    assert not password_hashing.verify_password_secure(good[:-10], "correct horse battery staple")


def test_passwords_are_str_and_normalised_before_the_breach_check() -> None:
    """The bytes bypass of the first version, and two spellings of one password."""
    with pytest.raises(password_hashing.BreachedPassword):  # the first version stored it
        password_hashing.hash_password_first_try("dragon!!")
    password_hashing.hash_password_first_try(b"dragon!!")  # type: ignore[arg-type]
    for odd in (b"dragon!!", None, ["dragon!!"]):
        with pytest.raises(TypeError):
            password_hashing.hash_password_secure(odd)  # type: ignore[arg-type]
    with pytest.raises(password_hashing.BreachedPassword):  # full-width letters and digits
        password_hashing.hash_password_secure("ｓｕｎｓｈｉｎｅ２０１９")
    stored = password_hashing.hash_password_secure("caf\u00e9 au lait, tr\u00e8s chaud")
    assert password_hashing.verify_password_secure(stored, "cafe\u0301 au lait, tre\u0300s chaud")
    assert not password_hashing.verify_password_secure(stored, "cafe au lait, tres chaud")
    with pytest.raises(TypeError):
        password_hashing.verify_password_secure(stored, b"anything")  # type: ignore[arg-type]


def test_usedforsecurity_false_silences_b324_only_where_declared() -> None:
    assert "B324" not in scan_function(password_hashing.checksum).test_ids
    assert "B324" in scan_function(password_hashing.hash_password_insecure).test_ids
    assert not scan_function(password_hashing.hash_password_sha256).test_ids


# -- secret comparison --------------------------------------------------------------------

def test_the_hand_written_loop_accepts_any_prefix_of_the_secret() -> None:
    secret = b"0123456789abcdef"
    first_try = secret_comparison.token_matches_first_try
    assert first_try(b"", secret) and first_try(secret[:3], secret) and first_try([], secret)
    assert not secret_comparison.token_matches_secure(secret[:3], secret)
    with pytest.raises(TypeError):
        secret_comparison.token_matches_secure([], secret)  # type: ignore[arg-type]


def test_length_inference() -> None:
    step = secret_comparison.LENGTH_PROBES
    knee = [float(min(n, step[2])) for n in step]
    assert secret_comparison.infer_length(knee) == step[2]
    assert secret_comparison.infer_length([100.0] * len(step)) is None


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


def test_secure_loader_reads_the_file_the_environment_names(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token_file = tmp_path / "app_token"
    token_file.write_text("from-the-token-file-0123\n", encoding="utf-8")
    monkeypatch.setenv("APP_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("APP_TOKEN", "ignored-by-the-secure-loader")
    assert hardcoded_secrets.load_api_token_secure() == "from-the-token-file-0123"


@pytest.mark.parametrize("content", ["", "\n", "   \n", "short-token\n"])
def test_secure_loader_refuses_an_empty_or_short_token(
        monkeypatch: pytest.MonkeyPatch, tmp_path, content: str) -> None:  # type: ignore[no-untyped-def]
    """The empty-token bypass: a token file (or variable) that is set but empty must stop the
    service, not make an empty presented token match."""
    token_file = tmp_path / "app_token"
    token_file.write_text(content, encoding="utf-8")
    monkeypatch.setenv("APP_TOKEN_FILE", str(token_file))
    with pytest.raises(ValueError, match="no usable token"):
        hardcoded_secrets.load_api_token_secure()


def test_secure_loader_without_its_variable_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_TOKEN_FILE", raising=False)
    monkeypatch.setenv("APP_TOKEN", "a-token-in-the-environment-only")
    with pytest.raises(KeyError):
        hardcoded_secrets.load_api_token_secure()


def test_the_fallback_token_ships_and_bandit_does_not_see_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pyc = hardcoded_secrets.ship_bytecode(hardcoded_secrets.load_api_token_first_try, tmp_path)
    assert "psb-dev-7c1e55a0b94f2d68" in hardcoded_secrets.strings_in_bytecode(pyc)
    assert not scan_function(hardcoded_secrets.load_api_token_first_try).test_ids


def test_an_environment_dump_leaks_only_a_path_with_the_secure_loader() -> None:
    leaked = hardcoded_secrets.attack_environment_dump(hardcoded_secrets.load_api_token_from_environment)
    held = hardcoded_secrets.attack_environment_dump(hardcoded_secrets.load_api_token_secure)
    assert leaked.attack_succeeded and "APP_TOKEN" in leaked.observed
    assert not held.attack_succeeded and "APP_TOKEN_FILE" in held.observed


# -- encryption modes ------------------------------------------------------------------------

ROW = {"record_id": "alice", "column": encryption_modes.COLUMN}


def test_round_trips_and_tampering() -> None:
    key = encryption_modes.new_key()
    record = encryption_modes.RECORDS["alice"]
    ecb = encryption_modes.encrypt_insecure(key, record, **ROW)
    gcm = encryption_modes.encrypt_secure(key, record, **ROW)
    assert encryption_modes.decrypt_insecure(key, ecb, **ROW) == record
    assert encryption_modes.decrypt_secure(key, gcm, **ROW) == record
    tampered = encryption_modes.decrypt_insecure(key, encryption_modes.flip_bit(ecb, 0), **ROW)
    assert tampered != record and tampered[16:] == record[16:]
    with pytest.raises(InvalidTag):
        encryption_modes.decrypt_secure(key, encryption_modes.flip_bit(gcm, 12), **ROW)


def test_ecb_repeats_blocks_within_one_message() -> None:
    ciphertext = encryption_modes.encrypt_insecure(encryption_modes.new_key(), b"A" * 32, **ROW)
    assert ciphertext[:16] == ciphertext[16:32]


def test_alices_ciphertext_in_bobs_row_is_refused() -> None:
    """The bypass of the first GCM version: with no associated data, Bob's row holding
    Alice's ciphertext decrypted to Alice's record."""
    key = encryption_modes.new_key()
    alice = encryption_modes.RECORDS["alice"]
    column = encryption_modes.COLUMN
    old = encryption_modes.encrypt_first_try(key, alice, record_id="alice", column=column)
    assert encryption_modes.decrypt_first_try(key, old, record_id="bob", column=column) == alice
    new = encryption_modes.encrypt_secure(key, alice, record_id="alice", column=column)
    with pytest.raises(InvalidTag):
        encryption_modes.decrypt_secure(key, new, record_id="bob", column=column)
    with pytest.raises(InvalidTag):  # the same row, another column encrypted with the same key
        encryption_modes.decrypt_secure(key, new, record_id="alice",
                                        column=encryption_modes.NOTE_COLUMN)
    assert encryption_modes.decrypt_secure(key, new, record_id="alice", column=column) == alice


def test_associated_data_cannot_be_spelled_two_ways() -> None:
    ad = encryption_modes.associated_data
    assert ad("a|b", "c") != ad("a", "b|c")
    assert ad("employees", "x") != ad("employee", "sx")
    assert ad("c", "1") != ad("c", "1\x00")
    with pytest.raises(TypeError):
        ad("c", 1)  # type: ignore[arg-type]


def test_replaying_an_older_value_of_the_same_row_still_decrypts() -> None:
    """What the contract says the secure version does not stop: associated data names the
    place, not the time, so last year's ciphertext of the same field still decrypts."""
    key = encryption_modes.new_key()
    old = encryption_modes.encrypt_secure(key, b"salary band: S2 (staff)", record_id="bob",
                                          column=encryption_modes.COLUMN)
    encryption_modes.encrypt_secure(key, b"salary band: S3 (senior staff)", record_id="bob",
                                    column=encryption_modes.COLUMN)
    assert encryption_modes.decrypt_secure(key, old, record_id="bob",
                                           column=encryption_modes.COLUMN) == b"salary band: S2 (staff)"
    assert "replay" in get("PSB-CRYPTO-ECB-MODE").contract.does_not_stop


def test_every_encryption_draws_a_new_nonce_and_short_input_is_refused() -> None:
    key = encryption_modes.new_key()
    nonces = {encryption_modes.encrypt_secure(key, b"x", **ROW)[:12] for _ in range(200)}
    assert len(nonces) == 200
    for cut in (b"", b"\x00" * 12, b"\x00" * 27):
        with pytest.raises(InvalidTag):
            encryption_modes.decrypt_secure(key, cut, **ROW)
    assert "2**32" in get("PSB-CRYPTO-ECB-MODE").contract.assumes


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
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = key_sizes.rsa_key_from_primes(key_sizes.random_prime(512), key_sizes.random_prime(512))
    signature = key.sign(b"release 1.0", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(signature, b"release 1.0", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):  # the key is used, not merely built
        key.public_key().verify(signature, b"release 1.1", padding.PKCS1v15(), hashes.SHA256())


def test_bandit_sees_the_library_call_not_the_hand_made_key() -> None:
    from pysecbook.teaching.sast import scan_function

    assert "B505" in scan_function(key_sizes.generate_rsa_1024).test_ids
    assert "B505" not in scan_function(key_sizes.generate_signing_key_insecure).test_ids


@pytest.mark.parametrize("bits", sorted(key_sizes.TOY_PRIMES))
def test_toy_key_is_broken(bits: int) -> None:
    toy = key_sizes.break_toy_key(bits, message=1234)
    assert toy.p * toy.q == toy.n and toy.recovered_message == 1234
    assert toy.modulus_bits in (bits - 1, bits)


def test_fermat_and_integer_roots() -> None:
    p, q = key_sizes.TOY_PRIMES[64]
    factor, steps = key_sizes.fermat_factor(p * q)
    assert factor in (p, q) and steps == 1
    assert key_sizes.fermat_factor(1048573 * 268435399, max_steps=10)[0] is None
    assert key_sizes.integer_root(27**3, 3) == 27 and key_sizes.integer_root(27**3 - 1, 3) == 26


def test_the_secure_key_has_no_modulus_or_exponent_to_attack() -> None:
    for attack in (key_sizes.attack_close_primes, key_sizes.attack_small_exponent):
        assert "Ed25519" in attack(key_sizes.generate_signing_key_secure).observed


# -- TLS --------------------------------------------------------------------------------------

def test_secure_client_talks_to_the_genuine_server() -> None:
    exchange = tls_verification.connect(tls_verification.send_secret_secure, "genuine")
    assert exchange.server_received == tls_verification.SECRET


def test_secure_client_refuses_a_trusted_certificate_for_another_name() -> None:
    exchange = tls_verification.connect(tls_verification.send_secret_secure, "wrong_name")
    assert exchange.client.startswith("refused: Hostname mismatch")
    assert exchange.server_received == b""


def test_first_try_client_talks_to_the_genuine_server_and_to_any_trusted_name() -> None:
    genuine = tls_verification.connect(tls_verification.send_secret_first_try, "genuine")
    other = tls_verification.connect(tls_verification.send_secret_first_try, "wrong_name")
    assert genuine.server_received == other.server_received == tls_verification.SECRET


def test_secure_client_refuses_each_bad_certificate_with_its_reason() -> None:
    for attack, reasons in ((tls_verification.attack_bad_dates_or_issuer,
                             ("has expired", "not yet valid", "self-signed")),
                            (tls_verification.attack_leaf_as_authority, ("invalid CA",))):
        observed = attack(tls_verification.send_secret_secure).observed
        assert all(reason in observed for reason in reasons), observed
