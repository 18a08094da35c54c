"""What the pages' forms carry, validated with pydantic before any API call: a form the back
office cannot read is a 400 with the field and the reason, never a 5xx."""
from __future__ import annotations

from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from web.errors import BadInput

M = TypeVar("M", bound=BaseModel)


class Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class SignInForm(Form):
    # API Gateway's keys are 20 to 128 characters
    api_key: str = Field(min_length=20, max_length=128, title="API key")


class Line(Form):
    product_id: int = Field(ge=1, title="product")
    quantity: int = Field(ge=1, le=10_000, title="quantity")


class SaleForm(Form):
    store_id: int = Field(ge=1, title="store")
    register_id: int = Field(ge=1, title="register")
    lines: str = Field(min_length=1, title="products")
    idempotency_key: str = Field(min_length=8, max_length=64)


class ReturnForm(Form):
    lines: list[Line] = Field(min_length=1, title="quantities to return")
    reason: str = Field(min_length=1, max_length=200, title="reason")
    idempotency_key: str = Field(min_length=8, max_length=64)


class StockAdjustForm(Form):
    location_id: str = Field(min_length=1, title="location")
    mode: Literal["delta", "quantity"] = Field(title="adjustment")
    amount: int = Field(ge=-1_000_000, le=1_000_000, title="amount")
    reason: str = Field(min_length=1, max_length=200, title="reason")

    def body(self) -> dict[str, Any]:
        return {"location_id": self.location_id, self.mode: self.amount, "reason": self.reason}


PAYMENT_METHODS = ("credit_card", "debit_card", "paypal", "gift_card", "declined_card")


class OrderForm(Form):
    customer_id: int = Field(ge=1, title="customer")
    lines: list[Line] = Field(min_length=1, title="products")
    shipping_address: str = Field(min_length=1, max_length=300, title="shipping address")
    payment_method: Literal[PAYMENT_METHODS] = Field(title="payment method")  # type: ignore[valid-type]
    idempotency_key: str = Field(min_length=8, max_length=64)

    def body(self) -> dict[str, Any]:
        return {"products": [line.model_dump() for line in self.lines], "shipping_address": self.shipping_address,
                "billing_address": self.shipping_address, "payment_method": self.payment_method}

    @field_validator("lines")
    @classmethod
    def _one_line_per_product(cls, lines: list[Line]) -> list[Line]:
        if len({line.product_id for line in lines}) != len(lines):
            raise ValueError("each product once")
        return lines


def form_fields(raw_body: bytes | None) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body."""
    try:
        return parse_qs((raw_body or b"").decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise BadInput("The form could not be read.") from None


def single(fields: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[-1] for name, values in fields.items()}


def paired_lines(fields: dict[str, list[str]], quantity_field: str = "quantity") -> list[dict[str, str]]:
    """Rows of repeated ``product_id``/``quantity`` fields; rows left blank (or 0) are skipped."""
    products, quantities = fields.get("product_id", []), fields.get(quantity_field, [])
    return [{"product_id": p, "quantity": q} for p, q in zip(products, quantities, strict=False)
            if p.strip() and q.strip() not in ("", "0")]


def parse(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [{"field": _field_title(model, e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        summary = "; ".join(f"{d['field']}: {d['msg']}" for d in details)
        raise BadInput(f"Please check the form: {summary}.", details=details) from None


def _field_title(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    field = model.model_fields.get(str(loc[0])) if loc else None
    title = (field.title if field and field.title else str(loc[0]) if loc else "form").replace("_", " ")
    if len(loc) > 1 and isinstance(loc[1], int):
        title += f", line {loc[1] + 1}"
    if len(loc) > 2:
        title += f" ({str(loc[2]).replace('_', ' ')})"
    return title
