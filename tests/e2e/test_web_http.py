"""The web back office over HTTP, as a browser's requests reach it through the gateway: no API
key on its routes, the session cookie (signed, HttpOnly, SameSite=Strict), and clear pages for a
refused key, a used-up quota, bad input and unknown ids (never a 5xx, never a stack trace)."""
from __future__ import annotations

import html
import time

import pytest
import requests

from tests.conftest import Api


@pytest.fixture(scope="module")
def web(session_stack):
    return session_stack.gateway_url


def _get(url: str, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).get(url, allow_redirects=False, timeout=60)


def _signed_in(web: str, key: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{web}/ui/signin", data={"api_key": key, "next": "/ui/stores"}, allow_redirects=False,
                          timeout=60)
    assert answer.status_code == 303 and answer.headers["Location"] == "/ui/stores", answer.text[:500]
    return session


def test_pages_need_no_api_key_but_a_session(web):
    assert _get(f"{web}/").headers["Location"] == "/ui"
    answer = _get(f"{web}/ui/reports")
    assert answer.status_code == 303 and answer.headers["Location"] == "/ui/signin?next=%2Fui%2Freports"
    signin = _get(f"{web}/ui/signin")
    assert signin.status_code == 200 and signin.headers["Content-Type"].startswith("text/html")
    assert '<label for="api_key">API key</label>' in signin.text
    assert "default-src 'self'" in signin.headers["Content-Security-Policy"]
    assert _get(f"{web}/ui/static/chart.umd.min.js").status_code == 200
    assert _get(f"{web}/ui/static/htmx.min.js").headers["Content-Type"].startswith("text/javascript")
    assert _get(f"{web}/ui/static/..%2Fapp.py").status_code == 404


def test_the_session_cookie_is_signed_httponly_and_strict(web, api_keys):
    session = requests.Session()
    answer = session.post(f"{web}/ui/signin", data={"api_key": api_keys["admin"]}, allow_redirects=False, timeout=60)
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("retail_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie and "Max-Age=43200" in cookie
    assert _get(f"{web}/ui/stores", session).status_code == 200
    value = session.cookies["retail_session"]
    forged = requests.Session()
    body, signature = value.rsplit(".", 1)   # a character inside the signature, not its last (padding bits)
    forged.cookies.set("retail_session", f"{body}.{signature[:3]}{'A' if signature[3] != 'A' else 'B'}{signature[4:]}")
    assert _get(f"{web}/ui/stores", forged).status_code == 303          # altered: not signed in
    other_key = requests.Session()   # a cookie made of the payload alone, without this stack's signature
    other_key.cookies.set("retail_session", value.split(".")[0])
    assert _get(f"{web}/ui/stores", other_key).status_code == 303
    out = session.post(f"{web}/ui/signout", allow_redirects=False, timeout=60)
    assert out.status_code == 303 and "Max-Age=0" in out.headers["Set-Cookie"]
    assert _get(f"{web}/ui/stores", session).status_code == 303


def test_a_key_the_api_refuses_is_said_so(web):
    answer = requests.post(f"{web}/ui/signin", data={"api_key": "not-a-key-of-this-api-0000"},
                           allow_redirects=False, timeout=60)
    assert answer.status_code == 403 and "Set-Cookie" not in answer.headers
    # the API's role authorizer does not know the key: 401 Unauthorized
    assert "The API refused your key" in answer.text and "401 (Unauthorized)" in answer.text
    short = requests.post(f"{web}/ui/signin", data={"api_key": "short"}, allow_redirects=False, timeout=60)
    assert short.status_code == 400 and "API key" in short.text and "at least 20 characters" in short.text


def test_a_used_up_quota_is_a_clear_429_page(web, session_stack, aws):
    apigw = aws("apigateway")
    key_value = "web-quota-test-key-0123456789"
    key = apigw.create_api_key(name="web-quota-test", enabled=True, value=key_value, tags={"role": "store"})
    plan = apigw.create_usage_plan(name="web-quota-test", quota={"limit": 3, "period": "DAY"},
                                   apiStages=[{"apiId": session_stack.stack.outputs["ApiId"], "stage": session_stack.stage}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    probe = Api(session_stack.gateway_url, key_value)
    for _ in range(100):   # the authorizer and the gateway re-read keys and plans every few seconds
        if probe.get("/api/v1/categories").status_code not in (401, 403):   # the first request that counts (1 of 3)
            break
        time.sleep(0.2)
    session = _signed_in(web, key_value)                          # 2 of 3
    page = _get(f"{web}/ui", session)                              # the dashboard needs more than one
    assert page.status_code == 429, page.text[:500]
    assert "Too many requests for your key" in page.text and "quota for the period is used up" in page.text
    assert "Traceback" not in page.text


@pytest.mark.parametrize("path, status, says", [
    ("/ui/pos?lines=abc", 400, "is not product:quantity"),
    ("/ui/stores/abc", 400, "The store id 'abc' is not a number"),
    ("/ui/reports?from=2026-13-01", 400, "is not a date"),
    ("/ui/reports?from=2026-12-01&to=2026-11-01", 400, "starts (2026-12-01) after it ends"),
    ("/ui/operations?hours=7", 400, "The window is one of"),
    ("/ui/sales/999999", 404, "sale 999999"),
    ("/ui/stock/999999", 404, "Not found"),
    ("/ui/sagas/saga-unknown", 404, "Not found"),
])
def test_bad_input_and_unknown_ids_are_4xx_pages(web, api_keys, path, status, says):
    session = _signed_in(web, api_keys["admin"])
    page = _get(f"{web}{path}", session)
    assert page.status_code == status and page.headers["Content-Type"].startswith("text/html"), page.text[:300]
    assert says in html.unescape(page.text)


def test_bad_forms_are_400_and_record_nothing(web, api_keys, admin):
    session = _signed_in(web, api_keys["admin"])
    sales_before = admin.get("/api/v1/sales", params={"store_id": 1, "limit": 1}).json()["items"][0]["sale_id"]
    bad_sale = session.post(f"{web}/ui/pos", data={"store_id": "1", "register_id": "x", "lines": "1:1",
                                                    "idempotency_key": "0123456789"}, allow_redirects=False, timeout=60)
    assert bad_sale.status_code == 400 and "register" in bad_sale.text
    bad_order = session.post(f"{web}/ui/orders", data={"customer_id": "1", "product_id": ["1"], "quantity": ["-2"],
                                                       "shipping_address": "1 Main St", "payment_method": "cash",
                                                       "idempotency_key": "0123456789"},
                             allow_redirects=False, timeout=60)
    assert bad_order.status_code == 400 and "payment method" in bad_order.text
    bad_adjust = session.post(f"{web}/ui/stock/1", data={"location_id": "store-1", "mode": "delta", "amount": "",
                                                         "reason": "count"}, allow_redirects=False, timeout=60)
    assert bad_adjust.status_code == 400 and "amount" in bad_adjust.text.lower()
    assert admin.get("/api/v1/sales", params={"store_id": 1, "limit": 1}).json()["items"][0]["sale_id"] == sales_before


def test_adjust_stock_and_return_an_item(web, api_keys, admin):
    session = _signed_in(web, api_keys["admin"])
    level = lambda: admin.get("/api/v1/stock", params={"product_id": 2, "location_id": "store-2"}).json()["items"][0]  # noqa: E731
    before = level()["available"]
    adjusted = session.post(f"{web}/ui/stock/2", data={"location_id": "store-2", "mode": "delta", "amount": "5",
                                                       "reason": "found in the back"}, allow_redirects=False, timeout=60)
    assert adjusted.status_code == 303 and adjusted.headers["Location"] == "/ui/stock/2?adjusted=store-2"
    assert level()["available"] == before + 5
    too_much = session.post(f"{web}/ui/stock/2", data={"location_id": "store-2", "mode": "delta",
                                                       "amount": str(-(before + 100)), "reason": "lost"},
                            allow_redirects=False, timeout=60)
    assert too_much.status_code == 409 and "alert error" in too_much.text
    register = admin.get("/api/v1/cash-registers", params={"store_id": 2}).json()["items"][0]["register_id"]
    sale = admin.post("/api/v1/sales", json={"store_id": 2, "register_id": register,
                                             "lines": [{"product_id": 2, "quantity": 2}]}).json()
    returned = session.post(f"{web}/ui/sales/{sale['sale_id']}/returns",
                            data={"product_id": ["2"], "quantity": ["1"], "reason": "damaged",
                                  "idempotency_key": "web-return-0001"}, allow_redirects=False, timeout=60)
    assert returned.status_code == 303 and "returned=" in returned.headers["Location"]
    assert level()["available"] == before + 5 - 2 + 1
    again = session.post(f"{web}/ui/sales/{sale['sale_id']}/returns",
                         data={"product_id": ["2"], "quantity": ["2"], "reason": "damaged",
                               "idempotency_key": "web-return-0002"}, allow_redirects=False, timeout=60)
    assert again.status_code == 409 and "alert error" in again.text   # more than was sold and not returned


@pytest.mark.parametrize("role, name, sees, refused", [
    ("store", "store", ["/ui", "/ui/stores", "/ui/pos", "/ui/stock", "/ui/reports"], ["/ui/orders", "/ui/operations"]),
    ("shop", "frontend", ["/ui/orders", "/ui/sagas"], ["/ui/stores", "/ui/pos", "/ui/stock", "/ui/reports",
                                                       "/ui/operations"]),
])
def test_each_role_sees_only_its_pages(web, api_keys, role, name, sees, refused):
    session = requests.Session()
    answer = session.post(f"{web}/ui/signin", data={"api_key": api_keys[name]}, allow_redirects=False, timeout=60)
    assert answer.status_code == 303, answer.text[:500]
    landing = _get(f"{web}/ui", session)
    if role == "shop":  # no dashboard for the web shop's key: its first page
        assert landing.status_code == 303 and landing.headers["Location"] == "/ui/orders"
    for path in sees:
        page = _get(f"{web}{path}", session)
        assert page.status_code == 200, (path, page.text[:300])
        assert f"role: <strong>{role}</strong>" in page.text
        for other in refused:
            assert f'href="{other}"' not in page.text, (path, other)
    for path in refused:
        page = _get(f"{web}{path}", session)
        assert page.status_code == 403 and f"Your key's role ({role}) does not include" in html.unescape(page.text), path
    if role == "store":  # stock is read, not set, by a store
        product = _get(f"{web}/ui/stock/1", session)
        assert product.status_code == 200 and "Adjust a level" not in product.text
