"""The gateway served by the embedded cloud reads a deploy's API Gateway changes once they
stop coming (infra/cloud/server.py ``ControlPlaneChanges``), not at its next 5 s read."""
from __future__ import annotations

import threading

from infra.cloud.server import ControlPlaneChanges


def call(app, method: str, path: str) -> None:
    app({"REQUEST_METHOD": method, "PATH_INFO": path}, lambda *_: None)


def test_a_burst_of_control_plane_writes_is_read_once_after_it():
    changed = threading.Event()
    calls = []
    app = ControlPlaneChanges(lambda environ, start: [b""], lambda: (calls.append(1), changed.set()), quiet=0.2)
    for path in ("/restapis/abc/deployments", "/usageplans", "/usageplans/p1/keys", "/apikeys"):
        call(app, "POST", path)
    call(app, "PATCH", "/restapis/abc/stages/prod")
    assert changed.wait(5)
    assert calls == [1]


def test_reads_and_other_services_change_nothing():
    calls = []
    app = ControlPlaneChanges(lambda environ, start: [b""], lambda: calls.append(1), quiet=0.01)
    call(app, "GET", "/restapis/abc/stages/prod")
    call(app, "POST", "/2015-03-31/functions/f/invocations")
    call(app, "POST", "/")   # DynamoDB, Step Functions ... (JSON protocol)
    assert app._timer is None and calls == []
