"""Demo data for the local stack, written through each domain's own data-access layer.

Each domain's seeder takes the environment its function was deployed with (table names),
read back from the Lambda API, so the data lands in exactly the tables the handlers use. The
settings are passed down explicitly, never through the process environment: a seeder builds
its domain's settings with ``XSettings.from_env(function_environment)`` and writes inside
``shared.settings.use(settings)``; :func:`seed_all` wraps them all in ``use()`` of the
endpoint's :class:`shared.settings.AwsSettings` (region, endpoint, credentials), which the
domains' clients and pynamodb models are given.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import boto3

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"

# logical id of the function whose environment names the domain's tables -> seeder module
# (in this order: retail sells inventory's products, e-commerce orders them)
SEEDERS = {
    "InventoryFunction": "infra.seed.inventory",
    "RetailFunction": "infra.seed.retail",
    "EcommerceFunction": "infra.seed.ecommerce",
}


def function_environment(function_name: str, endpoint: Any) -> dict[str, str]:
    """The deployed function's environment variables, read with ``endpoint``'s
    :class:`shared.settings.AwsSettings` (region, endpoint and credentials: none from the process)."""
    client = boto3.client("lambda", **endpoint.client_kwargs())
    config = client.get_function_configuration(FunctionName=function_name)
    return config.get("Environment", {}).get("Variables", {})


def seed_all(stack: Any, endpoint_url: str, region: str) -> dict[str, Any]:
    """Seeds every domain present in the deployed stack; idempotent."""
    import importlib

    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    from shared.settings import AwsSettings, use

    endpoint = AwsSettings(
        region=region,
        endpoint_url=endpoint_url,
        access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )
    summary = {}
    with use(endpoint):  # what the data-access layer (boto3 clients, pynamodb models) is given
        for logical_id, module in SEEDERS.items():
            if logical_id not in stack.resources:
                continue
            env = function_environment(stack.physical_id(logical_id), endpoint)
            summary[logical_id] = importlib.import_module(module).seed(env)
    return summary
