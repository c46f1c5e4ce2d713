"""Change notices between registry processes sharing one PostgreSQL database.

Every write transaction of the service sends `NOTIFY charter_registry, '<change>'`, which
PostgreSQL delivers to every listening session once the transaction commits. Each process runs
one `ChangeListener`: a thread holding its own connection in `LISTEN`, passing each notice to
the service. While it is not listening (starting, or reconnecting after the connection broke)
the service is told so and serves nothing from memory, so a change it could not hear about is
never hidden by a cache. SQLite databases have one process and need no listener.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from registry.repository import NOTIFY_CHANNEL

__all__ = ["ChangeListener"]

log = logging.getLogger("charter.registry")


def _conninfo(sqlalchemy_url: str) -> str:
    """A libpq connection string for a `postgresql+psycopg://` SQLAlchemy URL."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class ChangeListener:
    """LISTENs on the registry's channel in a thread, reconnecting with a bounded back-off."""

    def __init__(
        self,
        database_url: str,
        on_notice: Callable[[str], None],
        on_listening: Callable[[bool], None],
        *,
        name: str = "charter-registry",
        channel: str = NOTIFY_CHANNEL,
        connect_timeout_s: int = 5,
        poll_s: float = 0.5,
        ping_s: float = 5.0,
        backoff_max_s: float = 5.0,
    ) -> None:
        self._conninfo = _conninfo(database_url)
        self.name = name  # the session's application_name, so operators can tell it apart
        self.channel = channel
        self._on_notice = on_notice
        self._on_listening = on_listening
        self._connect_timeout_s = connect_timeout_s
        self._poll_s = poll_s
        self._ping_s = ping_s
        self._backoff_max_s = backoff_max_s
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="charter-change-listener", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wait_listening(self, timeout_s: float) -> bool:
        return self._listening.wait(timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        backoff_s = 0.1
        while not self._stop.is_set():
            try:
                self._listen()
                backoff_s = 0.1
            except psycopg.Error as exc:
                log.warning("change listener lost its connection (%s); reconnecting", exc)
            except Exception:  # never let the thread die: the caches would be trusted blind
                log.exception("change listener failed; reconnecting")
            self._set_listening(False)
            self._stop.wait(backoff_s)
            backoff_s = min(backoff_s * 2, self._backoff_max_s)

    def _listen(self) -> None:
        with psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=self._connect_timeout_s,
            application_name=self.name,
        ) as conn:
            conn.execute(f"LISTEN {self.channel}")
            self._set_listening(True)
            idle_s = 0.0
            while not self._stop.is_set():
                heard = False
                for notice in conn.notifies(timeout=self._poll_s, stop_after=256):
                    heard = True
                    self._on_notice(notice.payload)
                idle_s = 0.0 if heard else idle_s + self._poll_s
                if idle_s >= self._ping_s:  # a silent channel: make sure the link still works
                    conn.execute("SELECT 1")
                    idle_s = 0.0

    def _set_listening(self, listening: bool) -> None:
        if listening == self._listening.is_set():
            return
        if listening:
            self._on_listening(True)
            self._listening.set()
        else:
            self._listening.clear()
            self._on_listening(False)
