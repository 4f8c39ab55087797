"""An httpx transport that delivers every request to a server on 127.0.0.1.

The request keeps its real URL, so the archive records what a live run would and the API-key
logic sees the real host; the loopback server receives ``/<host><path>``.
"""

from __future__ import annotations

import httpx


class ToLoopback(httpx.BaseTransport):
    def __init__(self, port: int):
        self.port = port
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        request.url = original.copy_with(
            scheme="http", host="127.0.0.1", port=self.port, path=f"/{original.host}{original.path}"
        )
        try:
            return self.inner.handle_request(request)
        finally:
            request.url = original

    def close(self) -> None:
        self.inner.close()
