"""The saga functions' environment (set in template.yaml)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings


class SagaSettings(EnvSettings):
    state_machine_arn: str = Field(alias="ORDER_SAGA_STATE_MACHINE_ARN", min_length=1)
    # the inventory location that fulfils online orders (stock is reserved there)
    fulfilment_location: str = Field(alias="SAGA_FULFILMENT_LOCATION", default="warehouse", min_length=1)
