"""Retail API Lambda: stores, cash registers, sales and returns (REST proxy v1)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

from retail.handlers.routes import registers, returns, sales, stores
from retail.settings import RetailSettings
from shared.api import create_resolver, rest_handler
from shared.idempotency import use_idempotency

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
use_idempotency(app)   # Idempotency-Key on every POST/PUT/PATCH/DELETE (shared/idempotency.py)
for _routes in (stores, registers, sales, returns):
    app.include_router(_routes.router, prefix=API_PREFIX)


lambda_handler = rest_handler(app, RetailSettings, logger=logger, metrics=metrics, tracer=tracer)
