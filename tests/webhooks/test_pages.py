"""The admin page for webhooks (/admin/webhooks) over real HTTP: admins only, every form with its CSRF token,
the secret shown once in the POST's own answer (never in a redirect, a cookie or a reload), refusals
re-rendered with the service's reason (in French on a French page) and the values typed, the delivery log with
"Send again", and hostile URL text inert."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Mapping

import httpx
import pytest

from chatsvc.store.webhooks import Webhook, WebhookStore, enqueue_deliveries
from tests.accounts.helpers import api_login, bearer, browser, form_token, signed_in_browser
from tests.support.people import people_on
from tests.support.servers import Backend, InProcessServer, free_port
from tests.webhooks.receiver import Receiver

PAGE = "/admin/webhooks"
PUBLIC_URL = "https://93.184.216.34/chatsvc-hook"  # a public literal: passes the check without DNS
ALL_EVENTS = ["ticket.created", "ticket.updated", "ticket.resolved"]
ONCE = "Copy it now; it will not be shown again."


@pytest.fixture
async def quiet_server(
    sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> AsyncIterator[InProcessServer]:
    # A one-hour worker interval: deliveries a test queues itself are never attempted behind its back.
    async with start_server(sqlite_backend, worker_interval=3600.0) as running:
        yield running


async def _post(client: httpx.AsyncClient, path: str, data: Mapping[str, str | list[str]]) -> httpx.Response:
    """A form post with the token of the page the admin has open."""
    token = form_token((await client.get(PAGE)).text)
    return await client.post(path, data={"csrf": token, **data})


def _form(url: str, events: list[str] | None = None, allow_private: bool = False) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {"url": url, "events": ALL_EVENTS if events is None else events}
    if allow_private:
        form["allow_private"] = "on"
    return form


async def _hook(store: WebhookStore, server: InProcessServer, url: str = PUBLIC_URL) -> Webhook:
    hook, _secret = await store.create(url, ALL_EVENTS, False, server.services.clock())
    return hook


def _checked(text: str, event: str) -> bool:
    return bool(re.search(rf'name="events" value="{re.escape(event)}" checked', text))


async def test_only_admins_see_the_pages(sqlite_server: InProcessServer) -> None:
    people = await people_on(sqlite_server)
    store = sqlite_server.services.webhook_store
    hook = await _hook(store, sqlite_server)
    async with browser(sqlite_server) as anonymous:
        for path in (PAGE, f"{PAGE}/{hook.id}"):
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
        posted = await anonymous.post(PAGE, data={"csrf": "x", **_form(PUBLIC_URL)})
        assert posted.status_code == 303 and posted.headers["location"].startswith("/login")
    for user in (people.agent, people.manager):
        async with signed_in_browser(sqlite_server, user.email) as client:
            for path in (PAGE, f"{PAGE}/{hook.id}"):
                page = await client.get(path)
                assert page.status_code == 403 and "administrators" in page.text, path
            # Their own session's token does not make the forms work either.
            token = form_token((await client.get("/staff")).text)
            created = await client.post(PAGE, data={"csrf": token, **_form(PUBLIC_URL + "/x")})
            assert created.status_code == 403
            deleted = await client.post(f"{PAGE}/{hook.id}/delete", data={"csrf": token, "confirm": "yes"})
            assert deleted.status_code == 403
    assert await store.list() == [hook]
    async with signed_in_browser(sqlite_server, people.admin.email) as client:
        page = await client.get(PAGE)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert 'href="/admin/webhooks" aria-current="page"' in page.text  # the admin tabs name this page
        assert 'action="/admin/webhooks"' in page.text and PUBLIC_URL in page.text
        assert "Ticket created" in page.text and "Enabled" in page.text
        assert hook.secret not in page.text
        # The new form: every event ticked, private targets not allowed, and why.
        assert all(_checked(page.text, event) for event in ALL_EVENTS)
        assert 'name="allow_private">' in page.text and "server-side request forgery" in page.text
        log = await client.get(f"{PAGE}/{hook.id}")
        assert log.status_code == 200 and "Delivery log" in log.text and "Nothing sent yet" in log.text
        assert 'href="/admin/webhooks" aria-current="page"' in log.text
        french = await client.get(PAGE + "?lang=fr")
        assert french.status_code == 200 and "Webhooks enregistrés" in french.text
        assert "Autoriser les adresses privées et internes" in french.text and "Ticket créé" in french.text
        assert "Journal des envois" in (await client.get(f"{PAGE}/{hook.id}?lang=fr")).text
        users = await client.get("/admin/users")
        assert 'href="/admin/webhooks"' in users.text
        assert (await client.get(f"{PAGE}/no-such-webhook")).status_code == 404


async def test_the_secret_is_shown_once_in_the_answer_to_the_form(server: InProcessServer) -> None:
    """On both backends: created through the form, the secret is in that answer only; rotating likewise."""
    people = await people_on(server)
    store = server.services.webhook_store
    async with signed_in_browser(server, people.admin.email) as client:
        created = await _post(client, PAGE, _form(PUBLIC_URL, ["ticket.created", "ticket.resolved"]))
        assert created.status_code == 201, created.text
        [hook] = await store.list()
        assert (hook.url, hook.events, hook.enabled, hook.allow_private) == (
            PUBLIC_URL, ("ticket.created", "ticket.resolved"), True, False)
        assert created.headers["cache-control"] == "no-store"
        assert "location" not in created.headers
        assert hook.secret not in created.headers.get("set-cookie", "")
        assert created.text.count(hook.secret) == 1 and ONCE in created.text
        assert "X-Chatsvc-Signature" in created.text and "X-Chatsvc-Timestamp" in created.text
        assert 'HMAC-SHA256(secret, "{timestamp}.{body}")' in created.text
        assert "The webhook is added." in created.text
        # The new form is fresh again, and the list shows the webhook with readable event names.
        assert f'id="webhook-{hook.id}"' in created.text and "Ticket resolved" in created.text

        reloaded = await client.get(PAGE)
        assert hook.secret not in reloaded.text and ONCE not in reloaded.text
        assert hook.secret not in (await client.get(f"{PAGE}/{hook.id}")).text

        rotated = await _post(client, f"{PAGE}/{hook.id}/secret", {})
        assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
        new_secret = (await store.get(hook.id)).secret
        assert new_secret != hook.secret
        assert rotated.text.count(new_secret) == 1 and hook.secret not in rotated.text and ONCE in rotated.text
        assert "new signing secret" in rotated.text
        assert new_secret not in (await client.get(PAGE)).text
        assert (await _post(client, f"{PAGE}/no-such-webhook/secret", {})).status_code == 404


async def test_refused_urls_re_render_the_form_with_the_reason(quiet_server: InProcessServer) -> None:
    people = await people_on(quiet_server)
    store = quiet_server.services.webhook_store
    async with signed_in_browser(quiet_server, people.admin.email) as client:
        for url, why in (
            ("http://127.0.0.1:6379/", "non-public address"),
            ("http://169.254.169.254/latest/meta-data/", "non-public address"),
            ("http://2130706433/", "non-public address"),
            ("ftp://93.184.216.34/", "must start with http:// or https://"),
            ("https://user:pw@93.184.216.34/", "user name or password"),
            ("https://no-such-host.invalid/hook", "does not resolve to any address"),
        ):
            refused = await _post(client, PAGE, _form(url, ["ticket.resolved"]))
            assert refused.status_code == 400, (url, refused.text)
            assert why in refused.text and 'role="alert"' in refused.text, url
            assert f'name="url" value="{url}"' in refused.text, url  # what was typed is still there
            assert _checked(refused.text, "ticket.resolved") and not _checked(refused.text, "ticket.created")
            assert ONCE not in refused.text
        blocked = await _post(client, PAGE, _form("http://10.0.0.5/hook"))
        assert "tick “Allow private and internal addresses”" in blocked.text
        no_event = await _post(client, PAGE, _form(PUBLIC_URL, []))
        assert no_event.status_code == 400 and "at least one event" in no_event.text
        assert not any(_checked(no_event.text, event) for event in ALL_EVENTS)
        forged = await _post(client, PAGE, _form(PUBLIC_URL, ["ticket.deleted"]))
        assert forged.status_code == 400 and "Unknown webhook event" in forged.text
        french = await client.post(PAGE + "?lang=fr", data={
            "csrf": form_token((await client.get(PAGE)).text), **_form("http://127.0.0.1/", allow_private=False)})
        assert french.status_code == 400 and "adresse privée, de bouclage" in french.text
        assert "cochez «\u00a0Autoriser les adresses privées et internes\u00a0»" in french.text
        french_url = await client.post(PAGE + "?lang=fr", data={
            "csrf": form_token((await client.get(PAGE)).text), **_form("ftp://93.184.216.34/")})
        assert "L&#39;URL du webhook doit commencer par http:// ou https://." in french_url.text
        assert await store.list() == []
        await client.get(PAGE + "?lang=en")  # the language is remembered: back to English

        # The admin's explicit choice: the same private URL with the box ticked is accepted.
        allowed = await _post(client, PAGE, _form("http://127.0.0.1:6379/", allow_private=True))
        assert allowed.status_code == 201
        [hook] = await store.list()
        assert hook.allow_private is True and "Private targets allowed" in allowed.text


async def test_enable_disable_edit_and_delete(quiet_server: InProcessServer) -> None:
    people = await people_on(quiet_server)
    store = quiet_server.services.webhook_store
    hook = await _hook(store, quiet_server)
    other = await _hook(store, quiet_server, PUBLIC_URL + "/other")
    async with signed_in_browser(quiet_server, people.admin.email) as client:
        disabled = await _post(client, f"{PAGE}/{hook.id}", {"action": "disable"})
        assert disabled.status_code == 303
        assert disabled.headers["location"] == f"{PAGE}?done=webhook_disabled#webhook-{hook.id}"
        assert (await store.get(hook.id)).enabled is False
        page = await client.get(disabled.headers["location"])
        assert "The webhook is disabled" in page.text
        assert f'id="webhook-{hook.id}" class="is-disabled"' in page.text and ">Disabled<" in page.text
        enabled = await _post(client, f"{PAGE}/{hook.id}", {"action": "enable"})
        assert enabled.status_code == 303 and (await store.get(hook.id)).enabled is True

        edited = await _post(client, f"{PAGE}/{hook.id}", {"action": "save", **_form(
            PUBLIC_URL + "/v2", ["ticket.resolved"])})
        assert edited.status_code == 303 and edited.headers["location"].startswith(f"{PAGE}?done=webhook_updated")
        saved = await store.get(hook.id)
        assert (saved.url, saved.events, saved.allow_private, saved.secret) == (
            PUBLIC_URL + "/v2", ("ticket.resolved",), False, hook.secret)

        # A private URL needs the box ticked in the same form; refused, the edit form stays open as typed.
        refused = await _post(client, f"{PAGE}/{hook.id}", {"action": "save", **_form(
            "http://192.168.1.10/hook", ["ticket.updated"])})
        assert refused.status_code == 400 and "non-public address" in refused.text
        assert re.search(rf'id="webhook-{hook.id}">.*?<details class="popover wh-edit" open>', refused.text, re.DOTALL)
        assert 'value="http://192.168.1.10/hook"' in refused.text
        assert await store.get(hook.id) == saved
        allowed = await _post(client, f"{PAGE}/{hook.id}", {"action": "save", **_form(
            "http://192.168.1.10/hook", ["ticket.updated"], allow_private=True)})
        assert allowed.status_code == 303
        assert (await store.get(hook.id)).allow_private is True
        # Withdrawing the permission while the URL is private is refused too.
        withdrawn = await _post(client, f"{PAGE}/{hook.id}", {"action": "save", **_form(
            "http://192.168.1.10/hook", ["ticket.updated"])})
        assert withdrawn.status_code == 400 and (await store.get(hook.id)).allow_private is True
        unknown = await _post(client, f"{PAGE}/{hook.id}", {"action": "explode"})
        assert unknown.status_code == 400 and "Unknown action." in unknown.text

        # Delete asks for the box "yes, delete" (no script needed); without it nothing is deleted.
        unconfirmed = await _post(client, f"{PAGE}/{hook.id}/delete", {})
        assert unconfirmed.status_code == 400 and "Tick the box to confirm the deletion" in unconfirmed.text
        assert re.search(rf'id="webhook-{hook.id}">.*?<details class="popover wh-delete" open>', unconfirmed.text,
                         re.DOTALL)
        assert len(await store.list()) == 2
        deleted = await _post(client, f"{PAGE}/{hook.id}/delete", {"confirm": "yes"})
        assert deleted.status_code == 303 and deleted.headers["location"] == f"{PAGE}?done=webhook_deleted"
        assert await store.list() == [other]
        assert "The webhook and its delivery log are deleted." in (await client.get(deleted.headers["location"])).text
        for path, data in (
            (f"{PAGE}/{hook.id}/delete", {"confirm": "yes"}),
            (f"{PAGE}/{hook.id}", {"action": "disable"}),
            (f"{PAGE}/{hook.id}/secret", {}),
        ):
            assert (await _post(client, path, data)).status_code == 404, path
        assert (await client.get(f"{PAGE}/{hook.id}")).status_code == 404


async def test_forms_refuse_a_missing_or_empty_csrf_token(quiet_server: InProcessServer) -> None:
    people = await people_on(quiet_server)
    services = quiet_server.services
    store = services.webhook_store
    hook = await _hook(store, quiet_server)
    delivery_id = await _failed_delivery(quiet_server, hook)
    posts: list[tuple[str, dict[str, str | list[str]]]] = [
        (PAGE, _form(PUBLIC_URL + "/forged")),
        (f"{PAGE}/{hook.id}", {"action": "disable"}),
        (f"{PAGE}/{hook.id}", {"action": "save", **_form(PUBLIC_URL + "/forged", ["ticket.updated"])}),
        (f"{PAGE}/{hook.id}/secret", {}),
        (f"{PAGE}/{hook.id}/delete", {"confirm": "yes"}),
        (f"{PAGE}/{hook.id}/deliveries/{delivery_id}/retry", {}),
    ]
    async with signed_in_browser(quiet_server, people.admin.email) as client:
        for path, data in posts:
            for token in (None, "", "wrong"):
                body = data if token is None else {"csrf": token, **data}
                response = await client.post(path, data=body)
                assert response.status_code == 403 and "csrf_failed" in response.text, (path, token)
                assert hook.secret not in response.text
    assert await store.list() == [hook]  # same URL, events, enabled and secret
    [delivery] = await store.deliveries(hook.id)
    assert (delivery.id, delivery.status) == (delivery_id, "failed")


async def _failed_delivery(server: InProcessServer, hook: Webhook) -> str:
    """A delivery of ``hook`` already failed (queued, claimed and marked here, the worker being idle)."""
    services = server.services
    async with services.db.begin() as conn:
        [delivery_id] = await enqueue_deliveries(conn, event="ticket.created", ticket_id="T1",
                                                 payload={"subject": "Hello"}, now=services.clock())
    [claimed] = await services.webhook_store.claim_due(services.clock(), 60, 10)
    assert await services.webhook_store.mark_failed(claimed, last_status=503, last_error="HTTP 503")
    return delivery_id


async def test_the_delivery_log_and_send_again(
    sqlite_backend: Backend, start_server: Callable[..., InProcessServer]
) -> None:
    """A ticket created through the API queues a delivery; it fails, shows in the log, and "Send again" queues
    it anew. The webhook first points at a closed port of 127.0.0.1 (allowed private on purpose, through the
    form): the connection is refused at once, and with ``max_attempts=1`` the delivery is failed after that
    one attempt, without waiting for a timeout and without any traffic leaving the machine (an unreachable
    public address would hang until the timeout, or not, depending on the network). Then the URL is edited
    to a real receiver and the delivery sent again arrives."""
    closed = f"http://127.0.0.1:{free_port()}/hook"
    async with start_server(sqlite_backend, max_attempts=1, worker_interval=0.2, retry_base_seconds=0.1) as server:
        people = await people_on(server)
        store = server.services.webhook_store
        token = (await api_login(server, people.admin.email)).json()["token"]
        async with signed_in_browser(server, people.admin.email) as client:
            created = await _post(client, PAGE, _form(closed, allow_private=True))
            assert created.status_code == 201
            [hook] = await store.list()
            async with httpx.AsyncClient(base_url=server.url, headers=bearer(token), timeout=10) as api:
                ticket = await api.post("/api/tickets", json={
                    "site": "default", "subject": "Where is my order?", "message": "It has not arrived.",
                    "requester": {"email": "v@example.com"},
                })
            assert ticket.status_code == 201, ticket.text
            ticket_id = ticket.json()["ticket"]["id"]
            failed = await _wait_for(store, hook.id, "failed")
            assert failed.ticket_id == ticket_id and failed.event == "ticket.created"

            log = await client.get(f"{PAGE}/{hook.id}")
            assert log.status_code == 200
            row = _row(log.text, failed.id)
            assert "Ticket created" in row and f'href="/tickets/{ticket_id}"' in row
            assert ">Failed<" in row and failed.last_error and failed.last_error.split(":")[0] in row
            assert f'action="/admin/webhooks/{hook.id}/deliveries/{failed.id}/retry"' in row
            assert "Send again" in row

            async with Receiver().running() as receiver:
                edited = await _post(client, f"{PAGE}/{hook.id}", {"action": "save", **_form(
                    receiver.url + "/in", ALL_EVENTS, allow_private=True)})
                assert edited.status_code == 303
                again = await _post(client, f"{PAGE}/{hook.id}/deliveries/{failed.id}/retry", {})
                assert again.status_code == 303
                assert again.headers["location"] == (
                    f"{PAGE}/{hook.id}?done=webhook_redelivered#delivery-{failed.id}")
                delivered = await _wait_for(store, hook.id, "delivered")
                assert delivered.id == failed.id and delivered.last_status == 200
                [got] = receiver.requests
                assert got.headers["x-chatsvc-delivery"] == failed.id
            log = await client.get(again.headers["location"])
            assert "The delivery is queued again" in log.text
            row = _row(log.text, failed.id)
            assert ">Delivered<" in row and "200" in row and "Send again" not in row
            # Only a failed delivery can be sent again; the answer says so on the log page.
            refused = await _post(client, f"{PAGE}/{hook.id}/deliveries/{failed.id}/retry", {})
            assert refused.status_code == 409 and "Only a failed delivery can be sent again" in refused.text
            french = await client.post(f"{PAGE}/{hook.id}/deliveries/{failed.id}/retry?lang=fr",
                                       data={"csrf": form_token((await client.get(PAGE)).text)})
            assert french.status_code == 409 and "Seul un envoi échoué peut être renvoyé" in french.text
            # A delivery is sent again only from its own webhook's log.
            other = await _hook(store, server, PUBLIC_URL)
            assert (await _post(client, f"{PAGE}/{other.id}/deliveries/{failed.id}/retry", {})).status_code == 404
            assert (await _post(client, f"{PAGE}/{hook.id}/deliveries/nope/retry", {})).status_code == 404


def _row(text: str, delivery_id: str) -> str:
    found = re.search(rf'<tr id="delivery-{re.escape(delivery_id)}">(.*?)</tr>', text, re.DOTALL)
    assert found, "no row for the delivery"
    return found.group(1)


async def _wait_for(store: WebhookStore, hook_id: str, status: str):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(10):
        while True:
            deliveries = await store.deliveries(hook_id)
            if deliveries and all(d.status == status for d in deliveries):
                return deliveries[-1]  # the first one queued (ticket.created)
            await asyncio.sleep(0.05)


async def test_hostile_url_text_is_inert(quiet_server: InProcessServer) -> None:
    people = await people_on(quiet_server)
    store = quiet_server.services.webhook_store
    hostile = 'https://x.example/"><svg/onload=alert(1)>'
    async with signed_in_browser(quiet_server, people.admin.email) as client:
        # Valid as a URL; its host is not looked up because private targets are allowed.
        created = await _post(client, PAGE, _form(hostile, allow_private=True))
        assert created.status_code == 201, created.text
        [hook] = await store.list()
        assert hook.url == hostile
        await _failed_delivery(quiet_server, hook)
        spaced = await _post(client, PAGE, _form('https://x.example/"><svg onload=alert(1)>'))
        assert spaced.status_code == 400
        for page in (created, await client.get(PAGE), await client.get(f"{PAGE}/{hook.id}"), spaced):
            assert "<svg" not in page.text and "onload=alert(1)>" not in page.text
            assert "&#34;&gt;&lt;svg" in page.text
            assert "unsafe-inline" not in page.headers["content-security-policy"]
