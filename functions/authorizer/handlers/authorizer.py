"""The REST API's REQUEST authorizer (template.yaml ``RoleAuthorizer``): identity source the
``x-api-key`` header. A missing, unknown, disabled or untagged key fails with ``Unauthorized``
(API Gateway's 401); a key with a role gets the policy of every route of that role and the
context ``{"role", "keyName"}``, which the handlers read as ``requestContext.authorizer``."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from authorizer.dal.api_keys import ApiKeyCache
from authorizer.logic.policy import Unauthorized, authorizer_response, role_of
from authorizer.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()

keys = ApiKeyCache(ttl=settings().api_keys_cache_seconds)  # validated at cold start


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def lambda_handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict:
    value = event.headers.get("x-api-key") if event.get("headers") else None
    try:
        key = keys.find(value) if value else None
        role = role_of(key)
    except Unauthorized as exc:
        logger.info("refused", extra={"reason": exc.why, "method_arn": event.method_arn})
        raise
    assert key is not None
    logger.info("authorized", extra={"key_id": key.id, "role": role, "method_arn": event.method_arn})
    return authorizer_response(event.method_arn, key, role)
