"""Retail demo data: stores 1..5, 2-4 cash registers each, 3 weeks of sales and a few returns.

    from infra.seed.retail import seed
    seed({"STORES_TABLE": "...", ...})   # the RetailFunction's environment variables

Runs after the inventory seed (``infra.seed.SEEDERS`` order): store N is inventory's location
``store-N`` with its name and address, and sales sell inventory's products. Inventory's data
(the catalogue, a missing store location) is reached through inventory's interface function
(``INVENTORY_FUNCTION``), never its tables.

- deterministic: everything is drawn from ``random.Random(42)`` (register counts, then the
  history), relative to the moment of the first run;
- idempotent: stores and registers are looked up first; the history is written once (a marker
  in the registry table records it; an interrupted run is completed with the same ids and the
  same moment), so a second run changes nothing;
- the history is written in bulk as records: it does NOT take units from stock (the stock the
  inventory seed set is today's, after those sales) and its returns do not put units back.
  Returned-quantity guards are written, so returning seeded sales through the API respects what
  was already returned. Prices are today's catalogue prices.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SEED = 42
DAYS = 21  # today and the 20 days before it
REGISTERS_PER_STORE = (2, 4)
SALES_PER_STORE_DAY = (20, 60)
LINE_COUNT_WEIGHTS = {1: 35, 2: 28, 3: 19, 4: 11, 5: 7}
QUANTITY_WEIGHTS = {1: 72, 2: 19, 3: 6, 4: 3}
OPENING_HOUR_WEIGHTS = {9: 3, 10: 5, 11: 7, 12: 10, 13: 8, 14: 6, 15: 6, 16: 7, 17: 9, 18: 10, 19: 7, 20: 4}  # UTC
WEEKDAY_FACTORS = (0.85, 0.9, 0.95, 1.0, 1.2, 1.35, 0.8)  # Monday .. Sunday
RETURN_SHARE = 0.02
RETURN_REASONS = ("changed my mind", "damaged packaging", "wrong size", "defective", "gift duplicate", None)


@dataclass(frozen=True)
class SaleSpec:
    store_id: int
    register_id: int
    created_at: datetime
    lines: tuple[tuple[int, int], ...]  # (product_id, quantity)


@dataclass(frozen=True)
class ReturnSpec:
    sale: int  # index in the sales list
    created_at: datetime
    lines: tuple[tuple[int, int], ...]
    reason: str | None


def register_counts(rng: random.Random, store_ids: Sequence[int]) -> dict[int, int]:
    return {store_id: rng.randint(*REGISTERS_PER_STORE) for store_id in store_ids}


def _weighted(rng: random.Random, weights: Mapping[int, int]) -> int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_history(
    rng: random.Random, registers: Mapping[int, Sequence[int]], product_ids: Sequence[int], anchor: datetime
) -> tuple[list[SaleSpec], list[ReturnSpec]]:
    """Sales of ``DAYS`` days up to ``anchor`` (none after it), oldest first, and their returns."""
    popularity = [rng.paretovariate(1.4) for _ in product_ids]
    first_day = anchor.date() - timedelta(days=DAYS - 1)
    sales: list[SaleSpec] = []
    for store_id in sorted(registers):
        store_size = rng.uniform(0.8, 1.2)
        for offset in range(DAYS):
            day = first_day + timedelta(days=offset)
            wanted = round(rng.randint(*SALES_PER_STORE_DAY) * store_size * WEEKDAY_FACTORS[day.weekday()])
            count = min(max(wanted, SALES_PER_STORE_DAY[0]), SALES_PER_STORE_DAY[1])
            for _ in range(count):
                hour = _weighted(rng, OPENING_HOUR_WEIGHTS)
                moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(
                    seconds=rng.randrange(3600), milliseconds=rng.randrange(1000)
                )
                chosen: dict[int, int] = {}
                for _line in range(_weighted(rng, LINE_COUNT_WEIGHTS)):
                    product_id = rng.choices(product_ids, weights=popularity)[0]
                    chosen.setdefault(product_id, _weighted(rng, QUANTITY_WEIGHTS))
                register_id = rng.choice(list(registers[store_id]))
                if moment <= anchor:
                    sales.append(SaleSpec(store_id, register_id, moment, tuple(chosen.items())))
    sales.sort(key=lambda sale: (sale.created_at, sale.store_id))

    returns: list[ReturnSpec] = []
    for index, sale in enumerate(sales):
        if rng.random() >= RETURN_SHARE:
            continue
        moment = sale.created_at + timedelta(hours=rng.uniform(2, 72))
        product_id, sold = rng.choice(sale.lines)
        quantity = rng.randint(1, sold)
        reason = rng.choice(RETURN_REASONS)
        if moment <= anchor:
            returns.append(ReturnSpec(index, moment, ((product_id, quantity),), reason))
    returns.sort(key=lambda record: record.created_at)
    return sales, returns


def seed(env: dict[str, str]) -> dict[str, Any]:
    """Load the demo data into the tables named by ``env``; returns counts."""
    from retail.settings import RetailSettings
    from shared.settings import use

    rng = random.Random(SEED)
    with use(RetailSettings.from_env(env)):  # the deployed tables, passed down explicitly
        created: dict[str, int] = {}
        store_ids = _ensure_stores(created)
        registers = _ensure_registers(register_counts(rng, store_ids), created)
        history = _ensure_history(rng, registers, created)
    return {
        "stores": len(store_ids),
        "registers": sum(len(ids) for ids in registers.values()),
        **history,
        "days": DAYS,
        "created": created,
    }


def _store_locations() -> list[tuple[int, str, str | None]]:
    """(store id, name, address) of inventory's store locations (the inventory seed's list)."""
    from infra.seed.inventory import LOCATIONS
    from retail.logic.rules import store_of_location

    found = []
    for location_id, name, kind, address in LOCATIONS:
        store_id = store_of_location(location_id)
        if kind == "store" and store_id is not None:
            found.append((store_id, name, address))
    return sorted(found)


def _ensure_stores(created: dict[str, int]) -> list[int]:
    from retail.dal import bulk
    from retail.dal import inventory as inventory_dal
    from retail.dal import stores as dal
    from retail.logic.rules import location_of_store
    from retail.models import Store
    from shared.contracts.inventory import InventoryRefusal
    from shared.dynamo import utcnow

    created["stores"] = 0
    store_ids = []
    for store_id, name, address in _store_locations():
        location_id = location_of_store(store_id)
        if dal.get_store(store_id, consistent=True) is None:
            try:  # inventory not seeded: open the location as POST /stores would (inventory's interface)
                inventory_dal.open_location(f"store-{store_id}", location_id, name, address)
            except InventoryRefusal as exc:
                if exc.error_type != "LocationExists":  # the inventory seed opened it
                    raise
            bulk.put_store(
                Store(
                    store_id=store_id,
                    name=name,
                    address=address,
                    phone=f"+1 514-555-01{store_id:02d}",
                    location_id=location_id,
                    created_at=utcnow(),
                )
            )
            created["stores"] += 1
        store_ids.append(store_id)
    if store_ids:
        bulk.raise_counter("store", max(store_ids))  # POST /stores continues after them
    return store_ids


def _ensure_registers(counts: Mapping[int, int], created: dict[str, int]) -> dict[int, list[int]]:
    from retail.dal import stores as dal
    from retail.logic.stores import default_register_name
    from retail.models import CashRegister
    from shared.dynamo import utcnow

    created["registers"] = 0
    registers: dict[int, list[int]] = {}
    for store_id, count in counts.items():
        existing = {register.number: register.register_id for register in dal.registers_of(store_id)}
        for number in range(1, count + 1):
            if number not in existing:
                register = dal.create_register(
                    CashRegister(
                        store_id=store_id,
                        register_id=dal.next_id("register")[0],
                        number=number,
                        name=default_register_name(number),
                        created_at=utcnow(),
                    )
                )
                existing[number] = register.register_id
                created["registers"] += 1
        registers[store_id] = [existing[number] for number in range(1, count + 1)]
    return registers


def _ensure_history(rng: random.Random, registers: Mapping[int, Sequence[int]], created: dict[str, int]) -> dict[str, int]:
    from retail.dal import bulk
    from retail.dal import stores as dal
    from retail.dal import inventory as inventory_dal
    from retail.logic import rules
    from retail.logic.returns import new_return, sold_lines
    from retail.logic.sales import new_sale

    created["sales"] = created["returns"] = 0
    done = bulk.get_marker("history")
    if done is not None:
        return {"sales": int(done.counter or 0), "returns": int(done.owner_id or 0)}

    products = {product.product_id: product.price for product in inventory_dal.all_live_products()}
    if not products or not registers:
        return {"sales": 0, "returns": 0}

    # an interrupted earlier run left its moment and ids: finish it with the same ones
    pending_sales, pending_returns = bulk.get_marker("history-sales"), bulk.get_marker("history-returns")
    anchor = pending_sales.created_at if pending_sales else datetime.now(UTC).replace(microsecond=0)
    sales, returns = generate_history(rng, registers, sorted(products), anchor)
    if pending_sales and pending_returns and (pending_sales.counter, pending_returns.counter) == (len(sales), len(returns)):
        first_sale, first_return = int(pending_sales.owner_id), int(pending_returns.owner_id)
    else:
        first_sale = dal.next_id("sale", len(sales)).start if sales else 0
        first_return = dal.next_id("return", len(returns)).start if returns else 0
        bulk.put_marker("history-sales", owner_id=first_sale, counter=len(sales), created_at=anchor)
        bulk.put_marker("history-returns", owner_id=first_return, counter=len(returns), created_at=anchor)

    new_sales = [
        new_sale(first_sale + offset, spec.store_id, spec.register_id, rules.price_lines(spec.lines, products), spec.created_at)
        for offset, spec in enumerate(sales)
    ]
    new_returns = []
    returned: dict[tuple[int, int], int] = {}
    for offset, spec in enumerate(returns):
        sale = new_sales[spec.sale]
        already = {pid: returned.get((sale.sale_id, pid), 0) for pid, _ in spec.lines}
        refunds = rules.compute_refund(sale.sale_id, sold_lines(sale), list(spec.lines), already)
        for pid, quantity in spec.lines:
            returned[(sale.sale_id, pid)] = returned.get((sale.sale_id, pid), 0) + quantity
        new_returns.append(new_return(first_return + offset, sale, refunds, spec.reason, spec.created_at))
    bulk.import_history(new_sales, new_returns, returned)
    bulk.put_marker("history", counter=len(new_sales), owner_id=len(new_returns), created_at=anchor)
    created["sales"], created["returns"] = len(new_sales), len(new_returns)
    return {"sales": len(new_sales), "returns": len(new_returns)}
