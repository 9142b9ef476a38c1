"""The command line says what went wrong in words a newcomer can act on (real subprocesses)."""

from __future__ import annotations

from pathlib import Path

from tests.accounts.helpers import api_login
from tests.accounts.test_cli import chatsvc
from tests.support.servers import InProcessServer


async def test_passwords_without_a_terminal_point_to_password_stdin(sqlite_server: InProcessServer) -> None:
    code, _out, err = await chatsvc(
        sqlite_server, "user", "add", "--role", "agent", "--email", "a@support.example", "--name", "A",
    )
    assert code == 1 and "Traceback" not in err and "EOFError" not in err
    assert "no terminal" in err and "--password-stdin" in err

    agent = await sqlite_server.add_staff("Alex Agent")
    code, _out, err = await chatsvc(sqlite_server, "user", "set-password", agent.email)
    assert code == 1 and "Traceback" not in err and "--password-stdin" in err

    code, out, err = await chatsvc(
        sqlite_server, "user", "set-password", agent.email, "--password-stdin", stdin="a brand new password\n"
    )
    assert code == 0, err
    assert "password set for" in out
    assert (await api_login(sqlite_server, agent.email, "a brand new password")).status_code == 200


async def test_team_conflicts_and_members_say_which(sqlite_server: InProcessServer) -> None:
    code, _out, err = await chatsvc(sqlite_server, "team", "add", "Billing", "--topic", "billing")
    assert code == 0, err
    code, _out, err = await chatsvc(sqlite_server, "team", "add", "Accounts", "--topic", "billing")
    assert code == 1
    assert "topic 'billing' already belongs to the team 'Billing'" in err
    code, _out, err = await chatsvc(sqlite_server, "team", "add", "Billing")
    assert code == 1 and "A team named 'Billing' already exists" in err

    agent = await sqlite_server.add_staff("Alex Agent")
    code, out, err = await chatsvc(sqlite_server, "team", "add-member", "Billing", agent.email)
    assert code == 0 and f"added {agent.email} to team Billing" in out, err
    code, out, err = await chatsvc(sqlite_server, "team", "add-member", "Billing", agent.email)
    assert code == 0, err
    assert f"{agent.email} is already a member of team Billing" in out and "added" not in out


async def test_kb_import_of_an_empty_folder_says_nothing_was_found(
    sqlite_server: InProcessServer, tmp_path: Path
) -> None:
    folder = tmp_path / "empty-kb"
    folder.mkdir()
    (folder / "notes.txt").write_text("not markdown")
    code, out, err = await chatsvc(sqlite_server, "kb", "import", str(folder))
    assert code == 1 and out == ""
    assert f"no .md file found in {folder}" in err


async def test_kb_import_dry_run_says_would_be(sqlite_server: InProcessServer, tmp_path: Path) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text('{"id": "a", "title": "First"}\n{"id": "b", "title": "Second"}\n', encoding="utf-8")
    code, out, err = await chatsvc(sqlite_server, "kb", "import", str(path), "--dry-run")
    assert code == 0, err
    assert out.strip() == "2 would be created, 0 would be updated, 0 failed (dry run: nothing was written)"
