"""Inventory demo data: 6 locations, 10 categories, 8 suppliers, 200 products, stock everywhere.

    from infra.seed.inventory import seed
    seed({"PRODUCTS_TABLE": "...", ...})   # the InventoryFunction's environment variables

Writes through the inventory data-access layer (``functions/`` must be importable and the AWS
endpoint/region/credentials passed down with ``shared.settings.use``, as ``infra.seed.seed_all``
does, or else set in the environment).

- deterministic: the data set is generated from ``random.Random(42)`` before anything is
  written, so it is the same on every machine;
- idempotent: locations are upserted, categories and suppliers are looked up by name and
  products by SKU; only what is missing is created, so a second run changes nothing (and
  never resets stock that users changed);
- fast: products, SKU guards, stock rows and their initial movements go in batch writes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SEED = 42

LOCATIONS = [
    ("warehouse", "Central warehouse", "warehouse", "2400 Boulevard Industriel, Laval, QC"),
    ("store-1", "Montréal Centre-Ville", "store", "1100 Rue Sainte-Catherine O, Montréal, QC"),
    ("store-2", "Québec Vieux-Port", "store", "85 Rue Dalhousie, Québec, QC"),
    ("store-3", "Laval Carrefour", "store", "3035 Boulevard le Carrefour, Laval, QC"),
    ("store-4", "Longueuil Rive-Sud", "store", "825 Rue Saint-Laurent O, Longueuil, QC"),
    ("store-5", "Gatineau Hull", "store", "35 Rue Laval, Gatineau, QC"),
]

SUPPLIERS = [
    ("Northwind Traders", "orders@northwind-traders.example", "+1 514-555-0101", "40 Rue Peel, Montréal, QC"),
    ("Laurentian Distribution", "sales@laurentian-dist.example", "+1 819-555-0102", "12 Chemin du Lac, Mont-Tremblant, QC"),
    ("Maple Leaf Wholesale", "wholesale@mapleleaf.example", "+1 416-555-0103", "300 Front St W, Toronto, ON"),
    ("Saint-Laurent Imports", "imports@saint-laurent.example", "+1 418-555-0104", "5 Quai Saint-André, Québec, QC"),
    ("Boreal Supply Co.", "hello@borealsupply.example", "+1 705-555-0105", "88 Lakeshore Dr, North Bay, ON"),
    ("Atlantic Goods Inc.", "contact@atlanticgoods.example", "+1 902-555-0106", "1600 Barrington St, Halifax, NS"),
    ("Prairie Provisions", "orders@prairieprovisions.example", "+1 306-555-0107", "220 Albert St, Regina, SK"),
    ("Pacific Rim Trading", "trade@pacificrim.example", "+1 604-555-0108", "999 Canada Pl, Vancouver, BC"),
]


@dataclass(frozen=True)
class CategorySpec:
    name: str
    prefix: str
    description: str
    price_range: tuple[int, int]
    brands: tuple[str, ...]
    items: tuple[str, ...]


CATEGORIES = [
    CategorySpec(
        "Electronics", "ELE", "Audio, computing and smart-home devices", (15, 900),
        ("Voltra", "Nexon", "Auralis", "Kitek", "Lumio"),
        ("Wireless Earbuds", "Bluetooth Speaker", "USB-C Charger 65W", "27-inch 4K Monitor", "Mechanical Keyboard",
         "Wireless Mouse", "Smartwatch", "Power Bank 20000 mAh", "HDMI Cable 2 m", "1080p Webcam", "10-inch Tablet",
         "Noise-Cancelling Headphones", "Portable SSD 1 TB", "Smart Plug (2-pack)", "E-Reader"),
    ),
    CategorySpec(
        "Groceries", "GRO", "Pantry staples and fresh food", (2, 25),
        ("Terroir", "Bonne Table", "Maple Farm", "Golden Field", "La Boulangère"),
        ("Basmati Rice 2 kg", "Organic Rolled Oats 1 kg", "Extra Virgin Olive Oil 1 L", "Pure Maple Syrup 540 ml",
         "Whole Wheat Pasta 900 g", "Crunchy Peanut Butter 1 kg", "Chickpeas 540 ml", "Dark Chocolate 70% 100 g",
         "Wildflower Honey 500 g", "Aged Cheddar 400 g", "Sourdough Bread", "Free-Range Eggs (12)",
         "Ground Coffee 340 g", "Strawberry Jam 500 ml", "Tomato Passata 680 ml"),
    ),
    CategorySpec(
        "Beverages", "BEV", "Soft drinks, juices, coffee and tea", (2, 40),
        ("Source Claire", "Nordik", "Zest & Co", "Bluestone", "Pure Glacier"),
        ("Sparkling Water 12x355 ml", "Orange Juice 1.75 L", "Green Tea (20 bags)", "Cold Brew Coffee 1 L",
         "Ginger Kombucha 414 ml", "Apple Cider 2 L", "Energy Drink 473 ml", "Almond Milk 1.89 L",
         "Craft Root Beer (4-pack)", "Lemon Iced Tea 2 L", "Espresso Beans 1 kg", "Hot Chocolate Mix 500 g",
         "Coconut Water 1 L", "Mineral Water 6x1.5 L"),
    ),
    CategorySpec(
        "Clothing", "CLO", "Apparel for every season", (12, 280),
        ("Nordet", "Harfang", "Urbanik", "Taïga", "Coastline"),
        ("Merino Wool Sweater", "Rain Jacket", "Slim Fit Jeans", "Cotton T-Shirt", "Hooded Sweatshirt",
         "Winter Parka", "Chino Pants", "Wool Socks (3 pairs)", "Flannel Shirt", "Knit Toque", "Leather Gloves",
         "Running Shorts", "Down Vest", "Linen Shirt"),
    ),
    CategorySpec(
        "Home & Kitchen", "HOM", "Cookware, tableware and home essentials", (9, 420),
        ("Casa Nord", "Ferro", "Maison Lune", "Kitchenwell", "Oakline"),
        ("Cast Iron Skillet 10-inch", "Chef's Knife 8-inch", "Nonstick Frying Pan", "Stainless Steel Kettle",
         "French Press 1 L", "Bamboo Cutting Board", "Dutch Oven 5.5 qt", "Glass Storage Set (10)", "Stand Mixer",
         "High-Speed Blender", "Bath Towel Set", "Cotton Bed Sheets Queen", "Table Lamp", "Throw Blanket"),
    ),
    CategorySpec(
        "Toys & Games", "TOY", "Games, puzzles and toys for all ages", (8, 130),
        ("Funlab", "Petit Génie", "BrickWorks", "Hopscotch", "Tundra Toys"),
        ("Building Blocks Set (500 pcs)", "Wooden Train Set", "Strategy Board Game", "Jigsaw Puzzle 1000 pcs",
         "Plush Bear", "Remote Control Car", "Art & Craft Kit", "Family Card Game", "Science Experiment Kit",
         "Doll House", "Stunt Kite", "Magnetic Tiles (60 pcs)"),
    ),
    CategorySpec(
        "Sports & Outdoors", "SPO", "Gear for the trail, the gym and the rink", (10, 650),
        ("Altitude", "Boréal", "Summit", "Rivière", "Polar Peak"),
        ("Yoga Mat", "Hiking Backpack 30 L", "Camping Tent 2-Person", "Sleeping Bag -7°C", "Trekking Poles",
         "Insulated Water Bottle 750 ml", "Hockey Stick", "Cross-Country Skis", "Bike Helmet",
         "Dumbbell Set 20 kg", "Snowshoes", "Headlamp", "Soccer Ball", "Tennis Racket"),
    ),
    CategorySpec(
        "Health & Beauty", "HEA", "Personal care and wellness", (3, 90),
        ("Clarté", "Pure Leaf", "Derma Nord", "Vitalis", "Sève"),
        ("Moisturizing Cream 200 ml", "SPF 50 Sunscreen 120 ml", "Vitamin D3 (180 tabs)", "Shampoo 400 ml",
         "Electric Toothbrush", "Lip Balm (2-pack)", "Hand Soap 500 ml", "Body Wash 532 ml",
         "Multivitamin (120 tabs)", "Facial Cleanser 150 ml", "Hair Dryer", "Deodorant 85 g"),
    ),
    CategorySpec(
        "Books & Stationery", "BOO", "Books, notebooks and office supplies", (2, 60),
        ("Papeterie Roy", "Inkwell", "Folio", "Scriptum", "Page & Plume"),
        ("Hardcover Notebook A5", "Gel Pens (12-pack)", "Weekly Planner", "Sketchbook", "Fountain Pen",
         "Highlighters (6-pack)", "Desk Organizer", "Watercolour Set", "Sticky Notes (12 pads)", "Graph Paper Pad",
         "Mystery Novel", "Québec Classics Cookbook", "Atlas of Canada", "Children's Picture Book"),
    ),
    CategorySpec(
        "Hardware & Tools", "HAR", "Tools and supplies for every project", (5, 450),
        ("Forgeline", "Tradesman", "Ironclad", "Castor", "Northbolt"),
        ("Cordless Drill 20V", "Claw Hammer 16 oz", "Screwdriver Set (12 pcs)", "Tape Measure 25 ft",
         "Adjustable Wrench", "Socket Set (40 pcs)", "LED Work Light", "Stud Finder", "Level 24-inch",
         "Utility Knife", "Circular Saw", "Extension Cord 15 m", "Pliers Set", "Wood Glue 500 ml"),
    ),
]

PRODUCTS_PER_CATEGORY = 20
REORDER_LEVELS = (5, 10, 15, 20, 25)
LOW_STOCK_SHARE = 0.12  # share of stock rows generated at or below their reorder level
CENT_ENDINGS = ("0.99", "0.49", "0.95", "0.00", "0.79")


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    description: str
    category: str
    supplier: str
    price: Decimal
    reorder_level: int
    stock: dict[str, int]  # location id -> available units


def generate(rng: random.Random | None = None) -> list[ProductSpec]:
    """The demo catalogue (pure: same output for the same generator state)."""
    rng = rng or random.Random(SEED)
    supplier_names = [name for name, *_ in SUPPLIERS]
    location_ids = [location_id for location_id, *_ in LOCATIONS]
    products: list[ProductSpec] = []
    for category in CATEGORIES:
        preferred = rng.sample(supplier_names, 3)
        combos = [(brand, item) for brand in category.brands for item in category.items]
        low, high = category.price_range
        for number, (brand, item) in enumerate(rng.sample(combos, PRODUCTS_PER_CATEGORY), start=1):
            reorder_level = rng.choice(REORDER_LEVELS)
            price = Decimal(rng.randint(low, high)) + Decimal(rng.choice(CENT_ENDINGS)) - Decimal(1)
            price = max(price, Decimal("0.99"))
            stock = {}
            for location_id in location_ids:
                if rng.random() < LOW_STOCK_SHARE:
                    stock[location_id] = rng.randint(0, reorder_level)
                elif location_id == "warehouse":
                    stock[location_id] = rng.randint(reorder_level * 4 + 1, 600)
                else:
                    stock[location_id] = rng.randint(reorder_level + 1, reorder_level + 80)
            products.append(
                ProductSpec(
                    sku=f"{category.prefix}-{number:05d}",
                    name=f"{brand} {item}",
                    description=f"{item} by {brand}.",
                    category=category.name,
                    supplier=rng.choice(preferred),
                    price=price,
                    reorder_level=reorder_level,
                    stock=stock,
                )
            )
    return products


def seed(env: dict[str, str]) -> dict[str, Any]:
    """Load the demo data into the tables named by ``env``; returns counts."""
    from inventory.settings import InventorySettings
    from shared.settings import use

    products = generate(random.Random(SEED))
    with use(InventorySettings.from_env(env)):  # the deployed tables, passed down explicitly
        return _write(products)


def _write(products: list[ProductSpec]) -> dict[str, Any]:
    from inventory.dal import bulk, catalog
    from inventory.dal.stock import new_movement_id
    from inventory.models import Movement, Product, Stock
    from shared.dynamo import utcnow

    created = {"categories": 0, "suppliers": 0, "products": 0}

    for location_id, name, kind, address in LOCATIONS:
        catalog.put_location(location_id, name, kind, address)

    category_ids: dict[str, int] = {}
    for spec in CATEGORIES:
        category = catalog.find_category_by_name(spec.name)
        if category is None:
            category = catalog.create_category(spec.name, spec.description)
            created["categories"] += 1
        category_ids[spec.name] = category.category_id

    supplier_ids: dict[str, int] = {}
    for name, email, phone, address in SUPPLIERS:
        supplier = catalog.find_supplier_by_name(name)
        if supplier is None:
            supplier = catalog.create_supplier(name, email, phone, address)
            created["suppliers"] += 1
        supplier_ids[name] = supplier.supplier_id

    existing = bulk.existing_sku_owners(spec.sku for spec in products)
    missing = [spec for spec in products if spec.sku not in existing]
    new_products: list[Product] = []
    rows: list[Stock] = []
    movements: list[Movement] = []
    if missing:
        now = utcnow()
        for product_id, spec in zip(catalog.next_id("product", len(missing)), missing, strict=True):
            new_products.append(
                Product(
                    product_id=product_id,
                    sku=spec.sku,
                    name=spec.name,
                    description=spec.description,
                    category_id=category_ids[spec.category],
                    supplier_id=supplier_ids[spec.supplier],
                    price=spec.price,
                    reorder_level=spec.reorder_level,
                    created_at=now,
                    updated_at=now,
                )
            )
            for location_id, available in spec.stock.items():
                rows.append(
                    Stock(
                        product_id=product_id,
                        location_id=location_id,
                        available=available,
                        reserved=0,
                        reorder_level=spec.reorder_level,
                        updated_at=now,
                    )
                )
                movements.append(
                    Movement(
                        product_id=product_id,
                        movement_id=new_movement_id(now),
                        location_id=location_id,
                        kind="initial",
                        delta=available,
                        available_before=0,
                        available_after=available,
                        reason="initial stock (demo data)",
                        created_at=now,
                    )
                )
        bulk.import_products(new_products, rows, movements)
        created["products"] = len(new_products)

    stock_rows = sum(len(spec.stock) for spec in products)
    low_stock_rows = sum(
        1 for spec in products for available in spec.stock.values() if available <= spec.reorder_level
    )
    return {
        "locations": len(LOCATIONS),
        "categories": len(CATEGORIES),
        "suppliers": len(SUPPLIERS),
        "products": len(products),
        "stock_rows": stock_rows,
        "low_stock_rows": low_stock_rows,
        "created": created,
    }
