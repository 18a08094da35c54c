"""The reporting functions' environment (set in template.yaml from the tables' ``!Ref``).

Each concern has its own settings class so that a function only needs the variables it uses:
the stream consumer does not call inventory, the report API has no processed-events table.
"""

from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings

DEFAULT_PROCESSED_TTL_DAYS = 7


class AggregatesSettings(EnvSettings):
    aggregates_table: str = Field(alias="AGGREGATES_TABLE", min_length=1)


class ProcessedEventsSettings(EnvSettings):
    processed_events_table: str = Field(alias="PROCESSED_EVENTS_TABLE", min_length=1)
    # markers outlive the 24 h retention of a DynamoDB stream with a wide margin
    processed_ttl_days: int = Field(alias="PROCESSED_TTL_DAYS", default=DEFAULT_PROCESSED_TTL_DAYS, ge=1, le=365)


class SourceTablesSettings(EnvSettings):
    """The tables whose streams feed the consumer (to tell a record's kind by its source)."""

    sales_table: str | None = Field(alias="SALES_TABLE", default=None)
    returns_table: str | None = Field(alias="RETURNS_TABLE", default=None)
    orders_table: str | None = Field(alias="ORDERS_TABLE", default=None)


class InventorySettings(EnvSettings):
    """Inventory's interface function (``shared.contracts.inventory``), asked for the inventory
    report, the dashboard's low-stock count and the top products' names."""

    inventory_function: str = Field(alias="INVENTORY_FUNCTION", min_length=1)
