"""Reporting API Lambda: sales, performance and inventory reports, trends, dashboard (REST proxy v1)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

from reporting.handlers.routes import analytics, dashboards, reports
from reporting.settings import AggregatesSettings, InventorySettings
from shared.api import create_resolver, rest_handler

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
for _routes in (reports, analytics, dashboards):
    app.include_router(_routes.router, prefix=API_PREFIX)


lambda_handler = rest_handler(app, AggregatesSettings, InventorySettings, logger=logger, metrics=metrics, tracer=tracer)
