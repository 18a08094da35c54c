"""Conversions between pynamodb records and the API models."""

from __future__ import annotations

from collections.abc import Iterable

from ecommerce.dal.tables import AddressMap, CartRecord, CustomerRecord, LineMap, OrderRecord, PaymentRecord
from ecommerce.logic.pricing import Line
from ecommerce.schemas import (
    CartOut,
    CustomerAddress,
    CustomerOut,
    OrderAddress,
    OrderOut,
    OrderStatusChange,
    PaymentOut,
    PaymentStatusChange,
    PricedLine,
)

ADDRESS_FIELDS = tuple(CustomerAddress.model_fields)


def address_map(address: CustomerAddress) -> AddressMap:
    return AddressMap(**address.model_dump())


def address_out(item: AddressMap) -> CustomerAddress:
    return CustomerAddress.model_validate({name: getattr(item, name) for name in ADDRESS_FIELDS})


def order_address_out(item: AddressMap) -> OrderAddress:
    return OrderAddress.model_validate({name: getattr(item, name) for name in ADDRESS_FIELDS})


def line_maps(lines: Iterable[Line]) -> list[LineMap]:
    return [
        LineMap(
            product_id=line.product_id,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
        )
        for line in lines
    ]


def line_out(item: LineMap) -> PricedLine:
    return PricedLine(
        product_id=item.product_id,
        sku=item.sku,
        name=item.name,
        quantity=item.quantity,
        unit_price=item.unit_price,
        line_total=item.line_total,
    )


def customer_out(record: CustomerRecord) -> CustomerOut:
    return CustomerOut(
        customer_id=record.customer_id,
        email=record.email,
        first_name=record.first_name,
        last_name=record.last_name,
        phone=record.phone,
        addresses=[address_out(item) for item in record.addresses or []],
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def cart_out(record: CartRecord) -> CartOut:
    return CartOut(
        cart_id=record.cart_id,
        customer_id=record.customer_id,
        status=record.status,
        items=[line_out(item) for item in record.items or []],
        item_count=record.item_count,
        subtotal=record.subtotal,
        tax=record.tax,
        total=record.total,
        currency=record.currency,
        order_id=record.order_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def order_out(record: OrderRecord) -> OrderOut:
    return OrderOut(
        order_id=record.order_id,
        customer_id=record.customer_id,
        status=record.status,
        lines=[line_out(item) for item in record.lines],
        item_count=record.item_count,
        subtotal=record.subtotal,
        tax=record.tax,
        total=record.total,
        currency=record.currency,
        shipping_address=order_address_out(record.shipping_address),
        billing_address=order_address_out(record.billing_address),
        status_history=[
            OrderStatusChange(status=change.status, at=change.at, reason=change.reason) for change in record.status_history
        ],
        cart_id=record.cart_id,
        order_date=record.order_date,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def payment_out(record: PaymentRecord) -> PaymentOut:
    return PaymentOut(
        payment_id=record.payment_id,
        order_id=record.order_id,
        amount=record.amount,
        currency=record.currency,
        payment_method=record.payment_method,
        status=record.status,
        provider_reference=record.provider_reference,
        decline_reason=record.decline_reason,
        status_history=[
            PaymentStatusChange(status=change.status, at=change.at, reason=change.reason)
            for change in record.status_history
        ],
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
