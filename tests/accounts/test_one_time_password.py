"""The first admin's one-time password file goes away once that admin has another password, and the sign-in
page stops pointing to it."""

from __future__ import annotations

import httpx

from tests.accounts.helpers import form_token, sign_in_form
from tests.support.servers import STAFF_PASSWORD, Backend

HINT = "initial-admin-password.txt"


async def test_changing_the_one_time_password_deletes_its_file(
    start_server, sqlite_backend: Backend, tmp_path  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / HINT
    async with start_server(sqlite_backend) as server:
        email, one_time = path.read_text().split()
        async with httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=10) as client:
            assert HINT in (await client.get("/login?lang=en")).text
            assert HINT in (await client.get("/login?lang=fr")).text
            assert (await sign_in_form(client, email, one_time)).headers["location"] == "/account/password"
            form = await client.get("/account/password")
            changed = await client.post("/account/password", data={
                "csrf": form_token(form.text), "current": one_time, "new": STAFF_PASSWORD, "again": STAFF_PASSWORD,
            })
            assert changed.status_code == 303, changed.text
        assert not path.exists()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as anonymous:
            for lang in ("en", "fr"):
                assert HINT not in (await anonymous.get(f"/login?lang={lang}")).text

    # A later start on the same database neither writes the file again nor mentions it.
    async with start_server(sqlite_backend) as server:
        assert not path.exists()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as anonymous:
            assert HINT not in (await anonymous.get("/login")).text


async def test_another_users_password_change_keeps_the_file(sqlite_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / HINT
    agent = await sqlite_server.add_staff("Alex Agent")
    await sqlite_server.services.accounts.set_password(agent.id, "another long password")
    assert path.exists()


async def test_setting_the_first_admins_password_from_outside_deletes_the_file(sqlite_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / HINT
    admin = await sqlite_server.services.account_store.find_user_by_email("admin@localhost")
    await sqlite_server.services.accounts.set_password(admin.id, "another long password")
    assert not path.exists()
