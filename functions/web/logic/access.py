"""What a signed-in person sees: the pages of their role.

Each page exists for one API route (``PAGES``); a role sees a page when the roles table
(``shared/roles.py``, what the API's authorizer enforces) lets it call that route. The API
refuses the rest anyway; hiding them keeps a person from pages that could only fail.
"""
from __future__ import annotations

from shared import roles

# page key -> (path, label, the API route the page is for)
PAGES: dict[str, tuple[str, str, tuple[str, str]]] = {
    "dashboard": ("/ui", "Dashboard", ("GET", "/api/v1/dashboards")),
    "stores": ("/ui/stores", "Stores", ("GET", "/api/v1/stores")),
    "pos": ("/ui/pos", "Point of sale", ("POST", "/api/v1/sales")),
    "stock": ("/ui/stock", "Stock", ("GET", "/api/v1/stock")),
    "orders": ("/ui/orders", "Online orders", ("POST", "/api/v1/customers/{customer_id}/order-processing")),
    "reports": ("/ui/reports", "Reports", ("GET", "/api/v1/reports/sales")),
    # operations: the platform's health details, metrics and alarms, for an admin
    "operations": ("/ui/operations", "Operations", ("GET", "/api/v1/health/details")),
}


def may_see(role: str, page: str) -> bool:
    method, path = PAGES[page][2]
    return roles.may_call(role, method, path)


def can(role: str, route: str) -> bool:
    """``can(role, "PUT /api/v1/stock/{product_id}")``: may the role call this route?"""
    method, _, path = route.partition(" ")
    return roles.may_call(role, method, path)


def nav(role: str) -> list[tuple[str, str, str]]:
    """(key, path, label) of every page the role sees, in the menu's order."""
    return [(key, path, label) for key, (path, label, _route) in PAGES.items() if may_see(role, key)]


def own_stores(stores: list[dict], scope: frozenset[int] | None) -> list[dict]:
    """The stores a store key may work at (``scope``; None: every store)."""
    return stores if scope is None else [store for store in stores if store["store_id"] in scope]


def home(role: str) -> str:
    """The first page the role sees (the dashboard for admin and store, online orders for shop)."""
    pages = nav(role)
    return pages[0][1] if pages else "/ui/signin"
