"""The health function's environment (set in template.yaml), validated at cold start."""

from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings

DEFAULT_CACHE_SECONDS = 5.0


class HealthSettings(EnvSettings):
    # comma-separated: every DynamoDB table and Step Functions state machine the API depends on
    health_tables: str = Field(alias="HEALTH_TABLES", default="")
    health_state_machines: str = Field(alias="HEALTH_STATE_MACHINES", default="")
    stage: str = Field(alias="STAGE", default="")
    # one check answers every request for this long (the check makes one call per dependency)
    cache_seconds: float = Field(alias="HEALTH_CACHE_SECONDS", default=DEFAULT_CACHE_SECONDS, ge=0, le=300)

    @property
    def tables(self) -> list[str]:
        return _names(self.health_tables)

    @property
    def state_machines(self) -> list[str]:
        return _names(self.health_state_machines)


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]
