"""/api/v1/suppliers routes."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from inventory.logic import catalog
from inventory.schemas import SupplierCreate, SupplierOut, SupplierPage
from shared.api import error_responses
from shared.pagination import DEFAULT_LIMIT, Limit, NextToken

router = Router()


@router.get(
    "/suppliers",
    operation_id="listSuppliers",
    summary="List suppliers",
    tags=["suppliers"],
    responses={200: {"description": "A page of suppliers"}, **error_responses(400)},
)
def list_suppliers(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> SupplierPage:
    return catalog.list_suppliers(limit=limit, next_token=next_token)


@router.post(
    "/suppliers",
    operation_id="createSupplier",
    summary="Create a supplier",
    description="Names are unique, case-insensitively.",
    tags=["suppliers"],
    status_code=201,
    responses={201: {"description": "The created supplier"}, **error_responses(409)},
)
def create_supplier(supplier: SupplierCreate) -> SupplierOut:
    return catalog.create_supplier(supplier)
