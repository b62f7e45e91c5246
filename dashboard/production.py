"""The production server: gunicorn with threaded workers (``mcred serve --workers N``).

Why these settings:
- ``gthread`` workers: a request that waits for its client (a slow upload, a client that
  trickles its headers) holds one thread, not the worker: gunicorn parks a connection that
  has sent nothing yet in the worker's poller, and every worker runs many requests at once
  on threads (DuckDB releases the GIL while it queries, and each request has its own cursor).
- Request line, header count and header size are capped, so a hostile client cannot make a
  worker buffer without end; the Flask app caps bodies (MAX_CONTENT_LENGTH).
- A worker stuck for ``timeout`` seconds is replaced; workers are recycled after
  ``max_requests`` (with jitter) so that a slow leak cannot grow without end.
- Each worker builds its own app after the fork (no preload): DuckDB connections are never
  shared across processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

# A client that trickles its headers holds one thread until it is done (gunicorn 27 waits a
# moment for data, then reads the request on a thread). Ten such clients that all reach one
# worker still leave it six threads for everyone else.
THREADS_PER_WORKER = 16


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    bind_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return {
        "bind": f"{bind_host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS_PER_WORKER,
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "preload_app": False,
        "accesslog": "-",
        # gunicorn's default line plus the request's time in seconds (the server side of a
        # slow page; the benchmarks read it too).
        "access_log_format": '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s',
        "errorlog": "-",
        # Behind a reverse proxy the app's ProxyFix (MCRED_PROXY_HOPS) reads X-Forwarded-*;
        # gunicorn itself trusts no forwarded header.
        "forwarded_allow_ips": "",
        "proc_name": "mcred",
    }


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, load: Callable[[], Any], options: dict[str, Any]):
        self._load = load
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._load()


def serve(load_wsgi_app: Callable[[], Any], host: str, port: int, workers: int) -> None:
    """Run gunicorn until it is stopped (SIGINT/SIGTERM); ``load_wsgi_app`` runs in each worker."""
    _Server(load_wsgi_app, gunicorn_options(host, port, workers)).run()
