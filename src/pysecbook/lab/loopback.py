"""The one HTTP server on 127.0.0.1: started in a thread, stopped when its block ends.

:func:`serve_http` serves a :mod:`http.server` request handler on the loopback interface, on
a port the kernel picks, each request in its own daemon thread. It binds 127.0.0.1 only, so
nothing outside the machine can reach it, and it stops when the ``with`` block ends, or by
itself after ``lifetime`` seconds (a page that forgets to close it does not leave a server
behind). Used by the local package index of the "Before pip install" page
(:mod:`pysecbook.teaching.local_index`), the ``http.server`` demonstration, and the tests'
loopback services (an OSV API, a quiet server).
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

__all__ = ["Address", "serve_http"]


class Address(NamedTuple):
    """Where a loopback server listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"


@contextlib.contextmanager
def serve_http(handler: Callable[..., http.server.BaseHTTPRequestHandler], *,
               lifetime: float | None = None, name: str = "loopback-http",
               on_stop: Callable[[], Any] | None = None) -> Iterator[Address]:
    """Serve ``handler`` on 127.0.0.1 in a thread; yields the address.

    ``lifetime``: stop by itself after that many seconds, whichever comes first. ``on_stop``
    runs whenever the server stops, before it shuts down (it may release handlers that are
    blocked on purpose, so that none outlives the server).
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=name, daemon=True)

    def stop() -> None:
        if on_stop is not None:
            on_stop()
        server.shutdown()

    timer = threading.Timer(lifetime, stop) if lifetime is not None else None
    thread.start()
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield Address("127.0.0.1", int(server.server_address[1]))
    finally:
        if timer is not None:
            timer.cancel()
        stop()
        server.server_close()
        thread.join(timeout=5)
