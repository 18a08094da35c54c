"""The files in ``events/`` are what ``python -m infra.events`` writes (the catalogue the fixture
test invokes), and nothing else is there."""
from __future__ import annotations

from infra.events import EVENTS, catalogue, render


def test_the_committed_events_are_the_catalogue():
    fixtures = catalogue()
    for fixture in fixtures:
        path = EVENTS / fixture.path
        assert path.exists(), f"{fixture.path} missing: python -m infra.events"
        assert path.read_text() == render(fixture), f"{fixture.path} differs: python -m infra.events"
    on_disk = {str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json")}
    assert on_disk == {f.path for f in fixtures}


def test_rest_events_pass_the_authorizers_context_and_the_admin_key():
    for fixture in catalogue():
        if "httpMethod" in fixture.event:
            context = fixture.event["requestContext"]
            assert context["authorizer"] == {"principalId": "admin", "role": "admin"}, fixture.path
            assert fixture.event["headers"]["x-api-key"] == context["identity"]["apiKey"], fixture.path
            assert context["resourcePath"] == fixture.event["resource"], fixture.path
