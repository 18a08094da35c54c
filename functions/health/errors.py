"""The health function's one client error."""

from shared.errors import ForbiddenError


class NoCallerError(ForbiddenError):
    """``GET /api/v1/me`` reached without the authorizer's context (no role)."""

    code = "no_caller"
