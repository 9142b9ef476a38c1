"""``chatsvc user|site|team ...`` run as real subprocesses against a running server's database."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from chatsvc.errors import CLOSE_POLICY
from tests.accounts.helpers import agent_socket, api_login, close_code, no_secrets
from tests.support.servers import InProcessServer


async def chatsvc(server: InProcessServer, *args: str, stdin: str = "") -> tuple[int, str, str]:
    settings = server.settings
    env = {
        **os.environ,
        "CHATSVC_DATABASE_URL": settings.database_url,
        "CHATSVC_DATA_DIR": str(settings.data_dir),
        "CHATSVC_REDIS_URL": settings.redis_url,
        "CHATSVC_REDIS_PREFIX": settings.redis_prefix,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatsvc", *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_user_commands(sqlite_server: InProcessServer) -> None:
    code, out, err = await chatsvc(
        sqlite_server, "user", "add", "--role", "agent", "--email", "Cli@Support.Example", "--name", "Cli Agent",
        "--max-chats", "4", "--password-stdin", stdin="a password from stdin\n",
    )
    assert code == 0, err
    assert "created agent cli@support.example" in out
    login = await api_login(sqlite_server, "cli@support.example", "a password from stdin")
    assert login.status_code == 200 and login.json()["must_change_password"] is False

    code, _out, err = await chatsvc(
        sqlite_server, "user", "add", "--role", "agent", "--email", "short@support.example", "--name", "Short",
        "--password-stdin", stdin="short\n",
    )
    assert code == 1 and "at least" in err

    code, out, _err = await chatsvc(sqlite_server, "user", "list")
    assert code == 0 and "cli@support.example" in out and "admin@localhost" in out
    no_secrets(out)

    code, out, err = await chatsvc(
        sqlite_server, "user", "set-password", "cli@support.example", "--password-stdin", stdin="another password\n"
    )
    assert code == 0, err
    assert (await api_login(sqlite_server, "cli@support.example", "a password from stdin")).status_code == 401
    assert (await api_login(sqlite_server, "cli@support.example", "another password")).status_code == 200

    code, out, err = await chatsvc(sqlite_server, "user", "disable", "cli@support.example")
    assert code == 0, err
    assert (await api_login(sqlite_server, "cli@support.example", "another password")).status_code == 401
    code, _out, _err = await chatsvc(sqlite_server, "user", "enable", "cli@support.example")
    assert code == 0
    assert (await api_login(sqlite_server, "cli@support.example", "another password")).status_code == 200

    code, _out, err = await chatsvc(sqlite_server, "user", "disable", "nobody@support.example")
    assert code == 1 and "No user" in err


async def test_site_and_team_commands(sqlite_server: InProcessServer) -> None:
    code, _out, err = await chatsvc(
        sqlite_server, "site", "add", "--key", "shop", "--name", "Shop", "--origin", "https://shop.example",
        "--origin", "https://*.shop.example",
    )
    assert code == 1 and "Wildcards" in err
    code, out, err = await chatsvc(
        sqlite_server, "site", "add", "--key", "shop", "--name", "Shop", "--origin", "https://Shop.Example/",
    )
    assert code == 0, err
    assert "https://shop.example" in out
    code, _out, err = await chatsvc(sqlite_server, "site", "set-origins", "shop", "https://www.shop.example", "null")
    assert code == 1
    code, _out, err = await chatsvc(
        sqlite_server, "site", "set-origins", "shop", "https://www.shop.example", "http://localhost:8080"
    )
    assert code == 0, err
    code, out, _err = await chatsvc(sqlite_server, "site", "list")
    assert "shop" in out and "https://www.shop.example http://localhost:8080" in out

    await sqlite_server.add_staff("Tina", role="agent", email="tina@support.example")
    code, out, err = await chatsvc(sqlite_server, "team", "add", "Billing", "--topic", "billing", "--topic", "refunds")
    assert code == 0, err
    code, _out, err = await chatsvc(sqlite_server, "team", "add", "Other", "--topic", "billing")
    assert code == 1 and "(conflict)" in err
    code, _out, err = await chatsvc(sqlite_server, "team", "add-member", "Billing", "tina@support.example")
    assert code == 0, err
    code, out, _err = await chatsvc(sqlite_server, "team", "list")
    assert "Billing" in out and "billing refunds" in out and "tina@support.example" in out
    team = await sqlite_server.services.account_store.find_team_by_name("Billing")
    assert team is not None and len(team.member_ids) == 1


async def test_cli_disable_reaches_running_servers_through_redis(server: InProcessServer) -> None:
    if not server.settings.redis_url:
        pytest.skip("in-process broker: a separate CLI process cannot reach this server's sockets")
    agent = await server.add_staff("Remy", role="agent")
    token = (await api_login(server, agent.email)).json()["token"]
    async with agent_socket(server, token) as ws:
        code, _out, err = await chatsvc(server, "user", "disable", agent.email)
        assert code == 0, err
        assert (await close_code(ws, timeout=10))[0] == CLOSE_POLICY
