"""``chatsvc kb import|export|eval`` as real subprocesses against a running server's database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.accounts.test_cli import chatsvc
from tests.kb.conftest import DATA, FR_KB
from tests.support.servers import InProcessServer


async def test_import_export_and_a_running_server_catching_up(sqlite_server: InProcessServer, tmp_path: Path) -> None:
    code, out, err = await chatsvc(sqlite_server, "kb", "import", str(FR_KB))
    assert code == 0, err
    assert out.strip() == "30 created, 0 updated, 0 failed"
    # The embedded broker reaches no other process: the server notices through its database check.
    await sqlite_server.services.kb.sync()
    assert len(sqlite_server.services.kb.index) == 30

    code, out, err = await chatsvc(sqlite_server, "kb", "export")
    assert code == 0 and "exported 30 articles" in err
    exported = [json.loads(line) for line in out.splitlines()]
    assert [a["id"] for a in exported] == sorted(a["id"] for a in exported) and len(exported) == 30

    target = tmp_path / "kb-md"
    code, _out, err = await chatsvc(sqlite_server, "kb", "export", "--format", "md", "--output", str(target))
    assert code == 0, err
    assert len(list(target.glob("*.md"))) == 30
    code, out, _err = await chatsvc(sqlite_server, "kb", "import", str(target))
    assert (code, out.strip()) == (0, "0 created, 30 updated, 0 failed")


async def test_bad_lines_exit_1_and_name_their_line(sqlite_server: InProcessServer, tmp_path: Path) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text('{"id": "a", "title": "Fine"}\n{"id": "b"}\nnot json\n', encoding="utf-8")
    code, out, err = await chatsvc(sqlite_server, "kb", "import", str(path))
    assert code == 1
    assert out.strip() == "1 created, 0 updated, 2 failed"
    assert f"{path}: line 2: 'title' is required" in err and f"{path}: line 3: not valid JSON" in err
    assert (await sqlite_server.services.kb.search()).total == 1

    code, _out, err = await chatsvc(sqlite_server, "kb", "import", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "not a file" in err
    code, _out, err = await chatsvc(sqlite_server, "kb", "import", str(tmp_path / "kb.xml"))
    assert code == 2 and "--format" in err


async def test_eval_is_a_kb_command(sqlite_server: InProcessServer) -> None:
    code, out, err = await chatsvc(
        sqlite_server, "kb", "eval", "--kb", str(FR_KB), "--queries", str(DATA / "fr_support_queries.jsonl"),
        "--quiet",
    )
    assert code == 0, err
    assert isinstance(json.loads(out), dict)
