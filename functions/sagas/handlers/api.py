"""Saga API Lambda (``SagaFunction``): start order-processing sagas, read them and list them
(REST proxy v1; the routes are in ``routes/sagas.py``)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from sagas.handlers.routes import sagas
from sagas.settings import SagaSettings
from shared.api import create_resolver, rest_handler

logger = Logger()
tracer = Tracer()
metrics = Metrics()

API_PREFIX = "/api/v1"

app = create_resolver(logger)
app.include_router(sagas.router, prefix=API_PREFIX)


lambda_handler = rest_handler(app, SagaSettings, logger=logger, metrics=metrics, tracer=tracer)
