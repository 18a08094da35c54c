"""`make run`'s data survives a restart (README "Local data"): a stack kept on disk is stopped
(gracefully, then with kill -9 of its whole process tree) and started again on the same state
directory; it serves the same products, sales, orders and saga histories, keeps the web
session secret, and does not load the demo data twice.

These stacks are this module's own (the session's ``session_stack`` is in memory), with a small
demo data set: the inventory's warehouse, categories and suppliers and 3 products."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from unittest import mock

import psutil
import pytest

from infra.local import StackRunner, free_port
from tests.conftest import TEST_STACK_PARAMETERS, Api

pytestmark = pytest.mark.integration

FINAL = {"COMPLETED", "COMPENSATED", "FAILED"}


class SmallDemoData:
    """A seeder: the inventory's part of the demo data, its warehouse only and 3 products;
    counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, stack, endpoint_url: str, region: str) -> dict:
        import infra.seed
        from infra.seed import inventory

        self.calls += 1
        products = inventory.generate()[:3]
        with mock.patch.dict(infra.seed.SEEDERS, {"InventoryFunction": "infra.seed.inventory"}, clear=True), \
                mock.patch.object(inventory, "LOCATIONS", inventory.LOCATIONS[:1]), \
                mock.patch.object(inventory, "generate", lambda rng=None: products):
            return infra.seed.seed_all(stack, endpoint_url, region)


@pytest.fixture(scope="module")
def stack_on_disk(tmp_path_factory):
    """Starts stacks on one state directory and the same ports, as `make run` does; stops them all."""
    state_dir, ports, seeder = tmp_path_factory.mktemp("kept"), (free_port(), free_port()), SmallDemoData()
    runners: list[StackRunner] = []

    def start() -> StackRunner:
        # its own stack name: pynamodb keeps a model's connection (and so its endpoint) while
        # the table name stays the same, and the session's stack seeds in this process too
        runner = StackRunner(*ports, state_dir=state_dir, persist=True, seeder=seeder, stack_name="kept",
                                  parameters=TEST_STACK_PARAMETERS)
        runners.append(runner)
        return runner.start()

    start.seeder = seeder
    yield start
    for runner in runners:
        runner.stop()


def admin_of(runner: StackRunner) -> Api:
    return Api(runner.gateway_url, runner.api_keys()["admin"])


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def saga_request(customer: int, product: int, tag: str) -> dict:
    return {"path": f"/api/v1/customers/{customer}/order-processing", "headers": {"Idempotency-Key": f"kept-{tag}"},
            "json": {"products": [{"product_id": product, "quantity": 1}], "shipping_address": "1 Rue Kept",
                     "payment_method": "credit_card"}}


def write_some_data(admin: Api, tag: str) -> tuple[dict[str, str], dict]:
    """A product, a store with a register and a sale, a customer and a completed order saga
    (started with an Idempotency-Key); returns the paths that read them back, and the saga's
    request."""
    product = ok(admin.post("/api/v1/products", json={"sku": f"KEPT-{tag}", "name": f"Kept {tag}", "category_id": 1,
                                                      "price": "4.50"}), 201)["product_id"]
    store = ok(admin.post("/api/v1/stores", json={"name": f"Store {tag}"}), 201)["store_id"]
    register = ok(admin.post("/api/v1/cash-registers", json={"store_id": store, "number": 1}), 201)["register_id"]
    for location, quantity in ((f"store-{store}", 5), ("warehouse", 5)):
        ok(admin.put(f"/api/v1/stock/{product}", json={"location_id": location, "quantity": quantity, "reason": "kept"}))
    sale = ok(admin.post("/api/v1/sales", json={"store_id": store, "register_id": register,
                                                "lines": [{"product_id": product, "quantity": 2}]}), 201)["sale_id"]
    customer = ok(admin.post("/api/v1/customers", json={"email": f"kept.{tag}@example.com", "first_name": "Kept",
                                                        "last_name": tag}), 201)["customer_id"]
    saga = ok(admin.post(**saga_request(customer, product, tag)), 202)["saga_id"]
    deadline = time.monotonic() + 60
    while (status := ok(admin.get(f"/api/v1/sagas/{saga}"))["status"]) not in FINAL:
        assert time.monotonic() < deadline, f"saga {saga} still {status}"
        time.sleep(0.2)
    assert status == "COMPLETED"
    return {"product": f"/api/v1/products/{product}", "sale": f"/api/v1/sales/{sale}",
            "stock": f"/api/v1/stock?product_id={product}",
            "orders": f"/api/v1/orders?customer_id={customer}", "saga": f"/api/v1/sagas/{saga}"}, \
        saga_request(customer, product, tag)


def read(admin: Api, paths: dict[str, str]) -> dict[str, dict]:
    return {name: ok(admin.get(path)) for name, path in paths.items()}


def saga_ids(admin: Api) -> list[str]:
    return [s["saga_id"] for s in ok(admin.get("/api/v1/sagas", params={"limit": 100}))["items"]]


def web_session_secret(runner: StackRunner) -> str:
    sm = runner._secretsmanager()
    [secret] = sm.list_secrets()["SecretList"]
    return sm.get_secret_value(SecretId=secret["ARN"])["SecretString"]


def kill_the_whole_tree(runner: StackRunner) -> None:
    """kill -9 of every process the stack runs (the cloud, DynamoDB Local, the Lambda workers and
    their template processes, each in its own process group), all at once, as a crash would."""
    cloud = psutil.Process(runner.procs[0].pid)
    groups = {os.getpgid(p.pid) for p in [cloud, *cloud.children(recursive=True)]}
    assert len(groups) > 2   # the cloud, DynamoDB Local and the workers' own groups
    for group in groups:
        os.killpg(group, signal.SIGKILL)
    for proc in runner.procs:
        proc.wait()
    runner.procs.clear()


def test_data_sagas_and_the_session_secret_survive_a_restart_and_a_kill(stack_on_disk):
    first = stack_on_disk()
    assert stack_on_disk.seeder.calls == 1 and first.seed_kept is None
    admin = admin_of(first)
    paths, _ = write_some_data(admin, "one")
    before = read(admin, paths)
    sagas, secret = saga_ids(admin), web_session_secret(first)
    first.stop()

    second = stack_on_disk()   # after a graceful stop
    assert stack_on_disk.seeder.calls == 1, "the demo data was loaded again"
    assert second.seed_kept is not None and second.seed_kept["summary"]["InventoryFunction"]["products"] == 3
    admin = admin_of(second)
    assert read(admin, paths) == before
    assert saga_ids(admin) == sagas
    assert web_session_secret(second) == secret
    assert len(ok(admin.get("/api/v1/products", params={"limit": 100}))["items"]) == 4   # 3 + ours, once each

    more, saga_again = write_some_data(admin, "two")
    after_more = read(admin, more)
    saga = after_more["saga"]["saga_id"]
    deadline = time.monotonic() + 10   # the journal's next flush (every second) keeps it
    while saga not in (second.executions_file.read_text() if second.executions_file.exists() else ""):
        assert time.monotonic() < deadline, "the saga's execution was not written to disk"
        time.sleep(0.2)
    kill_the_whole_tree(second)

    third = stack_on_disk()   # after a crash
    assert stack_on_disk.seeder.calls == 1
    admin = admin_of(third)
    assert read(admin, paths) == before
    assert read(admin, more) == after_more
    assert saga_ids(admin) == [saga, *sagas]
    assert web_session_secret(third) == secret
    # the saga's Idempotency-Key still names it: its execution's name stays taken
    replay = admin.post(**saga_again)
    assert replay.status_code == 202 and replay.json()["saga_id"] == saga, replay.text
    assert saga_ids(admin) == [saga, *sagas]


def test_a_stream_consumer_goes_on_after_a_restart_from_where_it_was(tmp_path):
    """An event source mapping on a table kept on disk, created again after a restart (as the
    deploy does), delivers only what came since: the reports are not fed the whole stream twice."""
    import boto3

    from infra.cloud.dynamodb_local import DynamoDBLocal
    from infra.cloud.event_sources import EventSourceMappings

    function = "arn:aws:lambda:us-east-1:123456789012:function:consumer"
    positions = tmp_path / "dynamodb" / "event-source-positions.json"

    def life(new_items: list[str], first: bool) -> list[str]:
        """Starts DynamoDB Local and a mapping, writes ``new_items``, returns the keys delivered
        once the last of them is."""
        server = DynamoDBLocal(tmp_path / "dynamodb").start()
        delivered: list[str] = []
        done = threading.Event()

        def invoke(_arn: str, payload: bytes) -> tuple[bool, bytes]:
            keys = [r["dynamodb"]["Keys"]["id"]["S"] for r in json.loads(payload)["Records"]]
            delivered.extend(keys)
            if new_items[-1] in keys:
                done.set()
            return True, b"null"

        url = f"http://127.0.0.1:{server.port}"
        ddb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")
        mappings = EventSourceMappings(invoke, lambda name: function, url, "us-east-1", positions)
        try:
            if first:
                ddb.create_table(TableName="sales", BillingMode="PAY_PER_REQUEST",
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
            stream = ddb.describe_table(TableName="sales")["Table"]["LatestStreamArn"]
            mappings.create({"FunctionName": function, "EventSourceArn": stream, "StartingPosition": "TRIM_HORIZON"})
            for key in new_items:
                ddb.put_item(TableName="sales", Item={"id": {"S": key}})
            assert done.wait(30), f"not delivered: {new_items}, delivered {delivered}"
            return delivered
        finally:
            mappings.shutdown()
            server.stop()

    assert life(["sale-1", "sale-2"], first=True) == ["sale-1", "sale-2"]
    assert life(["sale-3"], first=False) == ["sale-3"]
