"""Helpers for the replies tests: API clients signed in as someone, and a sample menu."""

from __future__ import annotations

from typing import Any

import httpx

from chatsvc.store import records
from tests.accounts.helpers import api_login, bearer
from tests.support.servers import InProcessServer


async def api_client(server: InProcessServer, user: records.User) -> httpx.AsyncClient:
    """A bearer-authenticated client (no CSRF header needed: a browser never adds that header by itself)."""
    token = (await api_login(server, user.email)).json()["token"]
    return httpx.AsyncClient(base_url=server.url, headers=bearer(token), timeout=10)


def sample_menu() -> list[dict[str, Any]]:
    """Billing (a sub-menu: an answer, and a sub-sub-menu with a topic and a person), Technical problem (a
    topic), Talk to a person."""
    return [
        {"id": "billing", "label": "Billing", "label_fr": "Facturation", "action": "menu"},
        {"id": "invoice", "parent": "billing", "label": "Where is my invoice?", "action": "answer",
         "payload": "Invoices are under Account > Invoices."},
        {"id": "refunds", "parent": "billing", "label": "Refunds", "label_fr": "Remboursements", "action": "menu"},
        {"id": "refund-team", "parent": "refunds", "label": "Ask the billing team", "action": "topic",
         "payload": "billing"},
        {"id": "refund-person", "parent": "refunds", "label": "Someone else", "action": "human"},
        {"id": "tech", "label": "Technical problem", "label_fr": "Problème technique", "action": "topic",
         "payload": "technical"},
        {"id": "person", "label": "Talk to a person", "label_fr": "Parler à un conseiller", "action": "human"},
    ]
