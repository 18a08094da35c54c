"""shared.settings: settings passed down explicitly (``use``, ``handler_settings``), the
environment only as the default, and no process environment changed by anyone."""
from __future__ import annotations

import os
import threading

import pytest
from pydantic import Field

from shared.settings import AwsSettings, ConfigurationError, EnvSettings, handler_settings, use


class TablesSettings(EnvSettings):
    things_table: str = Field(alias="THINGS_TABLE", min_length=1)


class MoreTablesSettings(TablesSettings):
    other_table: str = Field(alias="OTHER_TABLE", min_length=1)


def test_use_passes_settings_down_without_touching_the_environment(monkeypatch):
    monkeypatch.setenv("THINGS_TABLE", "from-env")
    before = dict(os.environ)
    given = TablesSettings.from_env({"THINGS_TABLE": "deployed"})
    assert TablesSettings.current().things_table == "from-env"
    with use(given):
        assert TablesSettings.current() is given
        with use(TablesSettings.from_env({"THINGS_TABLE": "inner"})):  # nests, innermost wins
            assert TablesSettings.current().things_table == "inner"
        assert TablesSettings.current() is given
    assert TablesSettings.current().things_table == "from-env"
    assert dict(os.environ) == before


def test_a_subclass_serves_its_base_and_not_the_reverse(monkeypatch):
    monkeypatch.delenv("OTHER_TABLE", raising=False)
    monkeypatch.delenv("THINGS_TABLE", raising=False)
    more = MoreTablesSettings.from_env({"THINGS_TABLE": "t", "OTHER_TABLE": "o"})
    with use(more):
        assert TablesSettings.current() is more
    with use(TablesSettings.from_env({"THINGS_TABLE": "t"})), pytest.raises(ConfigurationError, match="OTHER_TABLE"):
        MoreTablesSettings.current()


def test_use_holds_for_the_calling_thread_only(monkeypatch):
    monkeypatch.setenv("THINGS_TABLE", "from-env")
    seen = []
    with use(TablesSettings.from_env({"THINGS_TABLE": "deployed"})):
        thread = threading.Thread(target=lambda: seen.append(TablesSettings.current().things_table))
        thread.start()
        thread.join()
    assert seen == ["from-env"]


def test_handler_settings_validates_the_environment_and_passes_it_down(monkeypatch):
    monkeypatch.setenv("THINGS_TABLE", "t1")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.delenv("OTHER_TABLE", raising=False)

    @handler_settings(TablesSettings, MoreTablesSettings)
    def handler(event, context):
        return TablesSettings.current(), AwsSettings.current()

    tables, aws = handler({}, None)
    assert tables.things_table == "t1" and aws.region_name == "eu-west-3"
    assert handler({}, None)[0] is tables  # validated once (cached) while the environment is the same
    # MoreTablesSettings is unsatisfied: not passed down, its ConfigurationError comes where it is used
    with pytest.raises(ConfigurationError, match="OTHER_TABLE"):
        handler_settings(MoreTablesSettings)(lambda: MoreTablesSettings.current())()


def test_aws_settings_read_only_the_region_from_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    from_env = AwsSettings.current()
    assert from_env.region_name == "ca-central-1"
    assert from_env.client_kwargs() == {"region_name": "ca-central-1"}  # botocore resolves the endpoint itself
    given = AwsSettings(region="us-east-1", endpoint_url="http://127.0.0.1:2", access_key_id="a", secret_access_key="b")
    assert given.client_kwargs() == {
        "region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:2",
        "aws_access_key_id": "a", "aws_secret_access_key": "b",
    }


def test_models_and_clients_take_the_endpoint_passed_down(monkeypatch):
    from shared import aws as clients
    from shared.dynamo import BaseMeta

    monkeypatch.setenv("AWS_REGION", "us-east-1")
    given = AwsSettings(region="eu-west-1", endpoint_url="http://127.0.0.1:9", access_key_id="k", secret_access_key="s")
    with use(given):
        assert (BaseMeta.region, BaseMeta.host, BaseMeta.aws_access_key_id) == ("eu-west-1", "http://127.0.0.1:9", "k")
        client = clients.client("sqs")
        assert client.meta.endpoint_url == "http://127.0.0.1:9" and client.meta.region_name == "eu-west-1"
    assert (BaseMeta.region, BaseMeta.host) == ("us-east-1", None)
