"""The deployer gives the stage its cache cluster and method settings through UpdateStage patches
(CreateStage takes no method settings), changes only what differs, and declares the methods'
request parameters and cache key parameters (moto's API Gateway, in process)."""
from __future__ import annotations

from infra.deploy.resources import Context, _import_openapi, provision_stage

URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations"


def _context(apigw) -> Context:
    return Context("retail", "us-east-1", "123456789012", lambda service: apigw, {})


def _deployed_api(apigw) -> tuple[str, str]:
    api_id = apigw.create_rest_api(name="retail-api")["id"]
    _import_openapi(apigw, api_id, {"paths": {"/api/v1/products": {"get": {
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": URI}}}}})
    return api_id, apigw.create_deployment(restApiId=api_id)["id"]


def _stage_props(api_id: str, deployment_id: str, **extra) -> dict:
    return {"RestApiId": api_id, "StageName": "prod", "DeploymentId": deployment_id, **extra}


CACHED = {
    "CacheClusterEnabled": True,
    "CacheClusterSize": "0.5",
    "MethodSettings": [
        {"ResourcePath": "/~1api~1v1~1products", "HttpMethod": "GET", "CachingEnabled": "true", "CacheTtlInSeconds": "60"},
        {"ResourcePath": "/~1api~1v1~1stock", "HttpMethod": "GET", "CachingEnabled": True, "CacheTtlInSeconds": 5},
    ],
}


def test_stage_gets_the_cache_cluster_and_method_settings_once(apigw):
    api_id, deployment = _deployed_api(apigw)
    ctx = _context(apigw)
    provision_stage(ctx, "RetailApiStage", _stage_props(api_id, deployment, **CACHED))
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["cacheClusterEnabled"] is True and stage["cacheClusterSize"] == "0.5"
    products = stage["methodSettings"]["~1api~1v1~1products/GET"]
    assert products["cachingEnabled"] is True and products["cacheTtlInSeconds"] == 60
    assert stage["methodSettings"]["~1api~1v1~1stock/GET"]["cacheTtlInSeconds"] == 5
    assert "*/*" not in stage["methodSettings"]

    again = _context(apigw)
    provision_stage(again, "RetailApiStage", _stage_props(api_id, deployment, **CACHED))
    assert again.changes == []  # nothing differs: nothing patched


def test_stage_cache_settings_follow_the_template(apigw):
    api_id, deployment = _deployed_api(apigw)
    provision_stage(_context(apigw), "RetailApiStage", _stage_props(api_id, deployment, **CACHED))
    changed = {**CACHED, "CacheClusterSize": "1.6", "MethodSettings": [
        {"ResourcePath": "/~1api~1v1~1products", "HttpMethod": "GET", "CachingEnabled": True, "CacheTtlInSeconds": 30}]}
    ctx = _context(apigw)
    provision_stage(ctx, "RetailApiStage", _stage_props(api_id, deployment, **changed))
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["cacheClusterSize"] == "1.6" and ctx.changes
    assert stage["methodSettings"]["~1api~1v1~1products/GET"]["cacheTtlInSeconds"] == 30
    assert stage["methodSettings"]["~1api~1v1~1stock/GET"]["cachingEnabled"] is False  # dropped from the template
    provision_stage(_context(apigw), "RetailApiStage", _stage_props(api_id, deployment, CacheClusterEnabled=False))
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["cacheClusterEnabled"] is False


def test_import_declares_request_parameters_and_sends_cache_key_parameters(apigw, caplog):
    api_id = apigw.create_rest_api(name="retail-api")["id"]
    body = {"paths": {"/p/{id}": {"get": {
        "parameters": [{"name": "id", "in": "path", "required": True}, {"name": "q", "in": "query", "required": False},
                       {"name": "v", "in": "query"}],
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": URI,
                                            "cacheKeyParameters": ["method.request.path.id", "method.request.querystring.q"]},
    }}}}
    _import_openapi(apigw, api_id, body)
    resource = next(r for r in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"] if r["path"] == "/p/{id}")
    method = resource["resourceMethods"]["GET"]
    assert method["requestParameters"] == {"method.request.path.id": True, "method.request.querystring.q": False,
                                           "method.request.querystring.v": False}
    # moto drops cacheKeyParameters; the deployer says where the gateway's key will differ
    assert "method.request.querystring.v" in caplog.text and "cacheKeyParameters" in caplog.text
