"""Baseline B of `make bench`: the smallest Python HTTP server, to show what the load generator
plus a Python HTTP/1.1 server cost on this machine.

    python tests/load/hello_server.py PORT

The standard library's ThreadingHTTPServer (one thread per connection), HTTP/1.1 keep-alive,
TCP_NODELAY (as the embedded cloud's server sets it), a fixed small JSON answer to any GET.
"""
from __future__ import annotations

import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b'{"message":"hello"}'


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass   # the load generator closes its connections at the end of a run: not news


def main() -> None:
    server = Server(("127.0.0.1", int(sys.argv[1])), Hello)
    server.serve_forever()


if __name__ == "__main__":
    main()
