"""Money held in floats: a ledger that accepts fractions of a cent, and a payout that rounds.

A ``float`` has about 16 significant decimal digits and no notion of a cent. A wallet that
takes the client's amount as a float debits exactly what was asked, ``0.005``, while the
payment provider can only move whole cents, so the payout is rounded: ``round(0.005, 2)`` is
``0.01``, because the float nearest to 0.005 lies a little above it. Every withdrawal pays
out twice what it debits. ``decimal.Decimal``, built from the client's text, holds the amount
exactly, and the secure wallet refuses anything that is not a whole number of cents.

Decimal alone is not the fix: a wallet that computes in Decimal and rounds the payout still
pays a cent for half a cent, and a check on the text of the amount ("at most two decimals")
misses ``5E-3``. What holds is a check on the value: a finite, positive, whole number of cents.
And Decimal arithmetic rounds to the precision of the thread's context, which anything else on
the thread can narrow: at six digits, 123456.78 - 0.01 is 123457. The secure wallet computes
in a fresh context of its own, wide enough for any amount it accepts.
Book page: ``book/practices/numbers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

#: The smallest amount the payment provider can move.
CENT = Decimal("0.01")

#: What the attacker's wallet holds before the attack, and what each request asks for.
OPENING_BALANCE = "5.00"
ATTACK_AMOUNT = "0.005"
ATTACK_REQUESTS = 1000


@dataclass
class Wallet:
    """A customer's balance and everything paid out of it."""

    balance: float | Decimal
    paid_out: float | Decimal = 0


def withdraw_insecure(wallet: Wallet, amount: str) -> str:
    """Pay ``amount`` (text sent by the client) out of the wallet, computing in floats."""
    value = float(amount)
    if value <= 0 or value > wallet.balance:
        raise ValueError(f"cannot withdraw {amount}")
    wallet.balance -= value
    paid = round(value, 2)  # the payment provider moves whole cents
    wallet.paid_out += paid
    return f"paid {paid:.2f}"


def withdraw_first_try(wallet: Wallet, amount: str) -> str:
    """A first fix: compute in Decimal, and refuse an amount typed with more than two decimals.

    Kept to show the adapted attack beating it: the check reads the text, and Decimal reads
    half a cent in other spellings (``5E-3``) that have no decimals to count.
    """
    if len(amount.partition(".")[2]) > 2:
        raise ValueError(f"cannot withdraw {amount!r}: at most two decimals")
    value = Decimal(amount)
    if value <= 0 or value > wallet.balance:
        raise ValueError(f"cannot withdraw {amount!r}")
    wallet.balance -= value
    paid = value.quantize(CENT, rounding=ROUND_HALF_UP)  # the payment provider moves whole cents
    wallet.paid_out += paid
    return f"paid {paid}"


def withdraw_secure(wallet: Wallet, amount: str) -> str:
    """Pay ``amount`` out of the wallet in Decimal; only whole cents are accepted.

    Assumes: the wallet's balance is a Decimal of whole cents, and one request at a time
    changes it: the check and the debit are two steps, so a real ledger does both in one
    database transaction or under a lock.
    Does not stop: two withdrawals racing between the balance check and the debit; amounts
    written in exponent notation or in another script's digits (``5E-2``, Arabic-Indic
    digits), which Decimal reads and this function accepts when they are whole cents;
    amounts of more than 38 digits, which are refused because they do not fit the decimal
    context, not because of a limit of the business.
    """
    with localcontext(Context(prec=40)):  # not the thread's context, which may be narrowed
        try:
            value = Decimal(amount)
            whole_cents = value.is_finite() and value == value.quantize(CENT)
        except InvalidOperation:
            whole_cents = False
        if not whole_cents or value <= 0 or value > wallet.balance:
            raise ValueError(f"cannot withdraw {amount!r}: a positive number of whole cents, "
                             "at most the balance")
        wallet.balance -= value
        wallet.paid_out += value
    return f"paid {value}"


def open_wallet(withdraw: object) -> Wallet:
    """A wallet holding :data:`OPENING_BALANCE`, in the number type ``withdraw`` computes in."""
    balance = float(OPENING_BALANCE) if withdraw is withdraw_insecure else Decimal(OPENING_BALANCE)
    return Wallet(balance=balance, paid_out=type(balance)(0))


def attack(withdraw: object) -> Outcome:
    """Ask for half a cent, a thousand times, from a wallet holding 5.00."""
    wallet = open_wallet(withdraw)
    accepted = refused = 0
    for _ in range(ATTACK_REQUESTS):
        try:
            withdraw(wallet, ATTACK_AMOUNT)  # type: ignore[operator]
        except ValueError:
            refused += 1
        else:
            accepted += 1
    paid = Decimal(str(wallet.paid_out)).quantize(CENT)
    return Outcome(
        attack_succeeded=paid > Decimal(OPENING_BALANCE),
        observed=f"{ATTACK_REQUESTS} withdrawals of {ATTACK_AMOUNT} from a balance of "
                 f"{OPENING_BALANCE}: {accepted} accepted, {refused} refused, {paid} paid out",
    )


def _paid(answer: str) -> Decimal:
    """The finite amount in a ``"paid ..."`` answer, or 0 for ``nan``/``inf``."""
    try:
        value = Decimal(answer.split()[-1])
    except (InvalidOperation, IndexError):
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def attack_other_spellings(withdraw: object) -> Outcome:
    """Ask for half a cent in spellings with no decimals to count (``5E-3``, ``0.5e-2``, ...),
    a thousand times: does the wallet pay out more than it debits?"""
    wallet = open_wallet(withdraw)
    spellings = ("5E-3", "5e-3", "0.5e-2", "0.05E-1")
    accepted: dict[str, int] = {}
    paid = Decimal(0)
    for i in range(ATTACK_REQUESTS):
        amount = spellings[i % len(spellings)]
        try:
            paid += _paid(withdraw(wallet, amount))  # type: ignore[operator]
        except (ValueError, ArithmeticError):
            continue
        accepted[amount] = accepted.get(amount, 0) + 1
    debited = Decimal(OPENING_BALANCE) - Decimal(str(wallet.balance))
    return Outcome(
        attack_succeeded=paid > debited,
        observed=f"{ATTACK_REQUESTS} withdrawals of half a cent spelt {', '.join(spellings)}: "
                 f"accepted {accepted or 'none'}; {debited.quantize(Decimal('0.001'))} debited, "
                 f"{paid} paid out",
    )


#: Values that are not amounts: NaN in float and Decimal spellings, infinities, a negative
#: zero, and a JSON number (a float) instead of the text of one.
SPECIAL_AMOUNTS: tuple[object, ...] = ("NaN", "sNaN", "-nan", "Infinity", "-0.00", 0.005)


def attack_special_values(withdraw: object) -> Outcome:
    """Send each value in :data:`SPECIAL_AMOUNTS`, then ask for the whole balance three
    times: does more than the balance leave the wallet?"""
    wallet = open_wallet(withdraw)
    answers = []
    paid = Decimal(0)
    for amount in (*SPECIAL_AMOUNTS, *[OPENING_BALANCE] * 3):
        try:
            answer = withdraw(wallet, amount)  # type: ignore[operator]
        except (ValueError, ArithmeticError, TypeError) as exc:
            answers.append(f"{amount!r}: refused ({type(exc).__name__})")
            continue
        paid += _paid(answer)
        answers.append(f"{amount!r}: {answer}")
    return Outcome(
        attack_succeeded=paid > Decimal(OPENING_BALANCE),
        observed=f"{'; '.join(answers)}; {paid} paid out of a wallet holding {OPENING_BALANCE}",
    )


#: A wallet with more digits than the context an earlier request on the thread left behind.
NARROW_PRECISION = 6
NARROW_BALANCE = "123456.78"


def attack_narrowed_context(withdraw: object) -> Outcome:
    """Withdraw 0.01 a hundred times from a wallet holding 123,456.78, on a thread whose
    decimal context an earlier request narrowed to six digits and did not restore."""
    opening = Decimal(NARROW_BALANCE)
    wallet = Wallet(balance=opening, paid_out=Decimal(0))
    paid = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = NARROW_PRECISION
        for _ in range(100):
            try:
                paid += _paid(withdraw(wallet, "0.01"))  # type: ignore[operator]
            except (ValueError, ArithmeticError):
                break
    left = Decimal(str(wallet.balance))
    return Outcome(
        attack_succeeded=paid + left > opening,
        observed=f"context precision {NARROW_PRECISION}: {paid} paid out of {opening}, and "
                 f"the balance is now {left}",
    )


RISK = register(
    Risk(
        id="PSB-NUM-FLOAT-MONEY",
        title="Money computed in floats",
        summary="A float ledger debits fractions of a cent that the payout rounds up: each "
        "half-cent withdrawal pays a whole cent.",
        cwe=1339,
        bandit=(),
        no_static_rule="float arithmetic is right for measurements and wrong for money; "
                       "nothing in the code says which of the two a float holds.",
        modules=("decimal", "builtins"),
        page="practices/numbers",
        insecure=withdraw_insecure,
        secure=withdraw_secure,
        attack=attack,
        adapted=(
            AdaptedAttack("half a cent in exponent notation (5E-3), which has no decimals to "
                          "count", "encoding", attack_other_spellings, beats=withdraw_first_try),
            AdaptedAttack("NaN, sNaN, Infinity, -0.00 and a JSON number instead of text, then "
                          "the whole balance", "type-confusion", attack_special_values),
            AdaptedAttack("withdrawals on a thread whose decimal context an earlier request "
                          "narrowed to six digits", "variant", attack_narrowed_context,
                          beats=withdraw_first_try),
        ),
    )
)
