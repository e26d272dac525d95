"""A small fault-injecting HTTP proxy for S3 tests: it sits on 127.0.0.1 between boto3 and a real S3
server and, on a configurable share of requests, answers 503 SlowDown or 500 InternalError without
forwarding, resets the connection (before forwarding, or after the server has applied the request,
so the client cannot know whether a write happened), or forwards slowly.

Requests are forwarded byte for byte (same path, query and headers, the Host header included) so
SigV4 signatures made for the proxy's address still verify at the server.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("slowdown_503", "internal_500", "reset_before", "reset_after", "slow")
_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, fault_rate: float, seed: int = 7,
                 slow_seconds: float = 0.3):  # fmt: skip
        self.upstream = (upstream_host, upstream_port)
        self.fault_rate = fault_rate
        self.slow_seconds = slow_seconds
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.injected: Counter = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _reset(self) -> None:
                # SO_LINGER 0: close sends RST, which the client sees as a connection reset
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def _error(self, status: int, code: str) -> None:
                body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                        f"<Message>injected by the test proxy</Message></Error>").encode()  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                body = self._body()
                fault = proxy._draw()
                if fault == "slowdown_503":
                    return self._error(503, "SlowDown")
                if fault == "internal_500":
                    return self._error(500, "InternalError")
                if fault == "reset_before":
                    return self._reset()
                if fault == "slow":
                    time.sleep(proxy.slow_seconds)
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                if body or self.command in ("PUT", "POST"):
                    headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if fault == "reset_after":  # the server did it; the client never hears
                    return self._reset()
                self.send_response(resp.status, resp.reason)
                head = self.command == "HEAD"  # its Content-Length is the object's size: keep it
                for k, v in resp.getheaders():
                    if k.lower() not in _HOP and (head or k.lower() != "content-length"):
                        self.send_header(k, v)
                if not head:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _draw(self) -> str | None:
        with self.lock:
            self.requests += 1
            if self.rng.random() >= self.fault_rate:
                return None
            fault = self.rng.choice(FAULTS)
            self.injected[fault] += 1
            return fault

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class FaultProxyProcess:
    """A FaultProxy in a process of its own. delta-rs holds the GIL while it waits on the network,
    so a proxy served by a thread of the same process never answers it. Same interface: `url`, and
    once the `with` block ends, `requests` and `injected`."""

    def __init__(self, upstream_host: str, upstream_port: int, fault_rate: float, seed: int = 7,
                 slow_seconds: float = 0.3):  # fmt: skip
        self.args = (upstream_host, upstream_port, fault_rate, seed, slow_seconds)
        self.requests = 0
        self.injected: Counter = Counter()

    def __enter__(self) -> FaultProxyProcess:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, *self.args), daemon=True)
        self.process.start()
        self.url = self.conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.send("stop")
        self.requests, injected = self.conn.recv()
        self.injected = Counter(injected)
        self.process.join(timeout=10)


def _serve(conn, *args: object) -> None:  # noqa: ANN001 - a multiprocessing Connection
    with FaultProxy(*args) as proxy:  # type: ignore[arg-type]
        conn.send(proxy.url)
        conn.recv()
        conn.send((proxy.requests, dict(proxy.injected)))
