"""The deployer creates an ``AWS::SecretsManager::Secret`` from ``GenerateSecretString`` once (as
CloudFormation does, with GetRandomPassword) and keeps its value on a later deploy (moto's Secrets
Manager, in process)."""
from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from infra.deploy.resources import Context, provision_secret


@pytest.fixture()
def secretsmanager(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def _context(client) -> Context:
    return Context("retail", "us-east-1", "123456789012", lambda service: client, {})


GENERATED = {"GenerateSecretString": {"PasswordLength": "48", "ExcludePunctuation": "true"}}


def test_generated_secret_is_created_once_and_kept(secretsmanager):
    ctx = _context(secretsmanager)
    first = provision_secret(ctx, "WebSessionSecret", GENERATED)
    value = secretsmanager.get_secret_value(SecretId=first.ref)["SecretString"]
    assert first.ref.startswith("arn:aws:secretsmanager:") and "retail-WebSessionSecret" in first.ref
    assert len(value) == 48 and value.isalnum()
    assert ctx.changes == ["created secret retail-WebSessionSecret"]

    again = _context(secretsmanager)
    second = provision_secret(again, "WebSessionSecret", GENERATED)
    assert second.ref == first.ref and again.changes == []
    assert secretsmanager.get_secret_value(SecretId=first.ref)["SecretString"] == value


def test_two_secrets_get_different_values(secretsmanager):
    a = provision_secret(_context(secretsmanager), "A", GENERATED)
    b = provision_secret(_context(secretsmanager), "B", GENERATED)
    values = {secretsmanager.get_secret_value(SecretId=s.ref)["SecretString"] for s in (a, b)}
    assert len(values) == 2


def test_template_and_given_string(secretsmanager):
    templated = provision_secret(_context(secretsmanager), "Db", {"Name": "db-credentials", "GenerateSecretString": {
        "SecretStringTemplate": '{"username": "app"}', "GenerateStringKey": "password", "PasswordLength": 20}})
    value = json.loads(secretsmanager.get_secret_value(SecretId=templated.ref)["SecretString"])
    assert value["username"] == "app" and len(value["password"]) == 20
    given = provision_secret(_context(secretsmanager), "Plain", {"SecretString": "s3cr3t"})
    assert secretsmanager.get_secret_value(SecretId=given.ref)["SecretString"] == "s3cr3t"
