"""/api/v1/cash-registers routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from retail.logic import stores
from retail.schemas import CashRegisterCreate, CashRegisterOut, CashRegisterPage
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken
from shared.types import MAX_ID

router = Router()


@router.get(
    "/cash-registers",
    operation_id="listCashRegisters",
    summary="List cash registers",
    description="All registers, or those of one store (`store_id`; an unknown store is a 422).",
    tags=["stores"],
    responses={200: {"description": "A page of cash registers"}, **error_responses(400)},
)
def list_registers(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    store_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this store's registers.")] = None,
) -> CashRegisterPage:
    return stores.list_registers(limit=limit, next_token=next_token, store_id=store_id)


@router.post(
    "/cash-registers",
    operation_id="createCashRegister",
    summary="Add a cash register to a store",
    description="The store must exist (404 `invalid_reference`); the number is unique within the store (409).",
    tags=["stores"],
    status_code=201,
    responses={201: {"description": "The created cash register"}, **error_responses(409)},
)
def create_register(register: CashRegisterCreate) -> CashRegisterOut:
    return stores.create_register(register)
