"""/api/v1/customers routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from ecommerce.logic import customers
from ecommerce.schemas import EMAIL_PATTERN, CustomerCreate, CustomerOut, CustomerPage, CustomerUpdate
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()

CustomerId = Annotated[int, Path(ge=1, le=MAX_ID, description="Customer id.")]


@router.get(
    "/customers",
    operation_id="listCustomers",
    summary="List customers",
    description="All customers, or the one with `email` (case-insensitive).",
    tags=["customers"],
    responses={200: {"description": "A page of customers"}, **error_responses(400)},
)
def list_customers(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    email: Annotated[str | None, Query(max_length=254, pattern=EMAIL_PATTERN, description="Exact e-mail.")] = None,
) -> CustomerPage:
    return customers.list_customers(limit=limit, next_token=next_token, email=email)


@router.post(
    "/customers",
    operation_id="createCustomer",
    summary="Create a customer",
    description="The e-mail must be unique, case-insensitively (409).",
    tags=["customers"],
    status_code=201,
    responses={201: {"description": "The created customer"}, **error_responses(409)},
)
def create_customer(customer: CustomerCreate) -> CustomerOut:
    return customers.create_customer(customer)


@router.get(
    "/customers/<customer_id>",
    operation_id="getCustomer",
    summary="Get a customer",
    tags=["customers"],
    responses={200: {"description": "The customer"}, **error_responses(404)},
)
def get_customer(customer_id: CustomerId) -> CustomerOut:
    return customers.get_customer(customer_id)


@router.put(
    "/customers/<customer_id>",
    operation_id="updateCustomer",
    summary="Update a customer (partial)",
    description="Only the fields present change; `phone: null` clears the phone, `addresses` replaces the list.",
    tags=["customers"],
    responses={200: {"description": "The updated customer"}, **error_responses(404, 409)},
)
def update_customer(customer_id: CustomerId, changes: CustomerUpdate) -> CustomerOut:
    return customers.update_customer(customer_id, changes)
