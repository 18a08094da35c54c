"""The deployer creates the REST API's Lambda authorizers from the OpenAPI body SAM generates and
puts each method with its authorizer (authorizationType CUSTOM); a redeploy changes nothing, a
changed authorizer or route is applied (moto's API Gateway, in process)."""
from __future__ import annotations

import copy

from infra.deploy.resources import Context, provision_rest_api

FUNCTION = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"


def _operation(*security: str) -> dict:
    return {"security": [{name: []} for name in security],
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": FUNCTION.format("api")}}


# the shape aws-sam-translator gives RetailApi (Auth: DefaultAuthorizer + ApiKeyRequired)
BODY = {
    "openapi": "3.0.1",
    "paths": {
        "/api/v1/products": {"get": _operation("RoleAuthorizer", "api_key"), "post": _operation("RoleAuthorizer", "api_key")},
        "/api/v1/health": {"get": _operation()},
    },
    "components": {"securitySchemes": {
        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        "RoleAuthorizer": {
            "type": "apiKey", "name": "Unused", "in": "header", "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {"type": "request", "authorizerResultTtlInSeconds": 300,
                                               "identitySource": "method.request.header.x-api-key",
                                               "authorizerUri": FUNCTION.format("authorizer")},
        },
    }},
}


def _deploy(apigw, body: dict) -> tuple[str, list[str]]:
    ctx = Context("retail", "us-east-1", "123456789012", lambda service: apigw, {})
    api_id = provision_rest_api(ctx, "RetailApi", {"Name": "retail-api", "Body": body}).ref
    return api_id, ctx.changes


def _methods(apigw, api_id: str) -> dict[tuple[str, str], dict]:
    return {(r["path"], verb): m for r in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
            for verb, m in r.get("resourceMethods", {}).items()}


def test_methods_get_the_authorizer_their_security_names(apigw):
    api_id, _ = _deploy(apigw, BODY)
    [authorizer] = apigw.get_authorizers(restApiId=api_id)["items"]
    assert (authorizer["name"], authorizer["type"], authorizer["identitySource"], authorizer["authorizerResultTtlInSeconds"]) \
        == ("RoleAuthorizer", "REQUEST", "method.request.header.x-api-key", 300)
    assert authorizer["authorizerUri"] == FUNCTION.format("authorizer")
    methods = _methods(apigw, api_id)
    for verb in ("GET", "POST"):
        products = methods[("/api/v1/products", verb)]
        assert (products["authorizationType"], products["authorizerId"], products["apiKeyRequired"]) \
            == ("CUSTOM", authorizer["id"], True)
    health = methods[("/api/v1/health", "GET")]
    assert health["authorizationType"] == "NONE" and not health.get("authorizerId") and health["apiKeyRequired"] is False


def test_a_redeploy_changes_nothing_and_a_change_is_applied(apigw):
    api_id, _ = _deploy(apigw, BODY)
    assert _deploy(apigw, BODY)[1] == []

    ttl_zero = copy.deepcopy(BODY)
    ttl_zero["components"]["securitySchemes"]["RoleAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] = 0
    assert _deploy(apigw, ttl_zero)[1] == ["updated authorizer RoleAuthorizer"]
    assert apigw.get_authorizers(restApiId=api_id)["items"][0]["authorizerResultTtlInSeconds"] == 0

    opened = copy.deepcopy(ttl_zero)
    opened["paths"]["/api/v1/products"]["get"] = _operation("api_key")   # the route loses its authorizer
    assert _deploy(apigw, opened)[1] == ["imported the OpenAPI body of retail-api"]
    products = _methods(apigw, api_id)[("/api/v1/products", "GET")]
    assert products["authorizationType"] == "NONE" and products["apiKeyRequired"] is True
    assert _deploy(apigw, opened)[1] == []


def test_an_authorizer_the_body_no_longer_has_is_deleted(apigw):
    api_id, _ = _deploy(apigw, BODY)
    without = copy.deepcopy(BODY)
    del without["components"]["securitySchemes"]["RoleAuthorizer"]
    for operation in without["paths"]["/api/v1/products"].values():
        operation["security"] = [{"api_key": []}]
    changes = _deploy(apigw, without)[1]
    assert changes == ["imported the OpenAPI body of retail-api", "deleted authorizer RoleAuthorizer"]
    assert apigw.get_authorizers(restApiId=api_id)["items"] == []
    assert {m["authorizationType"] for m in _methods(apigw, api_id).values()} == {"NONE"}
