"""Request-head parsing for the stdlib HTTP servers on the hot path (the gateway, the Lambda
Runtime API), without the e-mail parser.

``http.server.BaseHTTPRequestHandler.parse_request`` hands the header block to
``http.client.parse_headers``, which runs the ``email`` package's feed parser: about 17 µs per
request on this machine, and every ``headers.get()`` then scans the whole list. Under load
that was the largest single cost of the Runtime API (profile in docs/performance.md).
:class:`FastHeadersMixin` keeps the stdlib's request-line rules and its error answers (it is
the same method, with the header block read by :func:`read_headers`), and ``self.headers``
is a :class:`Headers`: the subset of ``email.message.Message`` the handlers use, with
case-insensitive lookups in a dict.

Header syntax follows RFC 9112 section 5: ``field-name ":" OWS field-value OWS``; a line
without a colon, or a field name with whitespace before the colon, is a 400; an obsolete
line folding (a line starting with SP or HTAB) is replaced by a space, as the RFC allows a
server to do. Limits are the stdlib's: 65,536 bytes per line, 100 header lines.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Iterator

MAX_LINE = 65536
MAX_HEADERS = 100


class HeaderError(ValueError):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


class Headers:
    """Request headers in arrival order; lookups are case-insensitive, as in HTTP."""

    __slots__ = ("_items", "_index")

    def __init__(self, items: list[tuple[str, str]] | None = None):
        self._items: list[tuple[str, str]] = items or []
        self._index: dict[str, list[str]] = {}
        for name, value in self._items:
            self._index.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (as ``email.message.Message.get``)."""
        values = self._index.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str, default: list[str] | None = None) -> list[str] | None:
        values = self._index.get(name.lower())
        return list(values) if values else default

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def keys(self) -> list[str]:
        return [name for name, _ in self._items]

    def values(self) -> list[str]:
        return [value for _, value in self._items]

    def __getitem__(self, name: str) -> str | None:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def __str__(self) -> str:
        return "".join(f"{name}: {value}\r\n" for name, value in self._items) + "\r\n"


def read_headers(rfile) -> Headers:
    """Reads the header block up to and including the empty line."""
    items: list[tuple[str, str]] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise HeaderError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
        if line in (b"\r\n", b"\n", b""):
            return Headers(items)
        if len(items) >= MAX_HEADERS:
            raise HeaderError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t"):   # obs-fold: continues the previous field's value
            if not items:
                raise HeaderError(HTTPStatus.BAD_REQUEST, "Bad header line")
            name, value = items[-1]
            items[-1] = (name, (value + " " + text.strip(" \t")).strip(" \t"))
            continue
        name, colon, value = text.partition(":")
        if not colon or not name or name != name.rstrip(" \t"):
            raise HeaderError(HTTPStatus.BAD_REQUEST, "Bad header line")
        items.append((name, value.strip(" \t")))


class FastHeadersMixin:
    """``parse_request`` of ``BaseHTTPRequestHandler`` (same request-line rules and answers),
    with the header block read by :func:`read_headers`. Put it first in the bases."""

    def parse_request(self) -> bool:  # noqa: C901 - mirrors the stdlib method it replaces
        self.command = None
        self.request_version = version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if len(words) == 0:
            return False
        if len(words) >= 3:
            version = words[-1]
            try:
                if not version.startswith("HTTP/"):
                    raise ValueError
                number = version.split("/", 1)[1].split(".")
                if len(number) != 2 or any(not c.isdigit() or len(c) > 10 for c in number):
                    raise ValueError
                version_number = int(number[0]), int(number[1])
            except (ValueError, IndexError):
                self.send_error(HTTPStatus.BAD_REQUEST, "Bad request version (%r)" % version)
                return False
            if version_number >= (1, 1) and self.protocol_version >= "HTTP/1.1":
                self.close_connection = False
            if version_number >= (2, 0):
                self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                                "Invalid HTTP version (%s)" % version.split("/", 1)[1])
                return False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request syntax (%r)" % requestline)
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(HTTPStatus.BAD_REQUEST, "Bad HTTP/0.9 request type (%r)" % command)
                return False
        self.command, self.path = command, path
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")
        try:
            self.headers = read_headers(self.rfile)
        except HeaderError as err:
            self.send_error(err.status, str(err))
            return False
        conntype = (self.headers.get("Connection") or "").lower()
        if conntype == "close":
            self.close_connection = True
        elif conntype == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        expect = (self.headers.get("Expect") or "").lower()
        if expect == "100-continue" and self.protocol_version >= "HTTP/1.1" and self.request_version >= "HTTP/1.1":
            if not self.handle_expect_100():
                return False
        return True


__all__ = ["FastHeadersMixin", "HeaderError", "Headers", "read_headers"]
