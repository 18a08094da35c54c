"""The order types the e-commerce API and the order saga API share (pydantic v2): addresses,
payment method, card token. The saga API refuses with a 422, before a saga starts, what the
order step would refuse; neither domain imports the other for it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.types import Name, text

POSTAL_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,18}[A-Za-z0-9]$"
PAYMENT_METHOD_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
CARD_TOKEN_PATTERN = r"^tok_[A-Za-z0-9_]{1,60}$"

AddressText = text(200)
CountryCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$"),
    AfterValidator(str.upper),
    Field(description="ISO 3166-1 alpha-2 (stored upper-case).", examples=["CA"]),
]
PaymentMethod = Annotated[
    str,
    StringConstraints(pattern=PAYMENT_METHOD_PATTERN),
    Field(
        description="`credit_card`, `debit_card`, `paypal`, `gift_card` ... The simulated provider "
        "declines `declined_card` and authorizes and captures everything else.",
        examples=["credit_card"],
    ),
]
CardToken = Annotated[
    str,
    StringConstraints(pattern=CARD_TOKEN_PATTERN),
    Field(description="Tokenized card (`tok_visa` ...); `tok_declined` is always declined.", examples=["tok_visa"]),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- addresses
class CustomerAddress(_Input):
    # also the responses' address: read from a domain Address (attributes) as well
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    label: text(40) | None = Field(
        default=None, examples=["home"]
    )
    recipient: Name | None = Field(default=None, description="Name on the parcel (defaults to the customer's).")
    line1: AddressText = Field(examples=["1100 Rue Sainte-Catherine O"])
    line2: AddressText | None = None
    city: text(100) = Field(
        examples=["Montréal"]
    )
    region: text(100) | None = Field(
        default=None, description="Province or state.", examples=["QC"]
    )
    postal_code: Annotated[str, StringConstraints(pattern=POSTAL_CODE_PATTERN)] = Field(
        examples=["H3B 1A7"]
    )
    country: CountryCode = "CA"



def _or_one_line(schema: dict[str, Any]) -> None:
    from pydantic import TypeAdapter

    structured = dict(schema)
    schema.clear()
    schema["anyOf"] = [TypeAdapter(AddressText).json_schema(), structured]


def _one_line_address(value: Any) -> Any:
    if isinstance(value, str):
        return {"line1": value}
    return value


class OrderAddress(CustomerAddress):
    """An order's shipping or billing address: structured, or one line of text.

    ``"123 Main St"`` (what the reference API sends) is read as ``{"line1": "123 Main St"}``;
    ``city`` and ``postal_code`` may then be absent. Customer records keep the strict
    :class:`CustomerAddress`. The schema says so: a string (``line1``'s rules) or the object.
    """

    model_config = ConfigDict(json_schema_extra=lambda schema, model: _or_one_line(schema))

    city: text(100) | None = Field(
        default=None, examples=["Montréal"]
    )
    postal_code: Annotated[str, StringConstraints(pattern=POSTAL_CODE_PATTERN)] | None = Field(
        default=None, examples=["H3B 1A7"]
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return _one_line_address(value)
