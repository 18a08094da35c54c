"""Id counters of the e-commerce domain (customer, cart, order, payment): 1, 2, 3 ..."""

from __future__ import annotations

from ecommerce.dal.tables import EcommerceRegistry
from shared.dynamo import allocate_ids


def next_id(counter: str, count: int = 1) -> range:
    return allocate_ids(EcommerceRegistry, counter, count)
