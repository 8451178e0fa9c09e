"""The delivery loop: a thread of the service that sends due outbox rows, signed.

Started and stopped by the app's lifespan. Each round claims due deliveries (leased, so
replicas share the work without double-sending), checks the target again (the name may
now resolve to a private address) and connects to the address it checked, POSTs with a
timeout and no redirects, and records
the attempt: 2xx is delivered, anything else is retried with exponential backoff.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings
from api.webhooks.outbox import Claimed, RetryPolicy, claim_due, prune, record_attempt
from api.webhooks.signing import headers
from api.webhooks.targets import TargetRefusedError, check_url, pinned

logger = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0


class DeliveryLoop:
    """Polls the outbox every ``webhook_poll_seconds`` until :meth:`stop`."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings, self.sessions = settings, sessions
        self.name = f"{socket.gethostname()}:{os.getpid()}:webhooks:{uuid.uuid4().hex[:8]}"
        self.policy = RetryPolicy(base_s=settings.webhook_retry_base_seconds,
                                  window_s=settings.webhook_retry_window_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
        self._pool = ThreadPoolExecutor(settings.webhook_concurrency,
                                        thread_name_prefix="webhook-send")
        # no kept-alive connections: each is made to one checked address for one name
        self._client = httpx.Client(timeout=settings.webhook_timeout_seconds,
                                    follow_redirects=False,
                                    limits=httpx.Limits(max_keepalive_connections=0))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish the sends in flight, then close (unsent rows stay due in the outbox)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._pool.shutdown(wait=True)
        self._client.close()

    def _run(self) -> None:
        pruned_at = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - pruned_at > PRUNE_EVERY_S:
                    pruned_at = time.monotonic()
                    self.prune()
                sent = self.run_once()
            except Exception:  # noqa: BLE001  (a database hiccup: log it, try next round)
                logger.exception("webhook delivery round failed")
                sent = 0
            if not sent:
                self._stop.wait(self.settings.webhook_poll_seconds)

    def prune(self) -> int:
        """Forget ended deliveries older than ``webhook_retention_days``."""
        cutoff = time.time() - self.settings.webhook_retention_days * 86400.0
        with self.sessions() as session:
            return prune(session, older_than=cutoff)

    def run_once(self) -> int:
        """Claim and send the due deliveries; returns how many were attempted."""
        with self.sessions() as session:
            claimed = claim_due(session, owner=self.name,
                                lease_seconds=self.settings.webhook_lease_seconds,
                                limit=4 * self.settings.webhook_concurrency)
        list(self._pool.map(self._send, claimed))
        return len(claimed)

    def _send(self, item: Claimed) -> None:
        at = time.time()
        code: int | None = None
        error: str | None = None
        try:
            address = check_url(item.url, allow_private=self.settings.webhook_allow_private)[0]
            url, host, server_name = pinned(item.url, address)
            body = item.payload.encode()
            signed = headers(item.secret, item.message_id, int(time.time()), body)
            response = self._client.post(url, content=body, headers={**signed, "host": host},
                                         extensions={"sni_hostname": server_name})
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except TargetRefusedError as exc:
            error = f"target refused: {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = (time.time() - at) * 1000.0
        with self.sessions() as session:
            status = record_attempt(session, delivery_id=item.id, owner=self.name, at=at,
                                    duration_ms=duration_ms, status_code=code, error=error,
                                    policy=self.policy)
        logger.info("webhook delivery %s (%s): %s", item.id, item.message_id,
                    status if error is None else f"{status}, {error}")
