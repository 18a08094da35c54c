"""Query parameters shared by the report routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from reporting.logic.periods import DATE_FORMAT, DATE_PATTERN, DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS

From = Annotated[
    str | None,
    Query(
        alias="from",
        pattern=DATE_PATTERN,
        json_schema_extra=DATE_FORMAT,
        description=f"First day (UTC, YYYY-MM-DD, included). Default: {DEFAULT_PERIOD_DAYS - 1} days before `to`. "
        f"At most {MAX_PERIOD_DAYS} days from `from` to `to`.",
        examples=["2026-11-01"],
    ),
]
To = Annotated[
    str | None,
    Query(pattern=DATE_PATTERN, json_schema_extra=DATE_FORMAT, description="Last day (UTC, YYYY-MM-DD, included). Default: today.", examples=["2026-11-30"]),
]
