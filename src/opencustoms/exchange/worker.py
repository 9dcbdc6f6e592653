"""The delivery worker: claims due messages from the outbox, signs each afresh, posts them
to the receiving partner's node (`POST {url}/exchange/v1/messages`), and records each
outcome (`delivery.attempted`).

It holds no transaction across the HTTP call: a claim is a lease in the outbox, so a
worker that dies mid-delivery only delays its messages until the lease runs out, when
another worker delivers them again — the receiver keeps a message once, so a second
delivery is acknowledged as a duplicate, never applied twice. Several workers can
share one PostgreSQL database.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx2

from opencustoms.exchange.delivery import RetryPolicy, attempted
from opencustoms.exchange.envelope import Envelope
from opencustoms.exchange.outbox import Outgoing
from opencustoms.exchange.partners import Partner
from opencustoms.exchange.ports import OutboxUnitOfWork
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import DomainError
from opencustoms.kernel.ids import new_id
from opencustoms.observability import logger

KEPT = frozenset({"received", "duplicate", "held"})  # the receiver has it: delivered
MAX_POST_BYTES = 4_000_000  # the receiving node takes up to 16 MB; stay well below
MAX_POST_MESSAGES = 100  # as `receiving.MAX_BATCH`

log = logger("opencustoms.exchange.worker")

# one attempt's outcome for one message: delivered, refused for good, what went wrong
Result = tuple[bool, bool, str | None]


class DeliveryWorker:
    def __init__(
        self,
        uow: Callable[[], OutboxUnitOfWork],
        clock: Clock,
        sign: Callable[[Envelope], str],
        client: httpx2.Client,
        policy: RetryPolicy | None = None,
        batch: int = 200,
        lease: timedelta = timedelta(seconds=60),
        draw: Callable[[], float] = random.random,
        ids: Callable[[str], str] = new_id,
        tick: Callable[[], object] | None = None,
        tick_every: float = 5.0,
        wait: Callable[[float], None] | None = None,
    ) -> None:
        # between rounds with nothing due: a wait that a new message ends (PostgreSQL's
        # LISTEN), or a plain poll
        self._wait = wait
        self._tick = tick  # the node's timers (gaps to pull, overdue verifications)
        self._tick_every = tick_every
        self._uow = uow
        self._clock = clock
        self._sign = sign
        self._client = client
        self._policy = policy or RetryPolicy()
        self._batch = batch
        self._lease = lease
        self._draw = draw
        self._ids = ids

    def run_once(self) -> int:
        """Attempt every message due now (up to the batch); how many were attempted."""
        claim = self._ids("claim")
        now = self._clock.now()
        with self._uow() as uow:
            claimed = uow.outbox.claim(now, now + self._lease, claim, self._batch)
            partners = {p.node: p for p in uow.partners.all(active_only=True)} if claimed else {}
            uow.commit()
        by_receiver: dict[str, list[Outgoing]] = defaultdict(list)
        for outgoing in claimed:
            by_receiver[outgoing.envelope.receiver].append(outgoing)
        for receiver, messages in by_receiver.items():
            results = self._deliver(receiver, partners.get(receiver), messages)
            at = self._clock.now()
            after = [
                attempted(
                    outgoing,
                    at,
                    self._policy,
                    self._draw(),
                    delivered=delivered,
                    final=final,
                    error=error,
                )
                for outgoing, (delivered, final, error) in zip(messages, results, strict=True)
            ]
            with self._uow() as uow:
                held = uow.outbox.settle_many(after, claim)
                uow.commit()
            if held != len(after):  # a lease ran out: another worker has those now
                log.warning("leases_lost", receiver=receiver, lost=len(after) - held)
        return len(claimed)

    def run(self, stop: threading.Event, idle: float = 0.05) -> None:
        """Deliver until `stop` is set; between rounds with nothing due, wait `idle` seconds."""
        failures = 0
        ticked = 0.0
        while not stop.is_set():
            try:
                if self._tick is not None and time.monotonic() - ticked >= self._tick_every:
                    ticked = time.monotonic()
                    self._tick()
                attempted_now = self.run_once()
                failures = 0
            except Exception as exc:  # the database away, say: log, back off, go on
                failures += 1
                log.error("delivery_round_failed", exc_info=exc)
                stop.wait(min(30.0, idle * 2**failures))
                continue
            if not attempted_now:
                if self._wait is not None:
                    self._wait(max(idle, 0.5))  # woken by a new message; retries polled
                else:
                    stop.wait(idle)

    def _deliver(
        self, receiver: str, partner: Partner | None, messages: Sequence[Outgoing]
    ) -> list[Result]:
        if partner is None:
            return [(False, False, f"{receiver} is not an active partner of this node")] * len(
                messages
            )
        try:
            tokens = [self._sign(o.envelope) for o in messages]
        except DomainError as e:
            return [(False, False, e.findings[0].render())] * len(messages)
        results: list[Result] = []
        for chunk in _chunks(tokens):
            results += self._post(partner, chunk)
        return results

    def _post(self, partner: Partner, tokens: Sequence[str]) -> list[Result]:
        url = f"{partner.url.rstrip('/')}/exchange/v1/messages"
        try:
            response = self._client.post(
                url, json={"messages": list(tokens)}, headers={"Accept-Language": "en"}
            )
        except httpx2.HTTPError as exc:
            return [(False, False, f"{url}: {type(exc).__name__}: {exc}"[:500])] * len(tokens)
        if response.status_code != 200:
            error = f"{url}: HTTP {response.status_code}: {response.text[:300]}"
            return [(False, False, error)] * len(tokens)
        try:
            answers = response.json()["results"]
            if not isinstance(answers, list) or len(answers) != len(tokens):
                raise ValueError("one answer per message")
            return [_result(a) for a in answers]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return [(False, False, f"{url}: an answer this node cannot read ({exc})")] * len(tokens)


def _result(answer: Any) -> Result:
    outcome = answer["outcome"]
    if outcome in KEPT:
        return (True, False, None)
    reasons = "; ".join(str(r.get("message", r)) for r in answer.get("reasons") or [])
    return (False, answer.get("final") is True, reasons or str(outcome))


def _chunks(tokens: Sequence[str]) -> list[list[str]]:
    """The tokens in posts of at most MAX_POST_MESSAGES and about MAX_POST_BYTES."""
    chunks: list[list[str]] = [[]]
    size = 0
    for token in tokens:
        if chunks[-1] and (
            len(chunks[-1]) >= MAX_POST_MESSAGES or size + len(token) > MAX_POST_BYTES
        ):
            chunks.append([])
            size = 0
        chunks[-1].append(token)
        size += len(token)
    return chunks
