"""``GET /healthz``: 200 when storage and broker answer, 503 otherwise; 503 ``draining`` at once on SIGTERM."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatsvc import __version__
from chatsvc.web.edge import services_of


async def healthz(request: Request) -> Response:
    if request.app.state.drain.active:  # shutting down: a load balancer stops sending here
        return JSONResponse({"status": "draining", "version": __version__}, status_code=503)
    services = services_of(request)
    checks = await services.health()
    ok = all(checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        "version": __version__,
        "database": "ok" if checks["database"] else "down",
        "broker": services.broker.name + (" ok" if checks["broker"] else " down"),
        "connections": sum(request.app.state.address_counter.counts.values()),  # open sockets here
    }
    return JSONResponse(body, status_code=200 if ok else 503)


routes = [Route("/healthz", healthz, methods=["GET"])]
