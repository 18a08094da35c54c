"""The demo catalogue generator (infra.seed.inventory.generate) is deterministic and realistic."""

from __future__ import annotations

import random
from decimal import Decimal

from infra.seed.inventory import CATEGORIES, LOCATIONS, SUPPLIERS, generate
from inventory.schemas import ProductCreate


def test_generation_is_deterministic():
    assert generate(random.Random(42)) == generate(random.Random(42)) == generate()
    assert generate(random.Random(7)) != generate(random.Random(42))


def test_catalogue_shape():
    products = generate()
    assert len(products) == 200
    assert len({product.sku for product in products}) == 200
    assert len({product.name for product in products}) == 200
    assert {product.category for product in products} == {category.name for category in CATEGORIES}
    assert {product.supplier for product in products} <= {name for name, *_ in SUPPLIERS}
    assert len(LOCATIONS) == 6 and [kind for _, _, kind, _ in LOCATIONS].count("warehouse") == 1
    location_ids = {location_id for location_id, *_ in LOCATIONS}
    for product in products:
        # every generated product is a valid API request
        ProductCreate.model_validate(
            {"sku": product.sku, "name": product.name, "category_id": 1, "price": product.price,
             "reorder_level": product.reorder_level, "description": product.description}
        )
        assert product.price > 0 and product.price == product.price.quantize(Decimal("0.01"))
        assert set(product.stock) == location_ids
        assert all(quantity >= 0 for quantity in product.stock.values())


def test_some_stock_is_low_but_not_most():
    rows = [(available, product.reorder_level) for product in generate() for available in product.stock.values()]
    low = sum(1 for available, level in rows if available <= level)
    assert len(rows) == 1200
    assert 50 <= low <= 300
