"""The session: the person's API key and its role (``GET /api/v1/me`` at sign-in) in an
HttpOnly, SameSite=Strict cookie, signed (HMAC-SHA1 by itsdangerous, with the stack's own secret)
so that it cannot be forged or altered, and dated so that it expires. The role only chooses which
pages are shown: the API's authorizer decides what the key may do."""
from __future__ import annotations

from dataclasses import dataclass

from http.cookies import CookieError, SimpleCookie

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "retail_session"
_SALT = "retail-web-session"


@dataclass(frozen=True)
class Session:
    api_key: str
    role: str
    stores: frozenset[int] | None = None  # a store key's own stores; None: every store


class SessionSigner:
    def __init__(self, secret: str, max_age: int):
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.max_age = max_age

    def sign(self, session: Session) -> str:
        stores = sorted(session.stores) if session.stores is not None else None
        return self._serializer.dumps({"key": session.api_key, "role": session.role, "stores": stores})

    def session(self, cookie_value: str | None) -> Session | None:
        """The session in a cookie this stack signed less than ``max_age`` seconds ago, else None
        (a cookie without a role, from before roles, is no session: the person signs in again)."""
        if not cookie_value:
            return None
        try:
            data = self._serializer.loads(cookie_value, max_age=self.max_age)
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        key, role = data.get("key"), data.get("role")
        if not (isinstance(key, str) and key and isinstance(role, str) and role):
            return None
        stores = data.get("stores")
        scope = frozenset(s for s in stores if isinstance(s, int)) if isinstance(stores, list) else None
        return Session(key, role, scope)

    def set_cookie(self, session: Session, *, secure: bool) -> str:
        return _cookie(self.sign(session), self.max_age, secure)


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
