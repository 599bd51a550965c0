"""Tokens from ``random`` are predictable: 624 outputs give away every later one.

``random`` is a Mersenne Twister. Its whole state is 624 32-bit words, and each 32-bit
output is one state word passed through an invertible "tempering" function. An attacker who
sees 624 consecutive outputs (156 tokens of 128 bits) untempers them, rebuilds the state,
and computes every token the server will issue next. ``secrets`` draws from the operating
system's generator, where past outputs say nothing about future ones.
Book page: ``book/practices/randomness``.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections.abc import Callable

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: Bits per token, and how many 32-bit words of generator output one token reveals.
TOKEN_BITS = 128
WORDS_PER_TOKEN = TOKEN_BITS // 32

#: Words of Mersenne Twister state; tokens the attacker must observe to cover them.
STATE_WORDS = 624
TOKENS_OBSERVED = STATE_WORDS // WORDS_PER_TOKEN


def new_reset_token_insecure() -> str:
    """A password-reset token: 128 bits from ``random``, as 32 hex digits."""
    return f"{random.getrandbits(128):032x}"  # nosec B311 - deliberately insecure: demonstration of PSB-RANDOM-PREDICTABLE


def new_reset_token_secure() -> str:
    """A password-reset token: 128 bits from ``secrets``, as 32 hex digits.

    Assumes: the operating system's generator is sound (on Linux, ``os.urandom`` waits until
    it has been seeded), and the server stores the token, or a hash of it, with an expiry and
    accepts it once.
    Does not stop: a token that leaks after it is made: in a URL that lands in logs, a
    ``Referer`` header or a browser's history; and guessing where the form allows unlimited
    tries, which 128 bits make hopeless but a shorter token would not.
    """
    return secrets.token_hex(16)


#: Guesses Mallory can make at a reset form that has no lockout: about a million.
GUESS_BUDGET = 2**20


def new_reset_code_first_try() -> str:
    """A first fix: the code now comes from ``secrets``, as six digits, easy to type.

    Kept to show an adapted attack beating it: six digits are a million possibilities, and a
    form without a limit on attempts lets them all be tried.
    """
    return f"{secrets.randbelow(10**6):06d}"


def new_reset_token_seeded_first_try() -> str:
    """A first fix: a fresh generator for every token, seeded with the time in milliseconds,
    so that no 624 outputs ever come from one state.

    Kept to show an adapted attack beating it: the secret is now the seed, and the seed is
    the moment of the request, which Mallory knows to within a second.
    """
    rng = random.Random(time.time_ns() // 1_000_000)  # nosec B311 - deliberately insecure: demonstration of PSB-RANDOM-PREDICTABLE
    return f"{rng.getrandbits(128):032x}"


def new_reset_token_uuid1_first_try() -> str:
    """A first fix: a UUID, 128 bits of hex that look random.

    Kept to show an adapted attack beating it: a version 1 UUID is a timestamp, a clock
    sequence and the machine's address, so two tokens Mallory asks for on either side of
    the victim's enclose it. Only ``uuid.uuid4()`` is random.
    """
    return uuid.uuid1().hex


def _undo_right_shift_xor(value: int, shift: int) -> int:
    result = value
    for _ in range(32 // shift + 1):
        result = value ^ (result >> shift)
    return result & 0xFFFFFFFF


def _undo_left_shift_xor_and(value: int, shift: int, mask: int) -> int:
    result = value
    for _ in range(32 // shift + 1):
        result = value ^ ((result << shift) & mask)
    return result & 0xFFFFFFFF


def untemper(output: int) -> int:
    """The state word behind one 32-bit Mersenne Twister output (tempering inverted)."""
    y = _undo_right_shift_xor(output, 18)
    y = _undo_left_shift_xor_and(y, 15, 0xEFC60000)
    y = _undo_left_shift_xor_and(y, 7, 0x9D2C5680)
    return _undo_right_shift_xor(y, 11)


def token_words(token: str) -> list[int]:
    """The 32-bit outputs a token is made of, in the order the generator produced them.

    ``getrandbits(128)`` fills the integer from its least significant 32 bits up.
    """
    value = int(token, 16)
    return [(value >> (32 * i)) & 0xFFFFFFFF for i in range(WORDS_PER_TOKEN)]


def clone_generator(tokens: list[str]) -> random.Random:
    """A generator in the state the observed tokens leave the victim's in."""
    words = [w for token in tokens for w in token_words(token)][-STATE_WORDS:]
    state = tuple(untemper(w) for w in words) + (STATE_WORDS,)
    clone = random.Random()  # nosec B311 - a copy of the victim's generator, for prediction
    clone.setstate((3, state, None))
    return clone


def predict(tokens: list[str], count: int = 3) -> list[str]:
    """The next ``count`` tokens, if ``tokens`` came from ``random.getrandbits(128)``."""
    clone = clone_generator(tokens)
    return [f"{clone.getrandbits(TOKEN_BITS):032x}" for _ in range(count)]


def attack(func: Callable[[], str]) -> Outcome:
    """Request 156 tokens for yourself, predict the next three, compare with what is issued."""
    observed = [func() for _ in range(TOKENS_OBSERVED)]
    predicted = predict(observed)
    issued = [func() for _ in predicted]
    hits = sum(p == i for p, i in zip(predicted, issued))
    return Outcome(
        attack_succeeded=hits > 0,
        observed=(
            f"after {len(observed)} tokens, predicted the next {len(issued)}: "
            f"{hits} of {len(issued)} right (predicted {predicted[0]}, issued {issued[0]})"
        ),
    )


def attack_guess_within_budget(func: Callable[[], str]) -> Outcome:
    """Mallory asks for a token for herself to learn the format, has one sent to her victim,
    and tries candidates at the reset form, up to her budget of guesses."""
    mine, victim = func(), func()
    base = 10 if mine.isdigit() else 16
    space = base ** len(mine)
    spell = (lambda n: f"{n:0{len(mine)}d}") if base == 10 else (lambda n: f"{n:0{len(mine)}x}")
    tries = min(space, GUESS_BUDGET)
    # Her guesses go in order: 0, 1, 2, ... spelt like her own token. Where the victim's token
    # falls in that order says which guess the form would have accepted, without sending a
    # million requests.
    position = int(victim, base) if all(c in "0123456789abcdef"[:base] for c in victim) else -1
    hit = position if 0 <= position < tries and spell(position) == victim else None
    if hit is not None:
        return Outcome(True, f"{len(mine)}-character tokens, {space:,} possibilities: the "
                             f"victim's came up after {hit + 1:,} guesses")
    return Outcome(False, f"{len(mine)}-character tokens, {space:.3g} possibilities: "
                          f"{tries:,} guesses, no hit")


def attack_seed_window(func: Callable[[], str]) -> Outcome:
    """Mallory notes when she asks for her victim's reset, and tries the token that each
    millisecond of the surrounding two seconds would seed."""
    before = time.time_ns() // 1_000_000
    victim = func()
    after = time.time_ns() // 1_000_000
    seeds = range(before - 1000, after + 1001)
    for tried, seed in enumerate(seeds, 1):
        candidate = f"{random.Random(seed).getrandbits(TOKEN_BITS):032x}"  # nosec B311 - the attacker's copy of the victim's generator
        if candidate == victim:
            return Outcome(True, f"the victim's token is the one seed {seed} gives, found at "
                                 f"guess {tried:,} of {len(seeds):,}")
    return Outcome(False, f"none of the {len(seeds):,} millisecond seeds around the request "
                          "gives the victim's token")


def _uuid1_hex(timestamp: int, clock_seq: int, node: int) -> str:
    """The version 1 UUID for these fields, as 32 hex digits."""
    return uuid.UUID(fields=(timestamp & 0xFFFFFFFF, (timestamp >> 32) & 0xFFFF,
                             ((timestamp >> 48) & 0x0FFF) | 0x1000,
                             ((clock_seq >> 8) & 0x3F) | 0x80, clock_seq & 0xFF, node)).hex


def attack_uuid1_neighbours(func: Callable[[], str]) -> Outcome:
    """Mallory asks for a token just before and just after her victim's, reads them as
    version 1 UUIDs, and tries every timestamp in between with the same clock sequence and
    machine address."""
    first, victim, last = func(), func(), func()
    try:
        a, b = uuid.UUID(hex=first), uuid.UUID(hex=last)
    except ValueError:
        return Outcome(False, "her tokens do not read as UUIDs")
    if a.version != 1 or b.version != 1 or (a.clock_seq, a.node) != (b.clock_seq, b.node):
        return Outcome(False, "her two tokens are not version 1 UUIDs from one clock: "
                              "nothing to enumerate")
    window = b.time - a.time - 1
    if not 0 <= window <= GUESS_BUDGET:
        return Outcome(False, f"{window:,} timestamps between her tokens, beyond her budget")
    for tried, stamp in enumerate(range(a.time + 1, b.time), 1):
        if _uuid1_hex(stamp, a.clock_seq, a.node) == victim:
            return Outcome(True, f"{window:,} timestamps lie between her two tokens; the "
                                 f"victim's came up at guess {tried:,}")
    return Outcome(False, f"none of the {window:,} timestamps between her tokens matched")


RISK = register(
    Risk(
        id="PSB-RANDOM-PREDICTABLE",
        title="Security tokens from random",
        summary=(
            "random is a Mersenne Twister: 624 observed 32-bit outputs reveal its state and "
            "every later token; use secrets for tokens, keys and passwords."
        ),
        cwe=338,
        bandit=("B311",),
        modules=("random", "secrets"),
        page="practices/randomness",
        insecure=new_reset_token_insecure,
        secure=new_reset_token_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("every six-digit code, within a million guesses", "crypto",
                          attack_guess_within_budget, beats=new_reset_code_first_try),
            AdaptedAttack("every millisecond seed around the request, for a generator seeded "
                          "with the time", "crypto", attack_seed_window,
                          beats=new_reset_token_seeded_first_try),
            AdaptedAttack("the timestamps between two of her own uuid1 tokens", "variant",
                          attack_uuid1_neighbours, beats=new_reset_token_uuid1_first_try),
        ),
    )
)
