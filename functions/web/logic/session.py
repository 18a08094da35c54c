"""The session: the person's API key in an HttpOnly, SameSite=Strict cookie, signed (HMAC-SHA1
by itsdangerous, with the stack's own secret) so that it cannot be forged or altered, and dated
so that it expires."""
from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "retail_session"
_SALT = "retail-web-session"


class SessionSigner:
    def __init__(self, secret: str, max_age: int):
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.max_age = max_age

    def sign(self, api_key: str) -> str:
        return self._serializer.dumps({"key": api_key})

    def key(self, cookie_value: str | None) -> str | None:
        """The API key in a cookie this stack signed less than ``max_age`` seconds ago, else None."""
        if not cookie_value:
            return None
        try:
            data = self._serializer.loads(cookie_value, max_age=self.max_age)
        except BadSignature:  # includes SignatureExpired
            return None
        key = data.get("key") if isinstance(data, dict) else None
        return key if isinstance(key, str) and key else None

    def set_cookie(self, api_key: str, *, secure: bool) -> str:
        return _cookie(self.sign(api_key), self.max_age, secure)


def clear_cookie(*, secure: bool) -> str:
    return _cookie("", 0, secure)


def _cookie(value: str, max_age: int, secure: bool) -> str:
    cookie = SimpleCookie()
    cookie[COOKIE] = value
    morsel = cookie[COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    morsel["max-age"] = max_age
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


def cookie_value(header: str | None) -> str | None:
    """This app's cookie from a Cookie request header."""
    if not header:
        return None
    cookie = SimpleCookie()
    try:
        cookie.load(header)
    except CookieError:
        return None
    return cookie[COOKIE].value if COOKIE in cookie else None
