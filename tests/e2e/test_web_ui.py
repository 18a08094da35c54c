"""The web back office in a real browser (headless Debian chromium, Playwright) against the stack
the test session starts: every page goes through the gateway to the Chalice function, which
calls the API with the signed-in person's key."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.web_browser import browser, docs_screenshot, page, phone, sign_in  # noqa: F401 - fixtures

SAGA_TIMEOUT_MS = 180_000   # a saga's steps are real Lambda invocations on a shared 2-core machine


def assert_every_control_labelled(page: Page) -> None:
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea, button')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !(el.tagName === 'BUTTON' && el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 120))""")
    assert unlabelled == []


def canvas_has_pixels(page: Page, chart_id: str) -> bool:
    """The chart's canvas was drawn on: some pixel is not transparent."""
    return page.evaluate("""id => {
        const c = document.querySelector(`canvas[data-chart-id="${id}"]`);
        if (!c || c.width === 0 || c.height === 0) return false;
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false;
    }""", chart_id)


def expect_chart_drawn(page: Page, chart_id: str) -> None:
    canvas = page.locator(f'canvas[data-chart-id="{chart_id}"]')
    expect(canvas).to_have_attribute("data-drawn", "true")
    assert canvas_has_pixels(page, chart_id)


@pytest.fixture()
def signed_in(page: Page, api_keys) -> Page:
    sign_in(page, api_keys["admin"])
    expect(page).to_have_url(re.compile(r"/ui$"))
    return page


def _stocked_product(admin, location_id: str, at_least: int) -> dict:
    rows = admin.get("/api/v1/stock", params={"location_id": location_id, "limit": 100}).json()["items"]
    row = next(r for r in rows if r["available"] >= at_least)
    return {**admin.get(f"/api/v1/products/{row['product_id']}").json(), "available": row["available"]}


def test_sign_in_and_see_the_dashboard_with_data(page: Page, api_keys):
    page.goto("/ui")
    expect(page).to_have_url(re.compile(r"/ui/signin"))          # not signed in: the sign-in page
    assert_every_control_labelled(page)
    sign_in(page, api_keys["admin"])
    expect(page.get_by_role("heading", name=re.compile("^Dashboard"))).to_be_visible()
    expect_chart_drawn(page, "sales-per-store")
    figures = page.locator("#chart-sales-per-store table tbody tr")
    expect(figures.nth(4)).to_be_visible()      # the 5 demo stores (and any store another test sold in)
    week = [float(t.replace(",", "")) for t in figures.locator("td:nth-child(3)").all_inner_texts()]
    assert sum(week) > 0
    expect(page.locator("#low-h + p")).to_contain_text("at or below their reorder level")
    assert page.locator("section[aria-labelledby=low-h] tbody tr").count() > 0
    expect(page.locator("section[aria-labelledby=health-h]")).to_contain_text("HEALTHY")
    assert_every_control_labelled(page)
    docs_screenshot(page, "dashboard")


def test_dashboard_fits_a_phone(phone: Page, api_keys):
    sign_in(phone, api_keys["admin"])
    expect_chart_drawn(phone, "sales-per-store")
    # nothing wider than the screen but the tables' own scrolling boxes
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_record_a_sale_and_see_the_stock_drop(signed_in: Page, admin):
    page = signed_in
    product = _stocked_product(admin, "store-1", 5)
    page.get_by_role("link", name="Point of sale").click()
    page.get_by_label("Store", exact=True).select_option(label="Montréal Centre-Ville")
    page.get_by_role("button", name="Use").click()
    page.get_by_label("Name or SKU").fill(product["sku"])
    page.get_by_role("button", name="Search").click()
    page.get_by_label(f"Quantity of {product['name']}").fill("2")
    page.get_by_role("button", name=f"Add {product['name']} ({product['sku']})").click()
    expect(page.locator("#cart tbody tr")).to_have_count(1)
    expect(page.locator("#cart-total")).to_have_text(f"{2 * float(product['price']):,.2f}")
    assert_every_control_labelled(page)
    page.get_by_role("button", name=re.compile("^Record the sale")).click()
    expect(page.locator("#sale-recorded")).to_be_visible()
    expect(page.locator("#sale-lines tbody tr")).to_have_count(1)
    page.get_by_role("link", name=product["name"]).click()          # the product's stock page
    level = page.locator('#product-levels tr[data-location="store-1"] td.available')
    expect(level).to_have_text(str(product["available"] - 2))
    after = admin.get("/api/v1/stock", params={"product_id": product["product_id"], "location_id": "store-1"})
    assert after.json()["items"][0]["available"] == product["available"] - 2


def test_a_sale_lacking_stock_says_which_line_and_why(signed_in: Page, admin):
    page = signed_in
    product = _stocked_product(admin, "store-1", 1)
    asked = product["available"] + 1000
    page.goto(f"/ui/pos?store_id=1&lines={product['product_id']}:{asked}")
    page.get_by_role("button", name=re.compile("^Record the sale")).click()
    error = page.locator("#sale-error")
    expect(error).to_contain_text("The sale was not recorded")
    expect(error).to_contain_text(f"Line 1, {product['name']} ({product['sku']}): only {product['available']} "
                                  f"available at store-1, {asked} asked")
    after = admin.get("/api/v1/stock", params={"product_id": product["product_id"], "location_id": "store-1"})
    assert after.json()["items"][0]["available"] == product["available"]


def _start_order(page: Page, customer_id: int, product_id: int) -> None:
    page.get_by_role("link", name="Online orders").click()
    page.get_by_label("Customer id").fill(str(customer_id))
    page.get_by_label("Product id, line 1").fill(str(product_id))
    page.get_by_label("Quantity, line 1").fill("1")
    page.get_by_label("Payment method").select_option("credit_card")
    assert_every_control_labelled(page)
    page.get_by_role("button", name="Start the order").click()
    expect(page).to_have_url(re.compile(r"/ui/sagas/saga-"))


def test_start_an_order_and_watch_it_complete(signed_in: Page, admin):
    page = signed_in
    product = _stocked_product(admin, "warehouse", 5)
    _start_order(page, 1, product["product_id"])
    live = page.locator("#saga-live")
    expect(live).to_have_attribute("data-status", "COMPLETED", timeout=SAGA_TIMEOUT_MS)
    steps = page.locator("#saga-steps tbody tr.step")
    expect(steps).to_have_count(6)
    assert [s.strip() for s in steps.locator("th").all_inner_texts()] == [
        "CHECK_STOCK", "RESERVE_STOCK", "CREATE_ORDER", "PROCESS_PAYMENT", "CONFIRM_ORDER", "COMMIT_STOCK"]
    expect(page.locator("#saga-steps tbody tr.step .badge")).to_have_text(["SUCCESS"] * 6)
    expect(page.locator("#saga-summary")).to_contain_text("The order is confirmed")
    saga_id = page.url.rsplit("/", 1)[-1]
    assert admin.get(f"/api/v1/sagas/{saga_id}").json()["status"] == "COMPLETED"
    docs_screenshot(page, "saga")


def test_an_order_for_an_unknown_customer_is_compensated(signed_in: Page, admin):
    page = signed_in
    product = _stocked_product(admin, "warehouse", 5)
    _start_order(page, 99999, product["product_id"])
    expect(page.locator("#saga-live")).to_have_attribute("data-status", "COMPENSATED", timeout=SAGA_TIMEOUT_MS)
    expect(page.locator('#saga-steps tr.step[data-step="CREATE_ORDER"]')).to_contain_text("customer 99999 does not exist")
    expect(page.locator("#saga-compensations li")).to_have_count(1)
    expect(page.locator("#saga-compensations")).to_contain_text("RELEASE_STOCK (undoes RESERVE_STOCK): SUCCESS")
    expect(page.locator("#saga-summary")).to_contain_text("CREATE_ORDER failed")


def test_reports_draw_their_charts_with_the_figures_under_them(signed_in: Page):
    page = signed_in
    page.get_by_role("link", name="Reports").click()
    for chart_id in ("sales-by-day", "top-products", "trends", "performance", "inventory"):
        expect_chart_drawn(page, chart_id)
        assert page.locator(f"#chart-{chart_id} table tbody tr").count() > 0
    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#chart-sales-by-day table tbody tr")).to_have_count(7)
    expect_chart_drawn(page, "sales-by-day")
    assert_every_control_labelled(page)


def test_operations_shows_the_alarms_and_the_api_traffic(signed_in: Page):
    page = signed_in
    page.get_by_role("link", name="Operations").click()
    expect(page.locator("#alarms")).to_contain_text("api-5xx-rate")
    expect_chart_drawn(page, "traffic")        # this session's own requests are in it
    expect_chart_drawn(page, "functions")
    assert_every_control_labelled(page)


def test_stored_markup_is_shown_as_text(signed_in: Page, admin):
    """Free text is stored as sent and every page escapes it: a stock movement whose reason is
    markup shows that markup as text; no script runs, no element is made from it."""
    product = _stocked_product(admin, "store-1", 1)
    reason = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\"> & more"
    adjusted = admin.put(f"/api/v1/stock/{product['product_id']}",
                         json={"location_id": "store-1", "delta": 1, "reason": reason})
    assert adjusted.status_code == 200, adjusted.text
    movements = admin.get(f"/api/v1/stock/{product['product_id']}/movements", params={"limit": 5}).json()["items"]
    assert reason in [m["reason"] for m in movements]                        # stored as sent
    dialogs: list[str] = []
    signed_in.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    signed_in.goto(f"/ui/stock/{product['product_id']}")
    expect(signed_in.get_by_role("cell", name=reason, exact=True).first).to_be_visible()   # shown as text
    assert signed_in.evaluate("window.__xss") is None and dialogs == []
    assert signed_in.locator("main img[src=x], main script").count() == 0


def test_sign_out(signed_in: Page):
    page = signed_in
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "retail_session" and c["value"]]
    page.goto("/ui/stock")
    expect(page).to_have_url(re.compile(r"/ui/signin\?next=%2Fui%2Fstock"))
