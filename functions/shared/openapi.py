"""One OpenAPI document for the whole REST API, generated from the resolvers' code.

Convention: a domain that serves HTTP routes exposes its resolver as ``app`` in
``functions/<domain>/handlers/api.py``. :func:`discover_api_modules` finds those modules,
:func:`build_document` merges their schemas (powertools ``OpenAPIMerge``; a path, method or
component defined twice with different content is an error) and adds what API Gateway adds
(the ``x-api-key`` security scheme). The same document is

- written to ``docs/openapi.json`` by ``python -m infra.openapi`` (``make openapi``), and
- served at ``GET /api/v1/openapi.json`` (``shared.api.add_openapi_route``).

Powertools' own 422 ``HTTPValidationError`` and ``ResponseValidationError`` schemas are replaced by
the shared ``ErrorResponse`` shape, which is what the resolvers really return.
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
            if responses.get("500", {}).get("description") == "Response Validation Error":
                responses["500"]["description"] = "Internal error"
            operation["responses"] = dict(sorted(responses.items()))
    if "paths" in document:
        document["paths"] = dict(sorted(document["paths"].items()))
    return document


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
            continue
        schemas.append(schema)
        sources.append(name)
    _check_components(schemas, sources)
    for schema in schemas:
        merger.add_schema(schema)
    document = json.loads(json.dumps(copy.deepcopy(merger.get_openapi_schema())))
    document.setdefault("components", {}).setdefault("securitySchemes", {})[API_KEY_SCHEME] = API_KEY_SECURITY
    return _normalise(document)


def document_text(document: dict[str, Any]) -> str:
    """The canonical text of a document (what docs/openapi.json holds)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_cached_json: str | None = None


def document_json() -> str:
    """The merged document as compact JSON, built once per process."""
    global _cached_json
    if _cached_json is None:
        _cached_json = json.dumps(build_document(strict=False), separators=(",", ":"), ensure_ascii=False)
    return _cached_json
