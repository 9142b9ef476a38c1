"""The ASGI application: routes, middleware, error mapping, and the services' lifecycle."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles

from chatsvc.errors import ChatError
from chatsvc.services.clock import Clock, utcnow
from chatsvc.services.container import Services
from chatsvc.settings import Settings
from chatsvc.web import (
    admin_api,
    auth_api,
    console_pages,
    conversations_api,
    health,
    kb_api,
    kb_pages,
    manager_pages,
    metrics_endpoint,
    pages,
    replies_api,
    replies_pages,
    ticket_admin_api,
    ticket_admin_pages,
    ticket_pages,
    tickets_api,
    visitor_api,
    visitor_tickets,
    webhook_pages,
    webhooks_api,
    widget_api,
    widget_script,
)
from chatsvc.web.drain import Drain
from chatsvc.web.errors import chat_error_handler, http_error_handler, server_error_handler
from chatsvc.web.ratelimit import AddressCounter, FailureWindow
from chatsvc.web.security import SecurityHeaders
from chatsvc.web.ws_agent import agent_endpoint
from chatsvc.web.ws_manager import manager_endpoint
from chatsvc.web.ws_visitor import visitor_endpoint

STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None, *, clock: Clock = utcnow) -> Starlette:
    settings = settings or Settings.from_env()
    services = Services(settings, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    routes = [
        *health.routes,
        *metrics_endpoint.routes,
        *auth_api.routes,
        *visitor_api.routes,
        *visitor_tickets.routes,
        *widget_api.routes,
        *widget_script.routes,
        *conversations_api.routes,
        *admin_api.routes,
        *ticket_admin_api.routes,
        *ticket_admin_pages.routes,
        *kb_api.routes,
        *kb_pages.routes,
        *replies_api.routes,
        *webhooks_api.routes,
        *webhook_pages.routes,
        *tickets_api.routes,
        *pages.routes,
        *replies_pages.routes,
        *ticket_pages.routes,
        *console_pages.routes,
        *manager_pages.routes,
        WebSocketRoute("/ws/visitor", visitor_endpoint),
        WebSocketRoute("/ws/agent", agent_endpoint),
        WebSocketRoute("/ws/manager", manager_endpoint),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            ChatError: chat_error_handler,
            HTTPException: http_error_handler,
            Exception: server_error_handler,
        },
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.widget_script = widget_script.WidgetScript.load()
    app.state.drain = Drain()  # SIGTERM: healthz 503, sockets closed 1012 (chatsvc.server)
    app.state.address_counter = AddressCounter(settings.max_connections_per_address)
    app.state.login_failures = FailureWindow(settings.login_attempts, settings.login_window)
    return app
