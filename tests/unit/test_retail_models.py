"""The retail domain models: records <-> domain models <-> responses, by pydantic alone
(``Model.model_validate(record)``, ``shared.dynamo.record_of``, ``XOut.model_validate(model)``):
the same DynamoDB items and the same JSON as when logic answered from the records (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from retail.dal.tables import CashRegisterRecord, ReturnLine, ReturnRecord, SaleLine, SaleRecord, StoreRecord
from retail.logic import rules
from retail.logic.returns import new_return
from retail.logic.sales import new_sale
from retail.models import CashRegister, Return, Sale, Store
from retail.schemas import CashRegisterOut, ReturnOut, SaleOut, StoreOut
from shared.dynamo import record_of
from shared.models import now

AT = datetime(2026, 11, 24, 14, 3, 12, 345678, tzinfo=UTC)  # stores and registers keep microseconds


def _sale_record() -> SaleRecord:
    return SaleRecord(
        12, store_id=3, register_id=7, created_at="2026-11-24T14:03:12.345Z", sale_date="2026-11-24",
        lines=[SaleLine(product_id=4, quantity=2, unit_price=D("19.99"), line_total=D("39.98")),
               SaleLine(product_id=9, quantity=1, unit_price=D("5.00"), line_total=D("5.00"))],
        total=D("44.98"), item_count=3,
    )


def _return_record(reason: str | None) -> ReturnRecord:
    return ReturnRecord(
        5, sale_id=12, store_id=3, created_at="2026-11-25T09:00:00.000Z", return_date="2026-11-25",
        lines=[ReturnLine(product_id=4, quantity=1, refund_amount=D("19.99"))], refund_total=D("19.99"), reason=reason,
    )


@pytest.mark.parametrize(
    ("record", "model", "out"),
    [
        (_sale_record(), Sale, SaleOut),
        (_return_record(None), Return, ReturnOut),
        (_return_record("broken"), Return, ReturnOut),
        (StoreRecord(2, name="Centre", address=None, phone="+1 514", location_id="store-2", created_at=AT), Store, StoreOut),
        (CashRegisterRecord(2, 8, number=1, name="Register 1", created_at=AT), CashRegister, CashRegisterOut),
    ],
)
def test_record_model_record_is_the_same_item_and_the_same_answer(record, model, out):
    domain = model.model_validate(record)
    assert record_of(type(record), domain).serialize() == record.serialize()
    assert out.model_validate(domain).model_dump_json() == out.model_validate(record).model_dump_json()


def test_a_new_sale_is_stored_at_millisecond_text():
    at = now()
    assert at.microsecond % 1000 == 0
    sale = new_sale(12, 3, 7, rules.price_lines([(4, 2)], {4: D("19.99")}), at)
    item = record_of(SaleRecord, sale).serialize()
    assert item["created_at"] == {"S": rules.timestamp(at)} and item["sale_date"] == {"S": rules.day(at)}
    assert SaleOut.model_validate(sale).model_dump_json() == SaleOut.model_validate(Sale.model_validate(record_of(SaleRecord, sale))).model_dump_json()
    returned = new_return(1, sale, rules.compute_refund(12, [rules.SoldLine(4, 2, D("19.99"))], [(4, 2)], {}), None, at)
    assert record_of(ReturnRecord, returned).serialize()["refund_total"] == {"N": "39.98"}
