"""E-commerce API Lambda: customers, carts, orders, payments (REST proxy v1)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

from ecommerce.handlers.routes import carts, customers, orders, payments
from ecommerce.settings import CatalogSettings, EcommerceSettings
from shared.api import create_resolver, rest_handler
from shared.idempotency import use_idempotency

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
use_idempotency(app)   # Idempotency-Key on every POST/PUT/PATCH/DELETE (shared/idempotency.py)
for _routes in (customers, carts, orders, payments):
    app.include_router(_routes.router, prefix=API_PREFIX)


lambda_handler = rest_handler(app, EcommerceSettings, CatalogSettings, logger=logger, metrics=metrics, tracer=tracer)
