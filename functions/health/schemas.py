"""What the health and caller routes answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["healthy", "unhealthy"]


class Dependency(BaseModel):
    name: str
    type: Literal["dynamodb", "stepfunctions"]
    status: str = Field(description="ACTIVE, another resource status, or 'unreachable: <error>'")
    healthy: bool
    latency_ms: float
    arn: str | None = None


class PublicHealth(BaseModel):
    """The public answer: nothing about the deployment beyond its status and version."""

    status: Status
    version: str


class HealthDetails(PublicHealth):
    """The admin's answer: every dependency, as last checked."""

    stage: str
    checked_at: str = Field(description="when the dependencies were checked (ISO 8601, UTC)")
    age_seconds: float = Field(description="how old this check is (checks are shared for a few seconds)")
    dependencies: list[Dependency]


class CallerOut(BaseModel):
    """Who the API key belongs to, as the authorizer saw it."""

    role: str = Field(description="admin, store or shop (README 'API keys and roles')")
    principal_id: str = Field(description="the caller's API key id")
    key_name: str | None = None
    stores: list[int] | None = Field(default=None, description="a store key's own stores (absent: every store)")
    routes: list[str] = Field(description="every 'METHOD /path' this role may call")
