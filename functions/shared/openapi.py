"""One OpenAPI document for the whole REST API, generated from the resolvers' code.

Convention: a domain that serves HTTP routes exposes its resolver as ``app`` in
``functions/<domain>/handlers/api.py``. :func:`discover_api_modules` finds those modules,
:func:`build_document` merges their schemas (powertools ``OpenAPIMerge``; a path, method or
component defined twice with different content is an error) and adds what API Gateway adds
(the ``x-api-key`` security scheme). The same document is

- written to ``docs/openapi.json`` by ``python -m infra.openapi`` (``make openapi``), and
- served at ``GET /api/v1/openapi.json`` (``shared.api.add_openapi_route``): the function's package
  holds its own domain only (docs/adr/0002-per-domain-packaging.md), so its build adds the
  generated ``docs/openapi.json`` (:func:`document_json`).

Powertools' own 422 ``HTTPValidationError`` and ``ResponseValidationError`` schemas are replaced by
the shared ``ErrorResponse`` shape, which is what the resolvers really return.

The document is the contract (tests/e2e/test_contract.py runs schemathesis against it), so
:func:`add_contract_responses` adds to every operation what it can answer besides its own
declarations:

- API Gateway's answers on every keyed route, with their ``{"message": ...}`` body
  (``GatewayError``): 403 (key missing, unknown or disabled), 429 (throttled, quota), 502 (the
  function failed), 504 (integration timeout);
- for an operation with a body, 400 (not UTF-8, not JSON) and 415 (not application/json);
- 404 where the operation names an entity (a path id, a body, an ``..._id`` filter): an unknown
  id in the body or a filter is a 404 ``invalid_reference``;
- the optional ``Idempotency-Key`` header on every effectful operation (POST, PUT, DELETE);
- no 500: an error the client did not cause is a bug, not part of the contract;
- the ``links`` of :data:`LINKS`: how the answer of one operation feeds the next (the order a
  payment pays and its total, the sale a return returns ...), so a client, or schemathesis'
  stateful phase, can follow the API's success path.
"""

from __future__ import annotations

import copy
import importlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from shared.api import EFFECTFUL_METHODS, ERROR_DESCRIPTIONS, IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_RE

TITLE = "Retail platform API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Serverless multi-store retail platform: inventory, e-commerce, retail points of sale and "
    "reporting behind one REST API. Every route except /api/v1/health requires an API key "
    "(`x-api-key` header). Errors share one shape: "
    '`{"error": {"code": "...", "message": "...", "details": [...]}}`. '
    "Money is a decimal string with 2 decimals. Listings are paginated with `limit` and an "
    "opaque `next_token`."
)
FUNCTIONS_ROOT = Path(__file__).resolve().parent.parent
# docs/openapi.json, put at the root of the package of the function serving it (functions/Makefile)
PACKAGED_DOCUMENT = FUNCTIONS_ROOT / "openapi.json"
RESOLVER_ATTRIBUTE = "app"
API_KEY_SCHEME = "api_key"
API_KEY_SECURITY = {
    "type": "apiKey",
    "in": "header",
    "name": "x-api-key",
    "description": "API Gateway API key (usage plans: admin, frontend).",
}

log = logging.getLogger(__name__)


class OpenAPIConflictError(RuntimeError):
    pass


def discover_api_modules(root: Path = FUNCTIONS_ROOT) -> list[str]:
    """Module names of every ``<domain>/handlers/api.py`` under the functions root, sorted."""
    return sorted(
        f"{path.parent.parent.name}.handlers.api"
        for path in root.glob("*/handlers/api.py")
        if (path.parent.parent / "__init__.py").exists()
    )


def load_resolver(module_name: str) -> ApiGatewayResolver:
    module = importlib.import_module(module_name)
    resolver = getattr(module, RESOLVER_ATTRIBUTE, None)
    if not isinstance(resolver, ApiGatewayResolver):
        raise TypeError(f"{module_name}.{RESOLVER_ATTRIBUTE} is not a powertools resolver")
    return resolver


def _check_components(schemas: list[dict[str, Any]], sources: list[str]) -> None:
    seen: dict[tuple[str, str], tuple[str, Any]] = {}
    for schema, source in zip(schemas, sources, strict=True):
        for kind, components in (schema.get("components") or {}).items():
            for name, definition in components.items():
                previous = seen.get((kind, name))
                if previous is not None and previous[1] != definition:
                    raise OpenAPIConflictError(
                        f"components.{kind}.{name} is defined differently by {previous[0]} and {source}"
                    )
                seen[(kind, name)] = (source, definition)


def _replace_refs(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {key: (new if key == "$ref" and value == old else _replace_refs(value, old, new)) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_refs(item, old, new) for item in node]
    return node


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


_BUILTIN_ERROR_SCHEMAS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")


def _normalise(document: dict[str, Any]) -> dict[str, Any]:
    """Point powertools' validation-error schemas at ErrorResponse, sort paths and schemas."""
    schemas = document.get("components", {}).get("schemas", {})
    if "ErrorResponse" in schemas:
        for builtin in _BUILTIN_ERROR_SCHEMAS[:2]:
            document = _replace_refs(document, f"#/components/schemas/{builtin}", "#/components/schemas/ErrorResponse")
        schemas = document["components"]["schemas"]
        for builtin in _BUILTIN_ERROR_SCHEMAS:
            schemas.pop(builtin, None)
        dangling = {ref for ref in _refs(document) if ref.rsplit("/", 1)[-1] in _BUILTIN_ERROR_SCHEMAS}
        if dangling:
            raise OpenAPIConflictError(f"unresolved references after normalisation: {sorted(dangling)}")
        document["components"]["schemas"] = dict(sorted(schemas.items()))
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses")
            if not isinstance(responses, dict):
                continue
            operation["responses"] = dict(sorted(responses.items()))
    if "paths" in document:
        document["paths"] = dict(sorted(document["paths"].items()))
    return document


GATEWAY_ERROR = "GatewayError"
GATEWAY_ERROR_SCHEMA = {
    "title": GATEWAY_ERROR,
    "type": "object",
    "description": "What API Gateway itself answers (before or instead of the function).",
    "properties": {"message": {"type": "string", "title": "Message"}},
    "required": ["message"],
}
GATEWAY_RESPONSES = {
    "401": 'Unauthorized (API Gateway, the authorizer): no `x-api-key`, or a key it does not know or that is '
           'disabled (`{"message": "Unauthorized"}`)',
    "403": 'Forbidden (API Gateway): the key\'s role may not call this route (`{"message": "User is not authorized '
           'to access this resource"}`, README "Who may call what"), or the key is in no usage plan of this stage '
           '(`{"message": "Forbidden"}`)',
    "429": "Too many requests (API Gateway): the key's usage plan throttled the request or its quota is used up",
    "502": "Bad gateway (API Gateway): the function failed or returned a malformed response",
    "504": "Gateway timeout (API Gateway): no answer within the integration timeout",
}
BODY_RESPONSES = ("400", "415")
IDEMPOTENCY_KEY_PATTERN = f"^{IDEMPOTENCY_KEY_RE.pattern}$"  # what shared.api checks
IDEMPOTENCY_KEY_TTL_HOURS = 24
IDEMPOTENCY_KEY_PARAMETER = {
    "name": IDEMPOTENCY_KEY_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "title": IDEMPOTENCY_KEY_HEADER},
    "description": "Makes a retry safe: a request repeated with the same key and the same body gets the first "
    "answer (status and body) without doing the work again; the same key with another body is a 409 "
    f"`idempotency_conflict`. Keys are kept {IDEMPOTENCY_KEY_TTL_HOURS} hours.",
}


def _json_error(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _names_an_entity(operation: dict[str, Any]) -> bool:
    return "requestBody" in operation or any(
        parameter.get("in") == "path" or (parameter.get("in") == "query" and parameter["name"].endswith("_id"))
        for parameter in operation.get("parameters", [])
    )


def add_contract_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Every status each operation can answer, and the Idempotency-Key header (module docstring)."""
    document.setdefault("components", {}).setdefault("schemas", {})[GATEWAY_ERROR] = GATEWAY_ERROR_SCHEMA
    keyed_by_default = bool(document.get("security"))
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.get("responses")
            if method not in METHODS or not isinstance(responses, dict):
                continue
            responses.pop("500", None)
            wanted = []
            if "requestBody" in operation:
                wanted += BODY_RESPONSES
            if _names_an_entity(operation):
                wanted.append("404")
            for status in wanted:
                responses.setdefault(status, _json_error("ErrorResponse", ERROR_DESCRIPTIONS[int(status)]))
            if operation.get("security", [{}] if keyed_by_default else []):
                for status, description in GATEWAY_RESPONSES.items():
                    if status in responses:  # the handler answers it too, in its own shape
                        own = responses[status]
                        responses[status] = {
                            "description": f"{own['description']}; or {description}",
                            "content": {"application/json": {"schema": {"anyOf": [
                                {"$ref": "#/components/schemas/ErrorResponse"},
                                {"$ref": f"#/components/schemas/{GATEWAY_ERROR}"}]}}},
                        }
                    else:
                        responses[status] = _json_error(GATEWAY_ERROR, description)
            if method.upper() in EFFECTFUL_METHODS:
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("in") == "header" and p["name"].lower() == "idempotency-key" for p in parameters):
                    parameters.append(copy.deepcopy(IDEMPOTENCY_KEY_PARAMETER))
                responses.setdefault("409", _json_error("ErrorResponse", ERROR_DESCRIPTIONS[409]))
    return document


def _body(field: str) -> str:
    return f"$response.body#/{field}"


# (source operationId, status) -> {link name: (target operationId, parameters, requestBody or None)}
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, Any], Any]]] = {
    ("createCategory", "201"): {
        "CreateProductInCategory": ("createProduct", {}, {"category_id": _body("category_id")}),
    },
    ("createSupplier", "201"): {
        "CreateProductOfSupplier": ("createProduct", {}, {"supplier_id": _body("supplier_id")}),
    },
    ("createProduct", "201"): {
        "GetProduct": ("getProduct", {"path.product_id": _body("product_id")}, None),
        "UpdateProduct": ("updateProduct", {"path.product_id": _body("product_id")}, None),
        "StockProduct": ("updateStock", {"path.product_id": _body("product_id")},
                         {"location_id": "store-1", "quantity": 50, "reason": "initial stock"}),
        "OrderProduct": ("createOrder", {}, {
            "customer_id": 1, "lines": [{"product_id": _body("product_id"), "quantity": 1}],
            "shipping_address": "123 Main St",
        }),
        "DeleteProduct": ("deleteProduct", {"path.product_id": _body("product_id")}, None),
    },
    ("deleteProduct", "204"): {
        "GetDeletedProduct": ("getProduct", {"path.product_id": "$request.path.product_id"}, None),
    },
    ("updateStock", "200"): {
        "GetMovements": ("listStockMovements", {"path.product_id": "$request.path.product_id"}, None),
        "SellProduct": ("createSale", {}, {  # store 1 (location store-1) and its register 1: demo data
            "store_id": 1, "register_id": 1, "lines": [{"product_id": "$request.path.product_id", "quantity": 1}],
        }),
    },
    ("createStore", "201"): {
        "GetStore": ("getStore", {"path.store_id": _body("store_id")}, None),
        "OpenRegister": ("createCashRegister", {}, {"store_id": _body("store_id")}),
    },
    ("createCashRegister", "201"): {
        "ListRegisters": ("listCashRegisters", {"query.store_id": _body("store_id")}, None),
    },
    ("createSale", "201"): {
        "GetSale": ("getSale", {"path.sale_id": _body("sale_id")}, None),
        "ReturnSale": ("createReturn", {}, {
            "sale_id": _body("sale_id"),
            "lines": [{"product_id": _body("lines/0/product_id"), "quantity": 1}],
        }),
    },
    ("createReturn", "201"): {
        "GetReturn": ("getReturn", {"path.return_id": _body("return_id")}, None),
    },
    ("createCustomer", "201"): {
        "GetCustomer": ("getCustomer", {"path.customer_id": _body("customer_id")}, None),
        "UpdateCustomer": ("updateCustomer", {"path.customer_id": _body("customer_id")}, None),
        "FillCart": ("createCart", {}, {"customer_id": _body("customer_id")}),
        "StartOrderProcessing": ("startOrderProcessing", {"path.customer_id": _body("customer_id")}, None),
    },
    ("createCart", "201"): {
        "GetCart": ("getCart", {"path.cart_id": _body("cart_id")}, None),
        "UpdateCart": ("updateCart", {"path.cart_id": _body("cart_id")}, None),
    },
    ("createOrder", "201"): {
        "GetOrder": ("getOrder", {"path.order_id": _body("order_id")}, None),
        "PayOrder": ("createPayment", {}, {
            "order_id": _body("order_id"), "amount": _body("total"), "payment_method": "credit_card",
        }),
    },
    ("createPayment", "201"): {
        "GetPayment": ("getPayment", {"path.payment_id": _body("payment_id")}, None),
    },
    ("startOrderProcessing", "202"): {
        "GetSaga": ("getSaga", {"path.saga_id": _body("saga_id")}, None),
    },
}


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """The :data:`LINKS` on their source operations' responses (an unknown operation is an error)."""
    operations = {
        operation.get("operationId"): operation
        for path_item in document.get("paths", {}).values()
        for method, operation in path_item.items()
        if method in METHODS
    }
    for (source, status), links in LINKS.items():
        for name, (target, parameters, body) in links.items():
            if source not in operations or target not in operations:
                missing = source if source not in operations else target
                raise OpenAPIConflictError(f"link {name}: no operation {missing!r} in the document")
            link: dict[str, Any] = {"operationId": target}
            if parameters:
                link["parameters"] = parameters
            if body is not None:
                link["requestBody"] = body
            response = operations[source]["responses"][status]
            response.setdefault("links", {})[name] = link
    return document


METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


# operations answered without a key (template.yaml: ApiKeyRequired false, Authorizer NONE);
# powertools drops an empty ``security`` list, so it is set here
PUBLIC_OPERATIONS = frozenset({"getHealth"})


def _open_public_operations(document: dict[str, Any]) -> None:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and operation.get("operationId") in PUBLIC_OPERATIONS:
                operation["security"] = []


def build_document(modules: Iterable[str] | None = None, *, strict: bool = True) -> dict[str, Any]:
    """Merge the OpenAPI schemas of ``modules`` (default: all discovered API modules).

    With ``strict=False`` a module that fails to import is skipped (and logged) instead of
    failing the whole document: that is what the runtime endpoint uses.
    """
    module_names = list(modules) if modules is not None else discover_api_modules()
    merger = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security=[{API_KEY_SCHEME: []}],
        on_conflict="error",
    )
    schemas: list[dict[str, Any]] = []
    sources: list[str] = []
    modules_skipped = False
    for name in module_names:
        try:
            resolver = load_resolver(name)
            schema = resolver.get_openapi_schema(title=TITLE, version=VERSION).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
        except Exception:
            if strict:
                raise
            log.exception("skipping %s in the OpenAPI document", name)
            modules_skipped = True
            continue
        schemas.append(schema)
        sources.append(name)
    _check_components(schemas, sources)
    for schema in schemas:
        merger.add_schema(schema)
    document = json.loads(json.dumps(copy.deepcopy(merger.get_openapi_schema())))
    document.setdefault("components", {}).setdefault("securitySchemes", {})[API_KEY_SCHEME] = API_KEY_SECURITY
    _open_public_operations(document)
    document = add_contract_responses(document)
    if not modules_skipped:
        document = add_links(document)
    return _normalise(document)


def document_text(document: dict[str, Any]) -> str:
    """The canonical text of a document (what docs/openapi.json holds)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_cached_json: str | None = None


def document_json() -> str:
    """The merged document as compact JSON, once per process: the generated ``docs/openapi.json``
    the serving function's package holds (:data:`PACKAGED_DOCUMENT`; a package has no other
    domain's code to build it from), else built from the code (tests, the source tree)."""
    global _cached_json
    if _cached_json is None:
        document = (json.loads(PACKAGED_DOCUMENT.read_text()) if PACKAGED_DOCUMENT.is_file()
                    else build_document(strict=False))
        _cached_json = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return _cached_json
