"""The reporting stream consumer's arithmetic, from synthetic DynamoDB stream records (no AWS).

Records are built as AWS delivers them (DynamoDB JSON made with boto3's TypeSerializer); the
aggregates are written by an in-memory fake of ``dal.aggregates.commit`` that keeps the
transaction's rules: markers are conditional puts, at most 100 items, all or nothing.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

from reporting.dal.aggregates import AlreadyProcessed, TransientWriteError
from reporting.logic import ingest
from reporting.logic.aggregation import (
    MAX_TRANSACTION_ITEMS,
    deltas_of,
    global_key,
    pack,
    product_key,
    store_key,
    units_of,
)
from reporting.logic.events import Fact, Line, facts_of, table_name_of
from tests.stream_records import a_return, order, sale, stream_arn
from tests.stream_records import stream_record as record

SALES, RETURNS, ORDERS = "retail-RetailSalesTable", "retail-RetailReturnsTable", "retail-EcommerceOrdersTable"
SOURCES = {SALES: "sale", RETURNS: "return", ORDERS: "order"}


def event(*records: dict) -> DynamoDBStreamEvent:
    return DynamoDBStreamEvent({"Records": list(records)})


# ---------------------------------------------------------------- an in-memory aggregate store
class FakeStore:
    """Keeps the rules of ``dal.aggregates.commit``: conditional markers, all or nothing, <= 100 items."""

    def __init__(self) -> None:
        self.markers: dict[str, str | None] = {}
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.transactions = 0
        self.fail_next: list[Exception] = []

    def commit(self, markers, deltas, *, ttl_days: int) -> None:
        assert ttl_days >= 1
        assert len(markers) + len(deltas) <= MAX_TRANSACTION_ITEMS, "a transaction holds at most 100 items"
        assert len({key for key, _ in markers}) == len(markers), "the same item twice in a transaction"
        if self.fail_next:
            raise self.fail_next.pop(0)
        taken = [key for key, _ in markers if key in self.markers]
        if taken:
            raise AlreadyProcessed(taken)
        self.transactions += 1
        for key, event_id in markers:
            self.markers[key] = event_id
        for key, delta in deltas.items():
            item = self.items.setdefault(key, {})
            item.update(delta.fields)
            for name, value in delta.counters.items():
                item[name] = item.get(name, 0) + value

    def run(self, stream_event: DynamoDBStreamEvent) -> ingest.BatchResult:
        records = ingest.parse_batch(stream_event, SOURCES)
        return ingest.process(records, writer=self.commit, ttl_days=7, sleep=lambda _: None)

    def item(self, key: tuple[str, str]) -> dict[str, Any]:
        return self.items[key]


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


DAY = "2026-11-20"
D = date(2026, 11, 20)


# ---------------------------------------------------------------- sales, returns, orders
def test_sales_fold_into_store_product_and_global_days(store):
    result = store.run(
        event(
            record(SALES, "INSERT", sale(1, 1, DAY, [(10, 2, "5.00"), (11, 1, "3.50")])),
            record(SALES, "INSERT", sale(2, 1, DAY, [(10, 1, "5.00")])),
            record(SALES, "INSERT", sale(3, 2, DAY, [(12, 4, "0.25")])),
        )
    )
    assert (result.counted, result.duplicates, result.skipped, result.failed) == (3, 0, 0, [])
    assert store.item(store_key(D, 1)) == {
        "day": DAY, "store_id": 1, "sales_count": 2, "revenue": Decimal("18.50"), "units": 4,
    }
    assert store.item(store_key(D, 2))["revenue"] == Decimal("1.00")
    assert store.item(global_key(D)) == {"day": DAY, "sales_count": 3, "revenue": Decimal("19.50"), "units": 8}
    assert store.item(product_key(D, 10)) == {"day": DAY, "product_id": 10, "units": 3, "revenue": Decimal("15.00")}
    assert store.item(product_key(D, 12))["units"] == 4
    assert store.transactions == 1, "a batch that fits one transaction is written once, summed by item"


def test_returns_count_refunds_on_the_return_day(store):
    store.run(
        event(
            record(SALES, "INSERT", sale(1, 3, DAY, [(10, 2, "5.00")])),
            record(RETURNS, "INSERT", a_return(1, 1, 3, "2026-11-21", [(10, 1, "5.00")])),
        )
    )
    returned = store.item(store_key(date(2026, 11, 21), 3))
    assert returned == {"day": "2026-11-21", "store_id": 3, "returns_count": 1, "returned_units": 1, "refunds": Decimal("5.00")}
    assert store.item(product_key(date(2026, 11, 21), 10)) == {
        "day": "2026-11-21", "product_id": 10, "returned_units": 1, "refunds": Decimal("5.00"),
    }
    assert store.item(store_key(D, 3))["sales_count"] == 1


def test_orders_and_cancellations(store):
    placed = order(5, DAY, [(10, 2, "5.00"), (11, 1, "1.25")])
    confirmed = {**placed, "status": "confirmed"}
    cancelled = {**confirmed, "status": "cancelled"}
    result = store.run(
        event(
            record(ORDERS, "INSERT", placed),
            record(ORDERS, "MODIFY", confirmed, placed),  # a status change that is not a cancellation
            record(ORDERS, "MODIFY", cancelled, confirmed),
            record(ORDERS, "MODIFY", {**cancelled, "updated_at": "x"}, cancelled),  # still cancelled: nothing
            record(ORDERS, "INSERT", order(6, DAY, [(10, 1, "5.00")], status="cancelled")),  # born cancelled
        )
    )
    assert (result.counted, result.ignored, result.skipped) == (3, 2, 0)
    assert store.item(global_key(D)) == {
        "day": DAY, "online_orders": 2, "online_value": Decimal("16.25"), "cancellations": 2,
        "cancelled_value": Decimal("16.25"),
    }
    # product units are net of cancellations
    assert store.item(product_key(D, 10))["online_units"] == 0
    assert store.item(product_key(D, 10))["online_revenue"] == Decimal("0.00")


def test_redelivered_batch_is_not_counted_twice(store):
    batch = event(
        record(SALES, "INSERT", sale(1, 1, DAY, [(10, 2, "5.00")])),
        record(RETURNS, "INSERT", a_return(1, 1, 1, DAY, [(10, 1, "5.00")])),
        record(ORDERS, "INSERT", order(1, DAY, [(10, 1, "5.00")])),
    )
    first = store.run(batch)
    snapshot = {key: dict(value) for key, value in store.items.items()}
    second = store.run(batch)
    assert (first.counted, first.duplicates) == (3, 0)
    assert (second.counted, second.duplicates, second.failed) == (0, 3, [])
    assert store.items == snapshot


def test_same_sale_in_another_event_and_twice_in_one_batch(store):
    first = sale(1, 1, DAY, [(10, 2, "5.00")])
    store.run(event(record(SALES, "INSERT", first)))
    # a replay with another eventID (same business id), then a batch holding a new sale twice
    result = store.run(
        event(
            record(SALES, "INSERT", first),
            record(SALES, "INSERT", sale(2, 1, DAY, [(10, 1, "5.00")])),
            record(SALES, "INSERT", sale(2, 1, DAY, [(10, 1, "5.00")])),
        )
    )
    assert (result.counted, result.duplicates) == (1, 2)
    assert store.item(store_key(D, 1))["sales_count"] == 2
    assert store.item(product_key(D, 10))["units"] == 3


def test_partly_processed_chunk_counts_only_the_new_records(store):
    store.markers["sale#2"] = "earlier"  # sale 2 was committed by an earlier (crashed) invocation
    result = store.run(event(*(record(SALES, "INSERT", sale(i, 1, DAY, [(10, 1, "1.00")])) for i in (1, 2, 3))))
    assert (result.counted, result.duplicates) == (2, 1)
    assert store.item(store_key(D, 1))["sales_count"] == 2


def test_unknown_and_malformed_records_are_skipped_not_failed(store):
    good = sale(1, 1, DAY, [(10, 1, "2.00")])
    broken = record(SALES, "INSERT", good)
    broken["dynamodb"]["NewImage"]["total"] = {"Q": "1"}  # not DynamoDB JSON
    records = [
        record(SALES, "INSERT", {"sale_id": 2, "store_id": 1}),  # no lines, no date
        record(SALES, "INSERT", {**sale(3, 1, DAY, [(10, 1, "1.00")]), "sale_date": "soon", "created_at": "?"}),
        record(SALES, "INSERT", {**sale(4, 1, DAY, [(10, 1, "1.00")]), "store_id": "one"}),
        record(SALES, "INSERT", {**sale(5, 1, DAY, [(10, 1, "1.00")]), "lines": [{"product_id": 10}]}),
        record("some-other-table", "INSERT", {"pk": "x", "colour": "red"}),
        {**record(SALES, "INSERT", good), "eventName": "TRUNCATE"},
        broken,
        record(SALES, "REMOVE", None, good),  # deletes do not change the reports
        record(SALES, "MODIFY", {**good, "note": "x"}, good),  # nor do edits of a sale
        record(SALES, "INSERT", {**sale(6, 2, DAY, [(10, 1, "1.00")]), "loyalty_card": "123", "tags": {"a", "b"}}),
    ]
    result = store.run(event(*records))
    assert (result.skipped, result.ignored, result.counted, result.failed) == (7, 2, 1, [])
    assert list(store.markers) == ["sale#6"]  # unknown attributes are tolerated
    parsed = ingest.parse_batch(event(*records), SOURCES)
    assert all(p.reason for p in parsed if p.outcome != "facts")


def test_source_table_decides_the_kind_and_shape_is_the_fallback():
    image = {"return_id": 1}
    assert table_name_of(stream_arn(SALES)) == SALES and table_name_of("nonsense") is None
    only = next(iter(event(record(ORDERS, "INSERT", order(1, DAY, [(1, 1, "1")]))).records))
    parsed = ingest.parse_record(0, only, {})
    assert parsed.facts[0].kind == "order"  # no source map: the shape says order
    outcome, facts, _ = facts_of("INSERT", "sale", {**sale(9, 1, DAY, [(1, 1, "1.00")]), **image}, None)
    assert outcome == "facts" and facts[0].kind == "sale"  # the table says sale, whatever the extra fields


def test_missing_line_total_uses_unit_price_and_missing_total_sums_lines(store):
    item = sale(1, 1, DAY, [(10, 3, "2.50")])
    for line in item["lines"]:
        del line["line_total"]
    del item["total"]
    store.run(event(record(SALES, "INSERT", item)))
    assert store.item(store_key(D, 1))["revenue"] == Decimal("7.50")
    assert store.item(product_key(D, 10))["revenue"] == Decimal("7.50")


def test_day_falls_back_to_created_at(store):
    item = sale(1, 1, DAY, [(10, 1, "1.00")])
    del item["sale_date"]
    item["created_at"] = "2026-11-19T23:59:59Z"
    store.run(event(record(SALES, "INSERT", item)))
    assert store.item(store_key(date(2026, 11, 19), 1))["sales_count"] == 1


# ---------------------------------------------------------------- transactions, failures
def test_big_batches_are_packed_into_transactions_of_at_most_100_items(store):
    records = [record(SALES, "INSERT", sale(i, i % 5 + 1, DAY, [(i % 200 + 1, 1, "1.00"), (i % 7 + 300, 2, "2.00")])) for i in range(1, 301)]
    result = store.run(event(*records))
    assert result.counted == 300 and store.transactions > 3
    assert sum(store.item(store_key(D, s))["sales_count"] for s in range(1, 6)) == 300
    assert store.item(global_key(D))["revenue"] == Decimal(300 * 5)


def test_a_sale_with_more_products_than_a_transaction_is_split_in_parts(store):
    lines = [(product, 1, "1.00") for product in range(1, 251)]
    fact_units = units_of(Fact("sale", "sale#1", D, Decimal(250), tuple(Line(p, 1, Decimal(1)) for p, _, _ in lines), 1, 1), 0)
    assert len(fact_units) == 3 and all(unit.size <= MAX_TRANSACTION_ITEMS for unit in fact_units)
    assert [unit.marker for unit in fact_units] == ["sale#1#part0", "sale#1#part1", "sale#1#part2"]
    store.run(event(record(SALES, "INSERT", sale(1, 1, DAY, lines))))
    assert sum(1 for key in store.items if key[0].startswith("PRODUCT#")) == 250
    assert store.item(store_key(D, 1))["sales_count"] == 1
    again = store.run(event(record(SALES, "INSERT", sale(1, 1, DAY, lines))))
    assert again.duplicates == 1 and store.item(store_key(D, 1))["sales_count"] == 1


def test_pack_keeps_stream_order_and_sums_shared_items():
    facts = [Fact("sale", f"sale#{i}", D, Decimal(1), (Line(1, 1, Decimal(1)),), 1, i) for i in range(1, 195)]
    chunks = list(pack(unit for index, fact in enumerate(facts) for unit in units_of(fact, index)))
    assert len(chunks) == 2  # 97 markers + the 3 items they share = 100 items per chunk
    assert [u.record_index for c in chunks for u in c.units] == list(range(194))
    deltas = chunks[0].deltas()
    assert deltas[store_key(D, 1)].counters == {"sales_count": 97, "revenue": Decimal(97), "units": 97}


def test_conflicts_are_retried(store):
    store.fail_next = [TransientWriteError("conflict"), TransientWriteError("conflict")]
    result = store.run(event(record(SALES, "INSERT", sale(1, 1, DAY, [(10, 1, "1.00")]))))
    assert result.counted == 1 and result.failed == []


def test_a_chunk_that_keeps_failing_is_reported_with_everything_after_it(store, monkeypatch):
    records = [record(SALES, "INSERT", sale(i, 1, DAY, [(i, 1, "1.00")])) for i in range(1, 121)]
    original = store.commit
    calls = itertools.count()

    def flaky(markers, deltas, *, ttl_days):
        if next(calls) >= 1:  # the first chunk goes through, then the table is "down"
            raise TransientWriteError("throttled")
        original(markers, deltas, ttl_days=ttl_days)

    records_parsed = ingest.parse_batch(event(*records), SOURCES)
    result = ingest.process(records_parsed, writer=flaky, ttl_days=7, sleep=lambda _: None)
    first_failed = len(store.markers)
    assert 0 < first_failed < 120
    assert result.counted == first_failed
    assert result.failed == [r["dynamodb"]["SequenceNumber"] for r in records[first_failed:]]
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": s} for s in result.failed]}
    # Lambda re-delivers from the first failure: every sale ends up counted exactly once
    retry = store.run(event(*records[first_failed:]))
    assert retry.counted == 120 - first_failed
    assert store.item(store_key(D, 1))["sales_count"] == 120


def test_deltas_of_a_return_and_an_order():
    ret = Fact("return", "return#1", D, Decimal("4.00"), (Line(10, 2, Decimal("4.00")),), 2, 1)
    deltas = deltas_of(ret)
    assert deltas[store_key(D, 2)].counters == {"returns_count": 1, "returned_units": 2, "refunds": Decimal("4.00")}
    placed = Fact("order", "order#1", D, Decimal("9.00"), (Line(10, 3, Decimal("9.00")),), None, 1)
    deltas = deltas_of(placed)
    assert set(deltas) == {global_key(D), product_key(D, 10)}
    assert deltas[global_key(D)].counters == {"online_orders": 1, "online_value": Decimal("9.00")}


def test_stream_handler_answers_batch_item_failures(monkeypatch, store):
    from reporting.dal import aggregates as dal

    monkeypatch.setenv("PROCESSED_EVENTS_TABLE", "processed")
    monkeypatch.setenv("SALES_TABLE", SALES)
    monkeypatch.setattr(dal, "commit", store.commit)
    raw = {"Records": [record(SALES, "INSERT", sale(1, 1, DAY, [(10, 1, "1.00")]))]}
    assert ingest.handle(DynamoDBStreamEvent(raw)) == {"batchItemFailures": []}
    assert store.item(store_key(D, 1))["sales_count"] == 1
