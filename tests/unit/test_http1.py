"""The request-head parser of the gateway and the Runtime API (gateway/http1.py), against the
rules of RFC 9112 section 5 and the stdlib server's answers it keeps."""
import io
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

import pytest

from gateway.http1 import MAX_HEADERS, FastHeadersMixin, HeaderError, Headers, read_headers


def _read(raw: bytes) -> Headers:
    return read_headers(io.BytesIO(raw))


def test_fields_keep_their_order_and_are_found_whatever_the_case():
    h = _read(b"Host: a\r\nX-Api-Key: k1\r\nAccept: */*\r\nx-api-key: k2\r\n\r\nbody")
    assert h.items() == [("Host", "a"), ("X-Api-Key", "k1"), ("Accept", "*/*"), ("x-api-key", "k2")]
    assert h.get("X-API-KEY") == "k1" and h["x-api-key"] == "k1"
    assert h.get_all("x-api-key") == ["k1", "k2"]
    assert "ACCEPT" in h and "Missing" not in h and h.get("Missing", "d") == "d"
    assert len(h) == 4 and list(h) == ["Host", "X-Api-Key", "Accept", "x-api-key"]


def test_optional_whitespace_around_a_value_is_not_part_of_it():
    assert _read(b"A:  spaced \t\r\nB:x\r\n\r\n").items() == [("A", "spaced"), ("B", "x")]


def test_an_empty_value_is_a_value():
    assert _read(b"X-Empty:\r\n\r\n").get("x-empty") == ""


def test_obsolete_line_folding_is_replaced_by_a_space():
    assert _read(b"X-Long: one\r\n  two\r\n\tthree\r\n\r\n").get("x-long") == "one two three"


@pytest.mark.parametrize("raw", [b"no colon here\r\n\r\n", b"Bad Name : v\r\n\r\n", b": no name\r\n\r\n",
                                 b" folded first\r\n\r\n"])
def test_a_malformed_line_is_a_bad_request(raw):
    with pytest.raises(HeaderError) as err:
        _read(raw)
    assert err.value.status == HTTPStatus.BAD_REQUEST


def test_limits_are_the_stdlib_ones():
    with pytest.raises(HeaderError) as err:
        _read(b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADERS + 1)) + b"\r\n")
    assert err.value.status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    with pytest.raises(HeaderError) as err:
        _read(b"X: " + b"v" * 70000 + b"\r\n\r\n")
    assert err.value.status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


def test_a_bare_lf_ends_lines_too_and_eof_ends_the_head():
    assert _read(b"A: 1\nB: 2\n\n").items() == [("A", "1"), ("B", "2")]
    assert _read(b"A: 1\r\n").items() == [("A", "1")]


class _Handler(FastHeadersMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, raw: bytes):   # no socket: parse one request head from bytes
        self.rfile, self.wfile = io.BytesIO(raw), io.BytesIO()
        self.raw_requestline = self.rfile.readline()
        self.client_address = ("127.0.0.1", 1)
        self.request_version = "HTTP/1.1"
        self.ok = self.parse_request()

    def log_message(self, *args):
        pass


def test_the_request_line_and_connection_rules_are_the_stdlib_ones():
    h = _Handler(b"GET //a/b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
    assert h.ok and (h.command, h.path, h.request_version, h.close_connection) == ("GET", "/a/b?x=1", "HTTP/1.1", False)
    assert _Handler(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").close_connection is True
    assert _Handler(b"GET / HTTP/1.0\r\n\r\n").close_connection is True
    bad = _Handler(b"GET / HTTP/1.1\r\nnot a header\r\n\r\n")
    assert not bad.ok and bad.wfile.getvalue().startswith(b"HTTP/1.1 400")
    http2 = _Handler(b"GET / HTTP/2.0\r\n\r\n")   # before the version is known: no status line, as stdlib
    assert not http2.ok and b"505" in http2.wfile.getvalue()
    continued = _Handler(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
    assert continued.ok and continued.wfile.getvalue().startswith(b"HTTP/1.1 100 Continue")
