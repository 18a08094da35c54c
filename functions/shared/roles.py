"""Who may call which route: the one table of the API's authorization.

The Lambda authorizer (``functions/authorizer``) turns it into the IAM policy it returns to API
Gateway, the web back office shows a person only the pages their role may use, the README's
"Roles" table is this table, and an e2e test walks every route with every role against it.

A caller's role comes from their API key (the key's ``role`` tag):

- ``admin``: everything (back office, operations, catalogue and stock management, test hooks);
- ``store``: a point of sale: stores, cash registers, sales, returns, stock reads and the
  reports;
- ``shop``: the online shop: catalogue reads, customers, carts, orders, payments, order
  processing and its sagas.

Routes are API Gateway resource paths (``{name}`` for a path parameter). A route missing from
the table is an admin-only route: a new route is closed until someone opens it here.
"""

from __future__ import annotations

ADMIN = "admin"
STORE = "store"
SHOP = "shop"
ROLES: tuple[str, ...] = (ADMIN, STORE, SHOP)

_ALL = frozenset(ROLES)
_ADMIN = frozenset({ADMIN})
_STORE = frozenset({ADMIN, STORE})
_SHOP = frozenset({ADMIN, SHOP})

# (method, resource path) -> the roles that may call it. Routes without an authorizer (health,
# the web back office's pages) are not here: they answer without a key; nor is the test hook that
# has an authorizer of its own (/api/v1/_diagnostics/authorizer, which fails on purpose).
PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    # who am I (the web back office asks it at sign-in)
    ("GET", "/api/v1/me"): _ALL,
    ("GET", "/api/v1/health/details"): _ADMIN,
    ("GET", "/api/v1/openapi.json"): _ALL,
    # catalogue: everybody reads it, only an admin changes it
    ("GET", "/api/v1/products"): _ALL,
    ("GET", "/api/v1/products/{product_id}"): _ALL,
    ("POST", "/api/v1/products"): _ADMIN,
    ("PUT", "/api/v1/products/{product_id}"): _ADMIN,
    ("DELETE", "/api/v1/products/{product_id}"): _ADMIN,
    ("GET", "/api/v1/categories"): _ALL,
    ("POST", "/api/v1/categories"): _ADMIN,
    ("GET", "/api/v1/suppliers"): _STORE,
    ("POST", "/api/v1/suppliers"): _ADMIN,
    ("GET", "/api/v1/locations"): _STORE,
    # stock: stores read it, only an admin sets it (sales and orders move it through their rules)
    ("GET", "/api/v1/stock"): _STORE,
    ("PUT", "/api/v1/stock/{product_id}"): _ADMIN,
    ("GET", "/api/v1/stock/{product_id}/movements"): _STORE,
    # points of sale
    ("GET", "/api/v1/stores"): _STORE,
    ("POST", "/api/v1/stores"): _ADMIN,
    ("GET", "/api/v1/stores/{store_id}"): _STORE,
    ("GET", "/api/v1/cash-registers"): _STORE,
    ("POST", "/api/v1/cash-registers"): _ADMIN,
    ("GET", "/api/v1/sales"): _STORE,
    ("POST", "/api/v1/sales"): _STORE,
    ("GET", "/api/v1/sales/{sale_id}"): _STORE,
    ("GET", "/api/v1/returns"): _STORE,
    ("POST", "/api/v1/returns"): _STORE,
    ("GET", "/api/v1/returns/{return_id}"): _STORE,
    # reports
    ("GET", "/api/v1/reports/sales"): _STORE,
    ("GET", "/api/v1/reports/inventory"): _STORE,
    ("GET", "/api/v1/reports/performance"): _STORE,
    ("GET", "/api/v1/analytics/trends"): _STORE,
    ("GET", "/api/v1/dashboards"): _STORE,
    # online shop
    ("GET", "/api/v1/customers"): _SHOP,
    ("POST", "/api/v1/customers"): _SHOP,
    ("GET", "/api/v1/customers/{customer_id}"): _SHOP,
    ("PUT", "/api/v1/customers/{customer_id}"): _SHOP,
    ("GET", "/api/v1/carts"): _SHOP,
    ("POST", "/api/v1/carts"): _SHOP,
    ("GET", "/api/v1/carts/{cart_id}"): _SHOP,
    ("PUT", "/api/v1/carts/{cart_id}"): _SHOP,
    ("GET", "/api/v1/orders"): _SHOP,
    ("POST", "/api/v1/orders"): _SHOP,
    ("GET", "/api/v1/orders/{order_id}"): _SHOP,
    ("GET", "/api/v1/payments"): _SHOP,
    ("POST", "/api/v1/payments"): _SHOP,
    ("GET", "/api/v1/payments/{payment_id}"): _SHOP,
    ("POST", "/api/v1/customers/{customer_id}/order-processing"): _SHOP,
    ("GET", "/api/v1/sagas"): _SHOP,
    ("GET", "/api/v1/sagas/{saga_id}"): _SHOP,
    # test hooks (deployed only with EnableTestHooks)
    ("GET", "/api/v1/_diagnostics/sleep"): _ADMIN,
    ("GET", "/api/v1/_diagnostics/slow"): _ADMIN,
    ("GET", "/api/v1/_diagnostics/fail"): _ADMIN,
    ("GET", "/api/v1/_diagnostics/echo"): _ADMIN,
}


def roles_for(method: str, resource_path: str) -> frozenset[str]:
    """The roles that may call ``method resource_path`` (admin only for a route not listed)."""
    return PERMISSIONS.get((method.upper(), resource_path), _ADMIN)


def may_call(role: str, method: str, resource_path: str) -> bool:
    return role in roles_for(method, resource_path)


def routes_of(role: str) -> list[tuple[str, str]]:
    """Every (method, resource path) the role may call, in the table's order."""
    return [route for route, roles in PERMISSIONS.items() if role in roles]
