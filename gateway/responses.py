"""API Gateway's default gateway responses (the errors the gateway itself answers with).

Status codes and messages are those of the default gateway responses
(https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html),
body `{"message":"..."}` (the default template `{"message":$context.error.messageString}`),
content-type application/json, plus the `x-amzn-ErrorType` header API Gateway sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayError:
    response_type: str  # $context.error.responseType
    status: int
    message: str | None  # None: the body is {"message":null}
    error_type: str | None  # x-amzn-ErrorType header

    @property
    def body(self) -> bytes:
        return json.dumps({"message": self.message}, separators=(",", ":")).encode()


MISSING_AUTHENTICATION_TOKEN = GatewayError(
    "MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"
)
# unknown/disabled key, or a key in no usage plan of this stage (INVALID_API_KEY)
INVALID_API_KEY = GatewayError("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException")
# the API or stage is not deployed (what API Gateway answers for an unknown API)
NOT_DEPLOYED = GatewayError("ACCESS_DENIED", 403, "Forbidden", "ForbiddenException")
THROTTLED = GatewayError("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException")
QUOTA_EXCEEDED = GatewayError("QUOTA_EXCEEDED", 429, "Limit Exceeded", "LimitExceededException")
# Lambda function error, malformed proxy response, Lambda unreachable
INTEGRATION_FAILURE = GatewayError("DEFAULT_5XX", 502, "Internal server error", "InternalServerErrorException")
INTEGRATION_TIMEOUT = GatewayError("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", None)
# Lambda throttled the invocation (429 from Invoke)
INTEGRATION_THROTTLED = GatewayError("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException")
# no/unsupported integration, bad base64 body: a configuration error
API_CONFIGURATION_ERROR = GatewayError("API_CONFIGURATION_ERROR", 500, "Internal server error", "InternalServerErrorException")
REQUEST_TOO_LARGE = GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long", None)
BAD_REQUEST = GatewayError("DEFAULT_4XX", 400, "Bad Request", "BadRequestException")
# Lambda authorizers (gateway/authorizer.py): a missing identity source or the function failing
# with "Unauthorized"; a policy that does not allow the method; the function failing otherwise,
# timing out or answering something that is not an authorizer response (both 500s with
# {"message":null} and AuthorizerConfigurationException, as API Gateway answers them)
UNAUTHORIZED = GatewayError("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException")
ACCESS_DENIED = GatewayError("ACCESS_DENIED", 403, "User is not authorized to access this resource", "AccessDeniedException")
ACCESS_DENIED_EXPLICITLY = GatewayError(
    "ACCESS_DENIED", 403, "User is not authorized to access this resource with an explicit deny", "AccessDeniedException")
AUTHORIZER_CONFIGURATION_ERROR = GatewayError("AUTHORIZER_CONFIGURATION_ERROR", 500, None, "AuthorizerConfigurationException")
AUTHORIZER_FAILURE = GatewayError("AUTHORIZER_FAILURE", 500, None, "AuthorizerConfigurationException")
