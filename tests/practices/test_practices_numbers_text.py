"""Numbers and text (book/practices/numbers, book/practices/text): the secure versions' edges."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from pysecbook.teaching.risks import decimal_construction as dc
from pysecbook.teaching.risks import fee_rounding as fr
from pysecbook.teaching.risks import fixed_width as fw
from pysecbook.teaching.risks import float_money as fm
from pysecbook.teaching.risks import loop_counters as lc
from pysecbook.teaching.risks import nan_checks as nc
from pysecbook.teaching.risks import unicode_digits as ud
from pysecbook.teaching.risks import unicode_normalization as un


@pytest.mark.parametrize("amount", ["0.005", "nan", "inf", "-1", "1e30", "abc", "5.01"])
def test_secure_wallet_refuses_what_is_not_a_payable_amount(amount: str) -> None:
    wallet = fm.open_wallet(fm.withdraw_secure)
    with pytest.raises(ValueError):
        fm.withdraw_secure(wallet, amount)
    assert wallet.balance == Decimal("5.00") and wallet.paid_out == 0


def test_secure_wallet_pays_whole_cents_exactly() -> None:
    wallet = fm.open_wallet(fm.withdraw_secure)
    assert [fm.withdraw_secure(wallet, a) for a in ("0.10", "4.90")] == ["paid 0.10", "paid 4.90"]
    assert wallet.balance == 0 and wallet.paid_out == Decimal("5.00")


def test_rounding_fees_up_makes_every_split_cost_at_least_the_whole() -> None:
    whole = fr.fee_secure(fr.ATTACK_TOTAL_CENTS)
    for part in itertools.chain(range(1, 60), (99, 100, 345, 1000, 5015)):
        _, fees = fr.fees_for_parts(fr.fee_secure, fr.ATTACK_TOTAL_CENTS, part)
        assert fees >= whole, part


def test_the_tariff_and_the_secure_fee_agree_on_exact_half_cents() -> None:
    assert dc.fee_secure(Decimal("1.00")) == Decimal("0.02")
    assert dc.fee_insecure(Decimal("1.00")) == Decimal("0.01")
    assert dc.fee_secure(Decimal("3.00")) == Decimal("0.05")  # 0.045 rounds half up


def test_secure_order_refuses_a_total_that_does_not_fit_and_charges_one_that_does() -> None:
    account = fw.Account(balance_cents=10**9)
    with pytest.raises(ValueError, match="quantity"):
        fw.charge_order_secure(account, fw.MAX_QUANTITY + 1, 1)
    with pytest.raises(ValueError, match="does not fit"):
        fw.charge_order_secure(account, fw.MAX_QUANTITY, fw.INT32_MAX)
    assert fw.charge_order_secure(account, 3, 1999) == 5997 and account.shipped == 3


def test_secure_gift_card_split_keeps_the_remainder() -> None:
    assert lc.split_gift_card_secure("1.00", "0.30") == ["0.30", "0.30", "0.30", "0.10"]
    with pytest.raises(ValueError):
        lc.split_gift_card_secure("1.00", "0")


@pytest.mark.parametrize("amount", ["nan", "NaN", "inf", "-inf"])
def test_secure_transfer_refuses_every_non_finite_spelling(amount: str) -> None:
    account = nc.Account(balance=100.0)
    with pytest.raises(ValueError, match="finite"):
        nc.transfer_secure(account, amount)
    assert account.balance == 100.0 and account.sent == []


def test_canonical_names_fold_compatibility_forms_before_the_check() -> None:
    users = {"alice": "h1"}
    for name in (un.FULLWIDTH_ALICE, "ALICE", "\uff21lice"):
        with pytest.raises(ValueError, match="not available"):
            un.register_secure(dict(users), name, "h2")
    assert un.register_secure(dict(users), "Bob", "h3") == "bob"


def test_every_script_spells_the_same_number_and_only_ascii_passes_the_secure_check() -> None:
    spellings = [ud.spelled(ud.PHONE, zero) for zero in ud.ZEROS.values()]
    assert len(set(spellings)) == len(ud.ZEROS) and {int(s) for s in spellings} == {612345678}
    redeemed: set[str] = set()
    assert ud.redeem_voucher_secure(redeemed, spellings[0]) == "voucher sent to 0612345678"
    for other in spellings[1:]:
        with pytest.raises(ValueError):
            ud.redeem_voucher_secure(redeemed, other)
    assert ud.characters_matching(r"(?a)\d") == 10


def test_secure_fee_refuses_what_is_not_a_positive_whole_number_of_cents() -> None:
    for amount in (0, -1, True, 1.0, 10.5):
        with pytest.raises(ValueError):
            fr.fee_secure(amount)  # type: ignore[arg-type]
    assert fr.fee_secure(10**30 + 1) == 29 * 10**27 + 1  # exact past Decimal's 28 digits
    with pytest.raises(ValueError):
        dc.fee_secure(Decimal("-1.00"))


def test_secure_gift_card_split_refuses_fractions_of_a_cent_and_bounds_the_count() -> None:
    for value, voucher in (("1.009", "0.10"), ("1.00", "0.105"), ("1.00", "-0.10"),
                           ("Infinity", "0.10"), ("1.00", "sNaN"), ("100.00", "0.01")):
        with pytest.raises(ValueError):
            lc.split_gift_card_secure(value, voucher)
    assert len(lc.split_gift_card_secure("10.00", "0.01")) == lc.MAX_VOUCHERS


def test_secure_transfer_refuses_when_the_balance_is_not_a_number() -> None:
    account = nc.Account(balance=float("nan"))
    with pytest.raises(ValueError, match="insufficient"):
        nc.transfer_secure(account, "1")
    assert account.sent == []


def test_secure_registration_bounds_the_name_before_normalising_and_keeps_it_ascii() -> None:
    with pytest.raises(ValueError, match="at most"):
        un.register_secure({}, "\ufdfa" * (un.MAX_NAME_LENGTH + 1), "h")
    for name in ("ali\u200dce", "\u0430lice", "bob smith", "\ufdfa"):
        with pytest.raises(ValueError, match="only a-z"):
            un.register_secure({}, name, "h")
    assert un.register_secure({}, "\uff22ob_1", "h") == "bob_1"
