"""First start: a default site and an admin whose one-time password is in a file only the owner can read,
never in the log; later starts leave both alone."""

from __future__ import annotations

import stat

import pytest

from tests.accounts.helpers import api_login, browser, sign_in_form
from tests.support.servers import Backend


async def test_first_start_writes_the_password_file_and_not_the_log(
    start_server, sqlite_backend: Backend, tmp_path, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    async with start_server(sqlite_backend) as server:
        path = tmp_path / "initial-admin-password.txt"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        email, password = path.read_text().split()
        assert email == "admin@localhost" and len(password) >= 20
        log = capsys.readouterr()
        assert str(path.resolve()) in log.err  # where to find it is logged...
        assert password not in log.err + log.out  # ...the password is not

        login = await api_login(server, email, password)
        assert login.status_code == 200 and login.json()["must_change_password"] is True
        async with browser(server) as client:
            response = await sign_in_form(client, email, password)
            assert response.headers["location"] == "/account/password"
        site = await server.services.account_store.find_site_by_key("default")
        assert site is not None and site.allowed_origins == ("https://shop.example",)

    # A second start on the same database creates no other admin and keeps the file as it was.
    before = path.read_text()
    async with start_server(sqlite_backend) as server:
        users = await server.services.account_store.list_users()
        assert [u.email for u in users] == ["admin@localhost"]
    assert path.read_text() == before
    assert password not in capsys.readouterr().err
