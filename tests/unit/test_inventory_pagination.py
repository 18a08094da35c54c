"""Pagination tokens and page reads (shared.pagination), without any network."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pynamodb.pagination import ResultIterator

from shared.errors import InvalidPaginationTokenError
from shared.jsonutil import loads_strict
from shared.pagination import decode_token, encode_token, fetch_page, paginate, scope_of

KEY = {"category_id": {"N": "3"}, "product_id": {"N": "42"}}
NAMES = ("category_id", "product_id")


def test_token_round_trip_is_url_safe_and_opaque():
    scope = scope_of("products", category_id=3, search=None)
    token = encode_token(KEY, scope)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_token(token, scope, NAMES) == KEY
    assert decode_token(None, scope, NAMES) is None


def test_scope_is_canonical():
    assert scope_of("p", b=1, a=None) == scope_of("p", a=None, b=1) == "p?a=&b=1"
    assert scope_of("p", a=1) != scope_of("p", a=2)


def _forge(payload: Any) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda token, scope: token[:-2],  # truncated
        lambda token, scope: token + "A",  # extended
        lambda token, scope: token[:5] + ("A" if token[5] != "A" else "B") + token[6:],  # one character changed
        lambda token, scope: token.replace("-", "+").replace("_", "/") + "!",  # not base64url
        lambda token, scope: "x" * 3000,  # too long
        lambda token, scope: "",
        lambda token, scope: _forge(b"\xff\xfe"),  # not JSON
        lambda token, scope: _forge([1, 2]),
        lambda token, scope: _forge({"v": 2, "s": "x", "k": KEY}),
        lambda token, scope: _forge({"v": 1, "s": "0000000000000000", "k": KEY}),  # other scope
        lambda token, scope: encode_token({"product_id": {"N": "1"}}, scope),  # other key names
        lambda token, scope: encode_token({**KEY, "extra": {"S": "x"}}, scope),
        lambda token, scope: encode_token({"category_id": {"N": "NaN"}, "product_id": {"N": "1"}}, scope),
        lambda token, scope: encode_token({"category_id": {"N": "1" * 50}, "product_id": {"N": "1"}}, scope),
        lambda token, scope: encode_token({"category_id": {"B": "AA=="}, "product_id": {"N": "1"}}, scope),
        lambda token, scope: encode_token({"category_id": {"N": 3}, "product_id": {"N": "1"}}, scope),
        lambda token, scope: encode_token({"category_id": {"N": "3", "S": "3"}, "product_id": {"N": "1"}}, scope),
        lambda token, scope: encode_token({"category_id": "3", "product_id": {"N": "1"}}, scope),
    ],
)
def test_tampered_tokens_are_rejected(mutate):
    scope = scope_of("products", category_id=3)
    token = encode_token(KEY, scope)
    with pytest.raises(InvalidPaginationTokenError) as raised:
        decode_token(mutate(token, scope), scope, NAMES)
    assert raised.value.status == 400 and raised.value.code == "invalid_pagination_token"


def test_token_from_other_filters_is_rejected():
    token = encode_token(KEY, scope_of("products", category_id=3))
    with pytest.raises(InvalidPaginationTokenError):
        decode_token(token, scope_of("products", category_id=4), NAMES)


# ---------------------------------------------------------------- fetch_page over a fake DynamoDB
class FakeTable:
    """Query/scan semantics of DynamoDB: `limit` items evaluated per call, filter after the limit."""

    def __init__(self, ids: list[int], keep=lambda item_id: True) -> None:
        self.ids = ids
        self.keep = keep
        self.calls = 0

    def get_meta_table(self):
        return self

    def get_key_names(self, index_name=None):
        return ["product_id"]

    def scan(self, *, exclusive_start_key=None, limit=None, **_: Any) -> dict[str, Any]:
        self.calls += 1
        start = 0
        if exclusive_start_key:
            last = int(exclusive_start_key["product_id"]["N"])
            start = self.ids.index(last) + 1
        evaluated = self.ids[start : start + (limit or len(self.ids))]
        items = [{"product_id": {"N": str(i)}} for i in evaluated if self.keep(i)]
        page: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(evaluated)}
        if start + len(evaluated) < len(self.ids):
            page["LastEvaluatedKey"] = {"product_id": {"N": str(evaluated[-1])}}
        return page


def runner(table: FakeTable):
    def run(start, page_size):
        return ResultIterator(table.scan, (), {"exclusive_start_key": start, "limit": page_size})

    return run


def ids_of(items) -> list[int]:
    return [int(item["product_id"]["N"]) for item in items]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 10, 100])
def test_pages_cover_everything_once(limit):
    table = FakeTable(list(range(1, 11)))
    seen, token, pages = [], None, 0
    while True:
        items, token = paginate(runner(table), limit=limit, next_token=token, scope="s", key_names=["product_id"])
        pages += 1
        seen += ids_of(items)
        assert len(items) == limit or token is None  # pages are full until the last one
        if token is None:
            break
    assert seen == list(range(1, 11))
    assert pages == -(-10 // limit)  # no trailing empty page


def test_filtered_pages_are_full_and_resume_after_the_last_item_returned():
    table = FakeTable(list(range(1, 101)), keep=lambda i: i % 7 == 0)  # 14 matches
    items, key = fetch_page(runner(table), limit=5, start_key=None, page_size=3)
    assert ids_of(items) == [7, 14, 21, 28, 35]
    # the cursor is the last item returned, or an item DynamoDB evaluated and filtered out after it
    assert int(key["product_id"]["N"]) in (35, 36)
    items, key = fetch_page(runner(table), limit=5, start_key=key, page_size=50)
    assert ids_of(items) == [42, 49, 56, 63, 70]
    items, key = fetch_page(runner(table), limit=5, start_key=key, page_size=50)
    assert ids_of(items) == [77, 84, 91, 98] and key is None


def test_empty_listing():
    items, token = paginate(runner(FakeTable([])), limit=20, next_token=None, scope="s", key_names=["product_id"])
    assert items == [] and token is None


def test_limit_bounds_are_enforced():
    with pytest.raises(ValueError):
        fetch_page(runner(FakeTable([1])), limit=0, start_key=None)
    with pytest.raises(ValueError):
        fetch_page(runner(FakeTable([1])), limit=101, start_key=None)


# ---------------------------------------------------------------- strict JSON bodies
def test_loads_strict_keeps_money_exact_and_rejects_oddities():
    from decimal import Decimal

    assert loads_strict('{"price": 19.99, "n": 3}') == {"price": Decimal("19.99"), "n": 3}
    for bad in ('{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', "1" * 5000, "[" * 100_000, "{"):
        with pytest.raises(json.JSONDecodeError):
            loads_strict(bad)


def test_dumps_handles_decimal_and_dates():
    from datetime import UTC, datetime
    from decimal import Decimal

    from shared.jsonutil import dumps

    text = dumps({"price": Decimal("19.90"), "at": datetime(2024, 1, 1, tzinfo=UTC), "tags": {"b", "a"}})
    assert json.loads(text) == {"price": "19.90", "at": "2024-01-01T00:00:00+00:00", "tags": ["a", "b"]}
    with pytest.raises(TypeError):
        dumps({"x": object()})


# ---------------------------------------------------------------- read_page: which read, which cursor
from pynamodb.attributes import NumberAttribute, UnicodeAttribute  # noqa: E402
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex  # noqa: E402
from pynamodb.models import Model  # noqa: E402
from pydantic import BaseModel, ConfigDict  # noqa: E402

from shared.pagination import FILTERED_PAGE_SIZE, key_names_of, read_page  # noqa: E402


class _ByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_id = NumberAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class _ThingRecord(Model):
    class Meta:
        table_name = "things"
        region = "us-east-1"

    thing_id = NumberAttribute(hash_key=True)
    version = NumberAttribute(range_key=True, attr_name="v")
    owner_id = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    by_owner = _ByOwner()


class _Thing(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    thing_id: int


def test_a_cursor_holds_the_table_key_and_the_index_key_as_stored():
    assert key_names_of(_ThingRecord) == ["thing_id", "v"]
    assert sorted(key_names_of(_ThingRecord, _ThingRecord.by_owner)) == ["created_at", "owner_id", "thing_id", "v"]


def _capture(monkeypatch, target, name):
    calls = []

    def read(*args, **kwargs):
        calls.append((args, kwargs))
        return iter([_ThingRecord(1, 1, created_at="x")])

    monkeypatch.setattr(target, name, read)
    return calls


def test_an_index_query_newest_first_and_a_filtered_read_evaluates_larger_pages(monkeypatch):
    calls = _capture(monkeypatch, _ThingRecord.by_owner, "query")
    items, token = read_page(_Thing, _ThingRecord, scope="things", limit=5, next_token=None, hash_key=7,
                             index=_ThingRecord.by_owner, filter_condition=_ThingRecord.thing_id > 0, newest_first=True)
    assert [item.thing_id for item in items] == [1] and token is None
    (args, kwargs), = calls
    assert args[0] == 7 and kwargs["scan_index_forward"] is False and kwargs["page_size"] == FILTERED_PAGE_SIZE


def test_without_a_hash_key_it_scans_the_table_in_pages_of_limit_plus_one(monkeypatch):
    calls = _capture(monkeypatch, _ThingRecord, "scan")
    read_page(_Thing, _ThingRecord, scope="things", limit=5, next_token=None)
    (args, kwargs), = calls
    assert args == (None,) and kwargs["page_size"] == 6
    with pytest.raises(ValueError):
        read_page(_Thing, _ThingRecord, scope="things", limit=5, next_token=None, index=_ThingRecord.by_owner)


def test_a_token_of_one_listing_is_refused_by_another_before_any_read(monkeypatch):
    calls = _capture(monkeypatch, _ThingRecord, "scan")
    token = encode_token({"thing_id": {"N": "1"}, "v": {"N": "1"}}, scope_of("things", owner_id=None))
    with pytest.raises(InvalidPaginationTokenError):
        read_page(_Thing, _ThingRecord, scope=scope_of("things", owner_id=3), limit=5, next_token=token)
    assert calls == []
