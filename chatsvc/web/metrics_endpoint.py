"""``GET /metrics``: Prometheus text format, behind a bearer token (``CHATSVC_METRICS_TOKEN``).

Every scrape reads its values first (a few indexed counts, this process's counters) and builds a fresh registry
from them: nothing global to keep in step, and two scrapes never share state. The token is compared in constant
time and only from the ``Authorization`` header: a token in the query string would reach access logs and
proxies' logs, so it is not looked at. Without a token configured the route does not exist (404).
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from chatsvc.services.live_stats import CONNECTION_ROLES, MESSAGE_AUTHORS, MetricsFigures
from chatsvc.web.edge import client_address, services_of
from chatsvc.web.ratelimit import FailureWindow

_NO_STORE = {"Cache-Control": "no-store"}
# The classic text format every Prometheus reads (what prometheus-client itself serves without an Accept header);
# newer clients' default names 1.0.0, which older servers refuse. Our names need nothing newer.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Scrape(Collector):
    """The families of one scrape, already computed."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def families(figures: MetricsFigures) -> list[Metric]:
    queue = figures.queue
    waiting = GaugeMetricFamily("chatsvc_queue_waiting", "Conversations waiting in the queue for a person.")
    waiting.add_metric([], queue.counts.waiting)
    oldest = GaugeMetricFamily(
        "chatsvc_queue_oldest_wait_seconds", "How long the longest-waiting conversation has waited (0: none)."
    )
    oldest.add_metric([], figures.oldest_wait_seconds)
    estimate = GaugeMetricFamily(
        "chatsvc_queue_estimated_wait_seconds",
        "Estimated wait for a new visitor in the general queue (NaN: no agent online to serve it).",
    )
    estimate.add_metric(
        [], math.nan if queue.estimated_wait_seconds is None else float(queue.estimated_wait_seconds)
    )
    in_progress = GaugeMetricFamily(
        "chatsvc_conversations_in_progress", "Open conversations: with the bot, or assigned to a person.",
        labels=["state"],
    )
    in_progress.add_metric(["bot"], queue.counts.bot)
    in_progress.add_metric(["assigned"], queue.counts.in_progress)
    agents = GaugeMetricFamily(
        "chatsvc_agents", "Agents (and connected managers and admins) by status, across every server process.",
        labels=["status"],
    )
    for status in ("online", "away", "offline"):
        agents.add_metric([status], sum(1 for agent in queue.agents if agent.status == status))
    connections = GaugeMetricFamily(
        "chatsvc_connections", "Authenticated WebSockets open on this process.", labels=["role"]
    )
    for role in CONNECTION_ROLES:
        connections.add_metric([role], figures.connections.get(role, 0))
    messages = CounterMetricFamily(
        "chatsvc_messages", "Messages committed by this process since it started, by author.", labels=["author"]
    )
    for author in MESSAGE_AUTHORS:
        messages.add_metric([author], figures.messages.get(author, 0))
    deflections = CounterMetricFamily("chatsvc_deflections", "Conversations resolved by the bot, all time.")
    deflections.add_metric([], figures.totals.deflections)
    breached = GaugeMetricFamily(
        "chatsvc_tickets_sla_breached", "Tickets whose first-response or resolution target passed unmet, all time."
    )
    breached.add_metric([], figures.totals.tickets_sla_breached)
    tickets_open = GaugeMetricFamily("chatsvc_tickets_open", "Tickets new, open or pending.")
    tickets_open.add_metric([], figures.totals.tickets_open)
    return [waiting, oldest, estimate, in_progress, agents, connections, messages, deflections, breached, tickets_open]


# Wrong tokens one address may send within the sign-in window before it is refused for a while (SECURITY case 5):
# generous for a scraper being set up, far too few to guess a random token.
MAX_FAILURES = 20


def _failures(request: Request) -> FailureWindow:
    """The per-address window, kept on the app and made on first use (tests may put a smaller one there)."""
    state = request.app.state
    found = getattr(state, "metrics_failures", None)
    if found is None:
        found = FailureWindow(MAX_FAILURES, services_of(request).settings.login_window)
        state.metrics_failures = found
    return found  # type: ignore[no-any-return]


def _authorized(request: Request, expected: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        given = ""
    # Both sides as bytes: compare_digest on str refuses non-ASCII, and a header is whatever a client sent.
    return hmac.compare_digest(given.strip().encode(), expected.encode())


async def metrics(request: Request) -> Response:
    services = services_of(request)
    expected = services.settings.metrics_token
    if not expected:
        return PlainTextResponse("Not Found", status_code=404, headers=_NO_STORE)
    failures, address = _failures(request), client_address(request)
    wait = failures.blocked(address)
    if wait > 0:  # the right token too: a guesser learns nothing more once refused
        return PlainTextResponse(
            "Too Many Requests", status_code=429, headers={**_NO_STORE, "Retry-After": str(math.ceil(wait))}
        )
    if not _authorized(request, expected):
        failures.record(address)
        return PlainTextResponse(
            "Unauthorized", status_code=401, headers={**_NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(families(await services.live_stats.metrics())))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE, headers=_NO_STORE)


routes = [Route("/metrics", metrics, methods=["GET"])]
