"""Pure rules of the retail domain: limits, line validation, pricing, refunds, periods."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from retail.errors import InvalidLineReferenceError, InvalidPeriodError, ReturnExceedsSaleError
from retail.logic import rules
from retail.schemas import CashRegisterCreate, ReturnCreate, SaleCreate, StoreCreate


# ---------------------------------------------------------------- line limits
def test_a_sale_and_its_return_fit_in_one_inventory_transaction():
    from shared.contracts.inventory import MAX_CHANGE_LINES

    assert rules.MAX_SALE_LINES == rules.MAX_RETURN_LINES == 33  # the API's limit, unchanged
    # the inventory interface applies a sale's (or a return's) lines in one transaction:
    # the "applied" record + a stock update and a movement per line <= 100 items
    assert 1 + 2 * MAX_CHANGE_LINES <= 100 < 1 + 2 * (MAX_CHANGE_LINES + 1)
    assert rules.MAX_SALE_LINES <= MAX_CHANGE_LINES


# ---------------------------------------------------------------- line validation
def sale(lines, **extra):
    return SaleCreate.model_validate({"store_id": 1, "register_id": 1, "lines": lines, **extra})


def test_valid_sale_lines():
    request = sale([{"product_id": 1, "quantity": 2}, {"product_id": 7, "quantity": 1}])
    assert [(line.product_id, line.quantity) for line in request.lines] == [(1, 2), (7, 1)]


def test_sale_accepts_the_maximum_number_of_lines_and_refuses_one_more():
    lines = [{"product_id": i, "quantity": 1} for i in range(1, rules.MAX_SALE_LINES + 1)]
    assert len(sale(lines).lines) == rules.MAX_SALE_LINES
    with pytest.raises(ValidationError) as info:
        sale(lines + [{"product_id": 999, "quantity": 1}])
    assert info.value.errors()[0]["loc"] == ("lines",)


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [{"product_id": 1, "quantity": 0}],
        [{"product_id": 1, "quantity": -1}],
        [{"product_id": 1, "quantity": rules.MAX_LINE_QUANTITY + 1}],
        [{"product_id": 1, "quantity": 1.5}],
        [{"product_id": 1, "quantity": True}],
        [{"product_id": 0, "quantity": 1}],
        [{"product_id": 1}],
        [{"product_id": 1, "quantity": 1, "unit_price": "0.01"}],  # prices never come from the client
        [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}],
    ],
)
def test_invalid_sale_lines(lines):
    with pytest.raises(ValidationError):
        sale(lines)


def test_duplicate_products_message_names_the_lines():
    assert rules.duplicate_products([1, 2, 3]) is None
    message = rules.duplicate_products([4, 5, 4, 4])
    assert "product 4 is on lines 0, 2, 3" in message


def test_sale_refuses_unknown_fields_and_missing_register():
    with pytest.raises(ValidationError):
        sale([{"product_id": 1, "quantity": 1}], total="1.00")
    with pytest.raises(ValidationError):
        SaleCreate.model_validate({"store_id": 1, "lines": [{"product_id": 1, "quantity": 1}]})


def test_return_line_validation():
    ok = ReturnCreate.model_validate({"sale_id": 3, "lines": [{"product_id": 1, "quantity": 1}], "reason": " broken "})
    assert ok.reason == "broken"
    for bad in (
        {"sale_id": 3, "lines": []},
        {"sale_id": 3, "lines": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 1}]},
        {"sale_id": 3, "lines": [{"product_id": i, "quantity": 1} for i in range(1, rules.MAX_RETURN_LINES + 2)]},
        {"lines": [{"product_id": 1, "quantity": 1}]},
    ):
        with pytest.raises(ValidationError):
            ReturnCreate.model_validate(bad)


def test_store_and_register_inputs():
    assert StoreCreate.model_validate({"name": "  Sherbrooke  "}).name == "Sherbrooke"
    with pytest.raises(ValidationError):
        StoreCreate.model_validate({"name": ""})
    with pytest.raises(ValidationError):
        StoreCreate.model_validate({"name": "x", "phone": "call me"})
    assert CashRegisterCreate.model_validate({"store_id": 1, "number": 3}).name is None
    for bad in ({"store_id": 1, "number": 0}, {"store_id": 1, "number": 1000}, {"number": 1}):
        with pytest.raises(ValidationError):
            CashRegisterCreate.model_validate(bad)


# ---------------------------------------------------------------- pricing and stock
def test_lines_are_priced_from_the_catalogue_exactly():
    priced = rules.price_lines([(1, 3), (2, 1)], {1: Decimal("19.99"), 2: Decimal("0.10")})
    assert [(p.unit_price, p.line_total) for p in priced] == [(Decimal("19.99"), Decimal("59.97")), (Decimal("0.10"), Decimal("0.10"))]
    assert rules.sale_total(priced) == Decimal("60.07")
    assert rules.item_count(priced) == 4
    assert str(rules.sale_total(rules.price_lines([(1, 10)], {1: Decimal("0.1")}))) == "1.00"


def test_a_sale_short_of_stock_names_its_lines():
    from retail.logic.sales import shortage_of_lines
    from shared.errors import InsufficientStock, Shortage

    remote = InsufficientStock("store-1", [Shortage(1, 5, 4), Shortage(2, 1, 0)])  # as inventory answers it
    error = shortage_of_lines(remote, [(1, 5), (2, 1), (3, 2)])
    assert [(s.line, s.product_id, s.requested, s.available) for s in error.shortages] == [(0, 1, 5, 4), (1, 2, 1, 0)]
    assert error.status == 409 and error.code == "insufficient_stock"
    assert "product 1 has 4 available (5 requested)" in error.message and "product 2 has 0 available" in error.message
    assert error.details[0]["loc"] == ["body", "lines", 0, "quantity"]


def test_low_stock_crossing():
    assert rules.crossed_into_low_stock(11, 10, 10)  # to the reorder level counts
    assert rules.crossed_into_low_stock(12, 3, 10)
    assert not rules.crossed_into_low_stock(10, 9, 10)  # already low
    assert not rules.crossed_into_low_stock(20, 11, 10)


# ---------------------------------------------------------------- refunds
SOLD = [rules.SoldLine(1, 3, Decimal("19.99")), rules.SoldLine(2, 1, Decimal("5.00"))]


def test_refund_uses_the_sale_prices():
    refunds = rules.compute_refund(7, SOLD, [(1, 2), (2, 1)], {})
    assert [(r.product_id, r.quantity, r.sold, r.refund_amount) for r in refunds] == [
        (1, 2, 3, Decimal("39.98")),
        (2, 1, 1, Decimal("5.00")),
    ]
    assert rules.refund_total(refunds) == Decimal("44.98")


def test_refund_counts_earlier_returns():
    assert rules.compute_refund(7, SOLD, [(1, 1)], {1: 2})[0].refund_amount == Decimal("19.99")
    with pytest.raises(ReturnExceedsSaleError) as info:
        rules.compute_refund(7, SOLD, [(1, 2), (2, 1)], {1: 2, 2: 1})
    error = info.value
    assert error.status == 409 and error.code == "return_exceeds_sale"
    assert [(d["product_id"], d["sold"], d["already_returned"], d["requested"]) for d in error.details] == [
        (1, 3, 2, 2),
        (2, 1, 1, 1),
    ]
    assert "1 returnable" in error.message and "0 returnable" in error.message


def test_refund_of_more_than_sold_or_of_an_unsold_product():
    with pytest.raises(ReturnExceedsSaleError):
        rules.compute_refund(7, SOLD, [(1, 4)], {})
    with pytest.raises(InvalidLineReferenceError) as info:
        rules.compute_refund(7, SOLD, [(1, 1), (9, 1)], {})
    assert info.value.status == 404 and info.value.code == "invalid_reference"
    assert info.value.details[0]["loc"] == ["body", "lines", 1, "product_id"]
    assert "sale 7" in info.value.message


# ---------------------------------------------------------------- periods and time
def test_period_parsing():
    assert rules.parse_period(None, None) == rules.Period()
    assert not rules.parse_period(None, None).bounded
    period = rules.parse_period("2026-11-01", "2026-11-30")
    assert period == rules.Period(date(2026, 11, 1), date(2026, 11, 30)) and period.bounded
    assert rules.parse_period("2026-11-05", "2026-11-05").created_at_bounds() == (
        "2026-11-05T00:00:00.000Z",
        "2026-11-05T23:59:59.999Z",
    )
    assert rules.parse_period("2026-11-05", None).created_at_bounds() == ("2026-11-05T00:00:00.000Z", "9999")
    assert rules.parse_period(None, "2026-11-05").created_at_bounds() == ("0000", "2026-11-05T23:59:59.999Z")


@pytest.mark.parametrize(
    ("date_from", "date_to", "field"),
    [
        ("2026-11-30", "2026-11-01", "to"),
        ("2026-02-30", None, "from"),
        ("2026-1-01", None, "from"),
        (None, "yesterday", "to"),
        (None, "2026-11-01T00:00", "to"),
    ],
)
def test_invalid_periods(date_from, date_to, field):
    with pytest.raises(InvalidPeriodError) as info:
        rules.parse_period(date_from, date_to)
    assert info.value.status == 422 and info.value.details[0]["loc"] == ["query", field]


def test_timestamps_sort_as_text_and_end_in_z():
    moment = datetime(2026, 11, 24, 14, 3, 12, 345678, tzinfo=UTC)
    assert rules.timestamp(moment) == "2026-11-24T14:03:12.345Z"
    assert rules.day(moment) == "2026-11-24"
    assert rules.parse_timestamp("2026-11-24T14:03:12.345Z") == datetime(2026, 11, 24, 14, 3, 12, 345000, tzinfo=UTC)
    low, high = rules.parse_period("2026-11-24", "2026-11-24").created_at_bounds()
    assert low <= rules.timestamp(moment) <= high


def test_store_locations():
    assert rules.location_of_store(12) == "store-12"
    assert rules.store_of_location("store-12") == 12
    assert rules.store_of_location("warehouse") is None
    assert rules.store_of_location("store-01") is None and rules.store_of_location("store-x") is None
