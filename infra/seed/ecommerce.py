"""E-commerce demo data: 50 customers, three weeks of orders with their payments, a few carts.

    from infra.seed.ecommerce import seed
    seed({"ORDERS_TABLE": "...", "INVENTORY_FUNCTION": "...", ...})   # EcommerceFunction's environment

Writes through the e-commerce data-access layer (``functions/`` must be importable and the AWS
endpoint/region/credentials passed down with ``shared.settings.use``, as ``infra.seed.seed_all``
does, or else set in the environment). Orders are priced from the inventory catalogue (read
through inventory's interface function), so inventory's demo data must be loaded first.

- deterministic: customers and orders are generated from ``random.Random(42)`` (orders from
  the catalogue as it is: the same catalogue gives the same orders); dates are relative to
  today (the last 21 days, today included);
- idempotent: customers are looked up by e-mail, orders by their idempotency key
  (``seed-order-0001`` ...), carts are only created on a stack that never had one; a second
  run changes nothing;
- customer 1 exists on a fresh stack (the first customer created), as the reference's saga
  example needs; ids 99999 and up are never used;
- fast: everything goes in batch writes (about 200 orders in a second or two).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

SEED = 42
CUSTOMER_COUNT = 50
DAYS = 21  # today and the 20 days before
ORDERS_PER_DAY = (6, 12)
CART_COUNT = 8
KEY_PREFIX = "seed-order-"

FIRST_NAMES = (
    "Marie", "Jean", "Sophie", "Louis", "Camille", "Gabriel", "Léa", "Félix", "Chloé", "William",
    "Emma", "Thomas", "Alice", "Olivier", "Juliette", "Samuel", "Rosalie", "Nathan", "Florence", "Antoine",
    "Charlotte", "Zoé", "Raphaël", "Maya", "Liam", "Amélie", "Noah", "Éloïse", "Jacob", "Clara",
)
LAST_NAMES = (
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné",
    "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard", "Boucher",
    "Caron", "Beaulieu", "Cloutier", "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc", "Lefebvre", "Poulin",
)
CITIES = (  # city, region, postal-code prefix, area code
    ("Montréal", "QC", "H2X", "514"),
    ("Québec", "QC", "G1R", "418"),
    ("Laval", "QC", "H7N", "450"),
    ("Longueuil", "QC", "J4K", "450"),
    ("Gatineau", "QC", "J8X", "819"),
    ("Sherbrooke", "QC", "J1H", "819"),
    ("Trois-Rivières", "QC", "G9A", "819"),
    ("Lévis", "QC", "G6V", "418"),
)
STREETS = (
    "Rue Saint-Denis", "Boulevard René-Lévesque", "Rue Sherbrooke", "Avenue du Parc", "Rue King",
    "Chemin Sainte-Foy", "Rue Principale", "Boulevard des Laurentides", "Rue Wellington", "Avenue Cartier",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
PAYMENT_METHODS = (("credit_card", "tok_visa", 70), ("debit_card", None, 15), ("paypal", None, 15))
CANCEL_REASONS = ("cancelled by customer", "item no longer needed", "delivery too slow")


@dataclass(frozen=True)
class CustomerSpec:
    email: str
    first_name: str
    last_name: str
    phone: str
    address: dict[str, str]


@dataclass(frozen=True)
class OrderSpec:
    key: str  # idempotency key: how a second run recognises the order
    customer: int  # 1-based position in the customer list
    created_at: datetime
    lines: tuple[tuple[int, int], ...]  # (product_id, quantity)
    status: str  # pending | confirmed | cancelled
    payment: str | None  # captured | declined | refunded | None
    payment_method: str | None
    card_token: str | None
    reason: str | None  # why it was cancelled


def generate_customers(rng: random.Random) -> list[CustomerSpec]:
    """The demo customers (pure: same output for the same generator state)."""
    customers: list[CustomerSpec] = []
    emails: set[str] = set()
    while len(customers) < CUSTOMER_COUNT:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower()
        local = local.translate(str.maketrans("éèêëàâîïôöûüç", "eeeeaaiioouuc"))
        email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        if email in emails:
            email = f"{local}{len(customers) + 1}@{rng.choice(EMAIL_DOMAINS)}"
        emails.add(email)
        city, region, prefix, area = rng.choice(CITIES)
        address = {
            "label": "home",
            "line1": f"{rng.randint(10, 9900)} {rng.choice(STREETS)}",
            "city": city,
            "region": region,
            "postal_code": f"{prefix} {rng.randint(1, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randint(1, 9)}",
            "country": "CA",
        }
        phone = f"+1 {area}-555-{rng.randint(0, 9999):04d}"
        customers.append(CustomerSpec(email, first, last, phone, address))
    return customers


def _status(rng: random.Random, age_days: int) -> tuple[str, str | None, str | None]:
    """(order status, payment outcome, cancel reason) for an order ``age_days`` old."""
    roll = rng.random()
    if age_days <= 1 and roll < 0.45:
        return "pending", None, None
    if roll < 0.86 or (age_days <= 1 and roll < 0.92):
        return "confirmed", "captured", None
    kind = rng.random()
    if kind < 0.5:
        return "cancelled", "declined", "payment declined"
    if kind < 0.8:
        return "cancelled", "refunded", rng.choice(CANCEL_REASONS)
    return "cancelled", None, rng.choice(CANCEL_REASONS)


def generate_orders(
    rng: random.Random, product_ids: Sequence[int], now: datetime, customer_count: int = CUSTOMER_COUNT
) -> list[OrderSpec]:
    """Orders of the last ``DAYS`` days (today included, never in the future), oldest first."""
    if not product_ids:
        return []
    now = now.astimezone(UTC)
    today = now.date()
    orders: list[OrderSpec] = []
    for age in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=age)
        start = datetime.combine(day, time(7, 0), UTC)
        end = min(datetime.combine(day, time(23, 0), UTC), now - timedelta(minutes=5))
        count = rng.randint(*ORDERS_PER_DAY)
        span = int((end - start).total_seconds())
        stamps = sorted(rng.randrange(span) for _ in range(count)) if span > 0 else []
        for seconds in stamps:
            products = rng.sample(list(product_ids), k=min(len(product_ids), rng.choice((1, 1, 2, 2, 3, 4))))
            lines = tuple((product_id, rng.choice((1, 1, 1, 2, 2, 3))) for product_id in products)
            status, payment, reason = _status(rng, age)
            method, token = None, None
            if payment is not None:
                if payment == "declined":
                    method, token = "declined_card", None
                else:
                    method, token = rng.choices(
                        [(name, tok) for name, tok, _ in PAYMENT_METHODS], weights=[w for *_, w in PAYMENT_METHODS]
                    )[0]
            orders.append(
                OrderSpec(
                    key=f"{KEY_PREFIX}{len(orders) + 1:04d}",
                    customer=rng.randint(1, customer_count),
                    created_at=(start + timedelta(seconds=seconds)).replace(microsecond=0),
                    lines=lines,
                    status=status,
                    payment=payment,
                    payment_method=method,
                    card_token=token,
                    reason=reason,
                )
            )
    return orders


def seed(env: dict[str, str], *, now: datetime | None = None) -> dict[str, Any]:
    """Load the demo data into the tables named by ``env``; returns counts."""
    from ecommerce.settings import CatalogSettings, EcommerceSettings
    from shared.settings import use

    # the deployed tables and inventory's interface function, passed down explicitly
    with use(EcommerceSettings.from_env(env), CatalogSettings.from_env(env)):
        return _write(now or datetime.now(UTC))


def _write(now: datetime) -> dict[str, Any]:
    from ecommerce.dal import catalog
    from ecommerce.dal import idempotency as idem_dal
    from ecommerce.dal.customers import EMAIL, email_key, get_customers
    from ecommerce.dal.payments import ORDER_PAYMENT
    from ecommerce.dal.registry import next_id
    from ecommerce.dal.tables import CartRecord, CustomerRecord, EcommerceRegistry, IdempotencyRecord, OrderRecord, PaymentRecord
    from ecommerce.logic import pricing, provider
    from ecommerce.logic.carts import new_cart
    from ecommerce.logic.idempotency import CREATE_ORDER, PROCESS_PAYMENT, request_hash
    from ecommerce.logic.orders import NewOrder, build_order
    from ecommerce.logic.payments import PaymentRequest, output_of
    from ecommerce.models import Address, Customer, IdempotencyEntry, Order, Payment, StatusChange
    from ecommerce.saga_schemas import CreateOrderOutput
    from ecommerce.schemas import LineRequest
    from ecommerce.settings import settings
    from shared.dynamo import guard_item, save_all, unique_key

    rng = random.Random(SEED)
    customers = generate_customers(rng)
    created = {"customers": 0, "orders": 0, "payments": 0, "carts": 0}

    # ------------------------------------------------------------ customers (by e-mail)
    guard_keys = [unique_key(EMAIL, email_key(spec.email)) for spec in customers]
    owners = {item.pk: item.owner_id for item in EcommerceRegistry.batch_get(guard_keys)}
    missing = [spec for spec, pk in zip(customers, guard_keys, strict=True) if pk not in owners]
    if missing:
        new_customers = []
        for customer_id, spec in zip(next_id("customer", len(missing)), missing, strict=True):
            at = (now - timedelta(days=DAYS + 30)).replace(microsecond=0)
            new_customers.append(
                Customer(
                    customer_id=customer_id,
                    email=spec.email,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    phone=spec.phone,
                    addresses=[Address.model_validate(spec.address)],
                    created_at=at,
                    updated_at=at,
                )
            )
        with EcommerceRegistry.batch_write() as batch:
            for customer in new_customers:
                batch.save(guard_item(EcommerceRegistry, EMAIL, email_key(customer.email), customer.customer_id))
        save_all(CustomerRecord, new_customers)
        for customer in new_customers:
            owners[unique_key(EMAIL, email_key(customer.email))] = customer.customer_id
        created["customers"] = len(new_customers)
    customer_ids = [owners[pk] for pk in guard_keys]
    records = {customer.customer_id: customer for customer in get_customers(customer_ids)}

    # ------------------------------------------------------------ orders and payments (by key)
    products = {entry.product_id: entry for entry in catalog.all_live_products()}
    specs = generate_orders(rng, sorted(products), now, len(customers))
    entries = {
        pid: pricing.CatalogEntry(pid, record.sku, record.name, record.price) for pid, record in products.items()
    }
    existing = idem_dal.existing_keys(CREATE_ORDER, [spec.key for spec in specs])
    todo = [spec for spec in specs if spec.key not in existing]
    tax_rate = settings().tax_rate
    orders: list[Order] = []
    payments: list[Payment] = []
    idempotency: list[IdempotencyEntry] = []
    guards: list[EcommerceRegistry] = []
    if todo:
        order_ids = iter(next_id("order", len(todo)))
        paid = [spec for spec in todo if spec.payment is not None]
        payment_ids = iter(next_id("payment", len(paid)) if paid else ())
        for spec in todo:
            customer = records[customer_ids[spec.customer - 1]]
            lines = pricing.price_lines(spec.lines, entries)
            address = customer.addresses[0]
            shipping = address.model_copy(update={"recipient": customer.full_name})
            order = build_order(
                next(order_ids),
                customer=customer,
                lines=lines,
                shipping=shipping,
                billing=shipping,
                at=spec.created_at,
                source="seed",
                idempotency_key=spec.key,
                tax_rate=tax_rate,
            )
            new = NewOrder(customer_id=customer.customer_id, lines=tuple(LineRequest(product_id=p, quantity=q) for p, q in spec.lines))
            idempotency.append(
                idem_dal.completed(
                    CREATE_ORDER, spec.key, request_hash(new.fingerprint()), order.order_id,
                    CreateOrderOutput.model_validate(order).model_dump(mode="json"),
                )
            )
            decided_at = spec.created_at + timedelta(seconds=40 + random.Random(spec.key).randrange(180))
            if spec.payment is not None:
                decision = provider.authorize_and_capture(
                    payment_method=spec.payment_method, card_token=spec.card_token, amount=order.total, idempotency_key=spec.key
                )
                history = (
                    [StatusChange(status="declined", at=spec.created_at + timedelta(seconds=20), reason=decision.decline_reason)]
                    if not decision.approved
                    else [
                        StatusChange(status="authorized", at=spec.created_at + timedelta(seconds=20), reason="authorized by the provider"),
                        StatusChange(status="captured", at=spec.created_at + timedelta(seconds=20), reason="captured"),
                    ]
                )
                if spec.payment == "refunded":
                    history.append(StatusChange(status="refunded", at=decided_at, reason=spec.reason))
                payment = Payment(
                    payment_id=next(payment_ids),
                    order_id=order.order_id,
                    amount=order.total,
                    currency=order.currency,
                    payment_method=spec.payment_method,
                    card_token=spec.card_token,
                    status=spec.payment,
                    provider_reference=decision.reference,
                    decline_reason=decision.decline_reason,
                    status_history=history,
                    idempotency_key=spec.key,
                    created_at=spec.created_at + timedelta(seconds=20),
                    updated_at=history[-1].at,
                )
                request = PaymentRequest(order.order_id, order.total, spec.payment_method, spec.card_token)
                idempotency.append(
                    idem_dal.completed(
                        PROCESS_PAYMENT, spec.key, request_hash(request.fingerprint()), payment.payment_id,
                        output_of(payment).model_dump(mode="json")  # the first outcome: captured or declined,
                    )
                )
                payments.append(payment)
                if decision.approved:
                    guards.append(guard_item(EcommerceRegistry, ORDER_PAYMENT, str(order.order_id), payment.payment_id))
            if spec.status != "pending":
                reason = "order confirmed" if spec.status == "confirmed" else spec.reason
                order.status = spec.status
                order.status_history = [*order.status_history, StatusChange(status=spec.status, at=decided_at, reason=reason)]
                order.updated_at = decided_at
            orders.append(order)
        save_all(OrderRecord, orders)
        save_all(PaymentRecord, payments)
        save_all(IdempotencyRecord, idempotency)
        with EcommerceRegistry.batch_write() as batch:
            for item in guards:
                batch.save(item)
        created["orders"], created["payments"] = len(orders), len(payments)

    # ------------------------------------------------------------ a few open carts (first run only)
    try:
        EcommerceRegistry.get("counter#cart", consistent_read=True)
        carts_exist = True
    except EcommerceRegistry.DoesNotExist:
        carts_exist = False
    if not carts_exist and entries:
        rng = random.Random(SEED + 1)
        carts = []
        for cart_id in next_id("cart", CART_COUNT):
            owner = customer_ids[rng.randrange(len(customer_ids))] if cart_id % 4 else None  # some guest carts
            chosen = rng.sample(sorted(entries), k=min(len(entries), rng.randint(1, 3)))
            lines = pricing.price_lines([(pid, rng.randint(1, 2)) for pid in chosen], entries)
            summary = pricing.summarize(lines, tax_rate)
            at = (now - timedelta(hours=rng.randint(1, 72))).replace(microsecond=0)
            carts.append(new_cart(cart_id, customer_id=owner, lines=lines, summary=summary, at=at))
        save_all(CartRecord, carts)
        created["carts"] = len(carts)

    statuses = Counter(spec.status for spec in specs)
    payment_statuses = Counter(spec.payment for spec in specs if spec.payment)
    return {
        "customers": len(customers),
        "orders": len(specs),
        "orders_by_status": dict(sorted(statuses.items())),
        "payments_by_status": dict(sorted(payment_statuses.items())),
        "days": DAYS,
        "created": created,
    }
