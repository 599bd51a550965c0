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
from collections.abc import Callable

from pysecbook.teaching.risks import Outcome, Risk, register

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
    """A password-reset token: 128 bits from ``secrets``, as 32 hex digits."""
    return secrets.token_hex(16)


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
    )
)
