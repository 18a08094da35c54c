"""What every domain's pydantic domain models share: the :class:`Domain` base and the stored
timestamp precision (:func:`now`) and text (:func:`iso`).

A domain's ``models.py`` (``ecommerce.models``, ``retail.models``) derives its models from
:class:`Domain`: ``dal`` maps its pynamodb records to them with ``Model.model_validate(record)``
(``from_attributes``: nested maps and lists of maps included) and back with
``shared.dynamo.record_of``; ``logic`` reasons on them and answers ``XOut.model_validate(model)``
(``shared.types.Output``). Nothing here knows DynamoDB.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


def now() -> datetime:
    """The current UTC time at the precision we store (milliseconds)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC, milliseconds): how timestamps are stored; sorts as text."""
    # isoformat, not strftime("%Y"): glibc writes year 579 as "579", which sorts after "2026"
    # (a from=0579-02-17 listing asked DynamoDB for a BETWEEN with its bounds reversed: a 500)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class Domain(BaseModel):
    """Built from any object with the fields as attributes (a record, a request, a dataclass)."""

    model_config = ConfigDict(from_attributes=True)
