"""Admin JSON API for sites, teams and users. Filled in by the accounts/pages work."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
