"""One exception per rule the pages report; each says what happened in words for a person and
carries the status the page is answered with. None of them is ever shown as a stack trace."""
from __future__ import annotations

from typing import Any


class WebError(Exception):
    status = 500
    title = "Something went wrong"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotSignedIn(WebError):
    """No valid session cookie: the page redirects to the sign-in page."""
    status = 401
    title = "Please sign in"


class BadInput(WebError):
    """A form or query string the back office itself cannot read (before any API call)."""
    status = 400
    title = "Check what you entered"


class ApiError(WebError):
    """The API answered with an error (or not at all)."""
    status = 502
    title = "The API could not answer"
    api_status: int | None = None


class ApiForbidden(ApiError):
    status = 403
    title = "The API refused your key"

    def __init__(self, api_message: str = "Forbidden", api_status: int = 403):
        super().__init__(f"The API answered {api_status} ({api_message}): the key you signed in with is unknown, "
                         "disabled or not allowed on this API. Sign out and sign in again with a valid key.")
        self.api_status = api_status


class ApiThrottled(ApiError):
    status = 429
    title = "Too many requests for your key"

    def __init__(self, api_message: str = "Too Many Requests"):
        why = ("your usage plan's quota for the period is used up" if api_message == "Limit Exceeded"
               else "your usage plan's request rate was exceeded")
        super().__init__(f"The API answered 429 ({api_message}): {why}. Wait a moment and try again.")
        self.api_status = 429


class ApiRejected(ApiError):
    """A 4xx from a handler: {"error": {"code", "message", "details"}}."""
    status = 422
    title = "The API did not accept this"

    def __init__(self, api_status: int, code: str, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message, details=details)
        self.status = api_status if 400 <= api_status < 500 else 422
        self.api_status, self.code = api_status, code


class ApiNotFound(ApiRejected):
    title = "Not found"


class ApiUnavailable(ApiError):
    """5xx, timeout or no connection."""
    status = 502
    title = "The API could not answer"

    def __init__(self, message: str, api_status: int | None = None):
        super().__init__(message)
        self.api_status = api_status
