"""Code shared by every domain's Lambda handlers (imported as ``shared.*``).

- ``shared.api``         the REST resolver factory: validation, the stable JSON error shape,
                         exception -> HTTP status mapping, OpenAPI error responses
- ``shared.errors``      the business error types (each one carries its HTTP status and code)
- ``shared.pagination``  opaque ``next_token`` pagination over pynamodb queries and scans
- ``shared.settings``    environment settings validated with pydantic, passed down with ``use()``
                         (``handler_settings`` at the handler, the demo-data loader explicitly)
- ``shared.dynamo``      pynamodb helpers: Decimal attribute, env-bound table names, ids, transactions
- ``shared.types``       reusable pydantic field types (ids, money, quantities, text)
- ``shared.jsonutil``    strict JSON parsing and Decimal-aware JSON encoding
- ``shared.openapi``     the registry of API resolvers and the merged OpenAPI document
- ``shared.contracts``   what one domain asks of another (e.g. the inventory interface's models
                         and client), so that no domain imports another

Nothing in here knows where it runs: table names come from environment variables, AWS
endpoints and region from the standard AWS variables.
"""
