"""Prometheus metrics of one node, in the app's own registry, and the ``/metrics`` endpoint.

``create_app`` makes one ``Metrics`` per app (no module-level registry: two apps in one
process, as in the tests, count apart). It implements ``signaling.metrics.SignalingMetrics``
for the socket edge and has counters the HTTP edge and the purge call. Gauges of what is
open now (sockets, calls, waiting people, echo checks) are read at scrape time from the
objects that hold them, so the hot paths pay nothing for them.

Labels are event names, roles, error codes and table names only: nothing that could
name or link a person. Feedback answers are one bare counter.

``/metrics`` answers only to the configured addresses (``METRICS_ALLOW``, default the
loopback) or to a request with ``Authorization: Bearer <METRICS_TOKEN>``.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from signaling.peers import PeerIndex

__all__ = ["Metrics", "metrics_handler", "allowed_networks"]

_NS = "videoberatung"
# Set-up and admission: from well under a second to the waiting room's patience (15 min).
_SETUP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
_ADMISSION_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


class _Live(Collector):
    """Gauges read at scrape time: this node's sockets, calls, waiting people, echo checks."""

    def __init__(self, peers: Callable[[], PeerIndex | None], echo_running: Callable[[], int]) -> None:
        self._peers = peers
        self._echo_running = echo_running

    def collect(self) -> Iterator[GaugeMetricFamily]:
        index = self._peers()
        by_role = {"dashboard": 0, "caseworker": 0, "recipient": 0}
        waiting: set[str] = set()
        calls = 0
        if index is not None:
            for peer in list(index.by_sid.values()):
                by_role[peer.role] = by_role.get(peer.role, 0) + 1
                # A waiting page may stay open a moment after its admission: not once in the call.
                if peer.waiting and peer.participant_id and peer.session_id:
                    if not index.in_call(peer.session_id, peer.participant_id):
                        waiting.add(peer.participant_id)
            calls = len(index.calls)
        sockets = GaugeMetricFamily(f"{_NS}_sockets", "Open socket.io connections on this node", labels=["role"])
        for role, count in sorted(by_role.items()):
            sockets.add_metric([role], count)
        yield sockets
        yield GaugeMetricFamily(
            f"{_NS}_calls_in_progress", "Calls with at least one participant connected to this node", value=calls
        )
        yield GaugeMetricFamily(
            f"{_NS}_people_waiting", "Recipients waiting with a page open on this node", value=len(waiting)
        )
        yield GaugeMetricFamily(
            f"{_NS}_echo_checks_running", "Pre-call echo checks running on this node", value=self._echo_running()
        )

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []


class Metrics:
    """Every metric of one app; implements ``SignalingMetrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_relayed = Counter(f"{_NS}_events_relayed", "Signalling messages relayed", ["event"], registry=r)
        self.events_refused = Counter(
            f"{_NS}_events_refused", "Signalling events refused, by error code", ["code"], registry=r
        )
        self.setup_seconds = Histogram(
            f"{_NS}_call_setup_seconds",
            "From a relayed offer to the answer relayed next in the same call (set-up, and each renegotiation)",
            buckets=_SETUP_BUCKETS,
            registry=r,
        )
        self.admission_seconds = Histogram(
            f"{_NS}_admission_wait_seconds",
            "How long admitted recipients waited",
            buckets=_ADMISSION_BUCKETS,
            registry=r,
        )
        self.echo_checks_refused = Counter(
            f"{_NS}_echo_checks_refused", "Pre-call echo checks refused (node at its limit)", registry=r
        )
        self.logins_failed = Counter(f"{_NS}_logins_failed", "Failed logins", registry=r)
        self.logins_throttled = Counter(f"{_NS}_logins_throttled", "Logins refused while throttled", registry=r)
        self.purge_runs = Counter(f"{_NS}_purge_runs", "Retention purges run by this node", registry=r)
        self.purge_skipped = Counter(
            f"{_NS}_purge_skipped", "Purge rounds left to another node (it holds the lock)", registry=r
        )
        self.purge_rows = Counter(f"{_NS}_purge_rows", "Rows deleted by the purge", ["kind"], registry=r)
        self.feedback_answers = Counter(
            f"{_NS}_feedback_answers_moved", "Feedback answers and ratings moved into the results", registry=r
        )
        self._relayed: dict[str, Counter] = {}
        self._peers: Callable[[], PeerIndex | None] = lambda: None
        self._echo_running: Callable[[], int] = lambda: 0
        r.register(_Live(lambda: self._peers(), lambda: self._echo_running()))

    def watch(self, peers: PeerIndex, echo_running: Callable[[], int]) -> None:
        """What the live gauges read (given by the composition root once they exist)."""
        self._peers = lambda: peers
        self._echo_running = echo_running

    # SignalingMetrics
    def relayed(self, event: str) -> None:
        # Called for every relayed message: the labelled child is looked up once per
        # event name (the relay sends four names only), not built on every call.
        child = self._relayed.get(event)
        if child is None:
            child = self._relayed[event] = self.events_relayed.labels(event)
        child.inc()

    def refused(self, code: str) -> None:
        self.events_refused.labels(code).inc()

    def call_set_up(self, seconds: float) -> None:
        self.setup_seconds.observe(seconds)

    def admitted(self, waited_seconds: float) -> None:
        self.admission_seconds.observe(waited_seconds)

    def echo_refused(self) -> None:
        self.echo_checks_refused.inc()

    # The purge
    def purged(self, deleted: dict[str, int]) -> None:
        self.purge_runs.inc()
        for kind, count in deleted.items():
            self.purge_rows.labels(kind).inc(count)

    def purge_left_to_another_node(self) -> None:
        self.purge_skipped.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``127.0.0.1``, ``10.0.0.0/8``, ``::1``: raises ``ValueError`` for anything else."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def metrics_handler(
    metrics: Metrics, networks: tuple[Network, ...], token: str | None
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The ``/metrics`` handler: 404 (as if absent) unless the address or the token is allowed."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if not _allowed(request, networks, token):
            raise web.HTTPNotFound()
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    return handler


def _allowed(request: web.Request, networks: tuple[Network, ...], token: str | None) -> bool:
    if token:
        sent = request.headers.get("Authorization", "")
        if sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode()):
            return True
    try:
        remote = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    return any(remote in net for net in networks)
