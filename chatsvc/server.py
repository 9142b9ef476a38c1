"""Running the app under uvicorn with the WebSocket bounds from settings."""

from __future__ import annotations

import uvicorn

from chatsvc.app import create_app
from chatsvc.logs import configure, setup
from chatsvc.settings import Settings


def served_url(host: str, port: int) -> str:
    """This process's own address, for links in mail when no public URL is configured."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def uvicorn_config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    setup(settings.log_level)  # before the services are built: their start-up warnings are log lines too
    app = create_app(settings)
    app.state.services.tickets.served_url = served_url(host, port)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=configure(settings.log_level),
        ws="websockets-sansio",
        ws_max_size=settings.max_frame_bytes,  # larger frames close with 1009 before we read them
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        ws_per_message_deflate=False,  # no compression: no decompression bombs, less CPU per message
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


def serve(settings: Settings, host: str, port: int) -> None:
    uvicorn.Server(uvicorn_config(settings, host, port)).run()
