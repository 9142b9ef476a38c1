"""Server-rendered pages (home, sign-in, password change). Filled in by the accounts/pages work."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
