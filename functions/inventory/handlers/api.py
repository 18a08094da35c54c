"""Inventory API Lambda: products, categories, suppliers, locations, stock (REST proxy v1)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

from inventory.handlers.routes import categories, locations, products, stock, suppliers
from inventory.settings import InventorySettings, ReservationSettings
from shared.api import add_openapi_route, create_resolver, rest_handler
from shared.idempotency import use_idempotency

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
use_idempotency(app)   # Idempotency-Key on every POST/PUT/PATCH/DELETE (shared/idempotency.py)
for _routes in (products, categories, suppliers, locations, stock):
    app.include_router(_routes.router, prefix=API_PREFIX)
add_openapi_route(app)


lambda_handler = rest_handler(app, InventorySettings, ReservationSettings, logger=logger, metrics=metrics, tracer=tracer)
