"""The session cookie's signing key, read from Secrets Manager once per cold start."""
from __future__ import annotations

from functools import lru_cache

from shared.aws import client


@lru_cache(maxsize=4)
def session_secret(secret_id: str) -> str:
    return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
