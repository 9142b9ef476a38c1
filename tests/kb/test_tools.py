"""Import and export: round trips through JSON Lines, CSV and Markdown folders; the shared French KB; bad records
reported with where they are and nothing of them applied; the progress bar."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chatsvc.kbtools import formats
from chatsvc.kbtools.exporter import export_articles
from chatsvc.kbtools.importer import import_path, import_records
from chatsvc.services.container import Services
from chatsvc.services.kb import check_article
from tests.kb.conftest import FR_KB

# Articles chosen to break naive writers and readers: separators, quotes, YAML-looking and CSV-looking text,
# line breaks, a body starting with a front-matter fence, no body, drafts, other languages.
TRICKY = [
    {"id": "t-1", "title": 'Pipes | and "quotes", commas', "body": "Line 1\nLine 2, with \"quotes\"\n\n- item | pipe\n",
     "alt": ["a | b", "back\\slash", "ends with \\", "\\|literal"], "lang": "en", "tags": ["billing", "é-tag"],
     "published": True},
    {"id": "t-2", "title": "yes", "body": "---\nnot: front matter\n---\n", "alt": ["- dash", "# hash", "key: value"],
     "lang": "fr", "tags": [], "published": False},
    {"id": "t.3:x", "title": "Où est ma commande ? « 日本 » ✓", "body": "", "alt": [], "lang": "pt",
     "tags": ["a b"], "published": True},
    {"id": "T_4", "title": "[bracket] {brace} 'single'", "body": "  leading spaces\n\ttab\r\nkept?  \n\n",
     "alt": ["'quoted'", '"double"'], "lang": "en", "tags": ["x"], "published": True},
]


def expected(article: dict[str, object]) -> dict[str, object]:
    """What storage keeps of an article: its checked form (CRLF made LF, tags in lower case)."""
    draft = check_article(**article)  # type: ignore[arg-type]
    return {"id": draft.id, "title": draft.title, "body": draft.body, "alt": list(draft.alt), "lang": draft.lang,
            "tags": list(draft.tags), "published": draft.published}


async def stored(services: Services) -> list[dict[str, object]]:
    return [{k: v for k, v in a.public().items() if k in formats.FIELDS} async for a in services.kb.iterate()]


async def empty(services: Services) -> None:
    async for article in services.kb.iterate():
        await services.kb.delete(article.id)


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "md"])
async def test_round_trip(services: Services, tmp_path: Path, fmt: str) -> None:
    source = write_jsonl(tmp_path / "source.jsonl", [json.dumps(a, ensure_ascii=False) for a in TRICKY])
    first = await import_path(services.kb, source)
    assert (first.created, first.updated, first.failed) == (4, 0, [])
    before = await stored(services)
    assert before == sorted((expected(a) for a in TRICKY), key=lambda a: str(a["id"]))

    target = tmp_path / ("out" if fmt == "md" else f"out.{fmt}")
    assert await export_articles(services.kb, fmt=fmt, output=target) == 4
    await empty(services)
    again = await import_path(services.kb, target)
    assert (again.created, again.updated, again.failed) == (4, 0, [])
    assert await stored(services) == before
    assert {a.id for a in services.kb.index} == {"t-1", "t.3:x", "T_4"}  # drafts stay out of the index

    second = await import_path(services.kb, target)  # upsert by id: the same file again changes nothing
    assert (second.created, second.updated, second.failed) == (0, 4, [])
    assert await stored(services) == before


async def test_export_to_standard_output_and_published_only(services: Services, tmp_path: Path) -> None:
    await import_path(services.kb, write_jsonl(tmp_path / "kb.jsonl", [json.dumps(a) for a in TRICKY]))
    out = io.StringIO()
    assert await export_articles(services.kb, stdout=out, published_only=True) == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["id"] for line in lines] == ["T_4", "t-1", "t.3:x"]
    assert list(lines[0]) == list(formats.FIELDS)
    csv_out = io.StringIO()
    await export_articles(services.kb, fmt="csv", stdout=csv_out)
    assert csv_out.getvalue().splitlines()[0] == "id,title,body,alt,lang,tags,published"
    with pytest.raises(ValueError, match="FOLDER"):
        await export_articles(services.kb, fmt="md")


async def test_the_shared_french_kb(services: Services, tmp_path: Path) -> None:
    report = await import_path(services.kb, FR_KB)
    assert (report.created, report.updated, report.failed) == (30, 0, [])
    originals = [json.loads(line) for line in FR_KB.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {a["id"]: a for a in await stored(services)}
    for original in originals:
        article = by_id[original["id"]]
        assert (article["title"], article["body"], article["alt"], article["lang"]) == (
            original["title"], original["body"], original["alt"], original["lang"],
        )
        assert article["published"] is True and article["tags"] == []
    assert services.kb.decide("je voudrais changer mon mot de passe").offered[0].article_id == "frA-001"


async def test_bad_jsonl_lines_are_reported_and_not_applied(services: Services, tmp_path: Path) -> None:
    await services.kb.create(title="Existing article", article_id="exists")
    path = write_jsonl(tmp_path / "kb.jsonl", [
        json.dumps({"id": "good-1", "title": "First good line"}),          # 1
        '{"id": "broken", "title": "no closing brace"',                      # 2
        "",                                                                   # 3: blank, skipped
        json.dumps({"id": "no-title"}),                                       # 4
        json.dumps({"id": "typo", "tilte": "Typo in a field name"}),          # 5
        json.dumps({"id": "bad-pub", "title": "x", "published": "maybe"}),    # 6
        json.dumps({"id": "good-1", "title": "Same id again"}),               # 7
        json.dumps(["not", "an", "object"]),                                  # 8
        json.dumps({"id": "exists", "title": "Would change it", "lang": "??"}),  # 9
        json.dumps({"id": "bad alt", "title": "x", "alt": "not a list"}),     # 10
        json.dumps({"id": "good-2", "title": "Second good line", "alt": ["ok"]}),  # 11
        json.dumps({"title": "No id at all"}),                                # 12
    ])
    report = await import_path(services.kb, path)
    assert (report.created, report.updated) == (2, 0)
    failed = dict(report.failed)
    assert sorted(failed, key=lambda w: int(w.split()[1])) == [
        "line 2", "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", "line 12",
    ]
    assert "JSON" in failed["line 2"] and "title" in failed["line 4"] and "tilte" in failed["line 5"]
    assert "line 1" in failed["line 7"] and "language" in failed["line 9"] and "'id'" in failed["line 12"]
    assert {a["id"] for a in await stored(services)} == {"exists", "good-1", "good-2"}
    assert (await services.kb.get("good-1")).title == "First good line"
    assert (await services.kb.get("exists")).title == "Existing article"
    assert report.summary() == "2 created, 0 updated, 9 failed"


async def test_bad_csv_rows_are_reported_with_their_first_line(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_text(
        "id,title,body,alt,tags,published\n"                     # 1
        'ok-1,First,"a body\nover three\nlines",x|y,,true\n'      # 2-4
        "too,few,cells\n"                                         # 5
        'bad-pub,Title,body,,,perhaps\n'                          # 6
        "\n"                                                      # 7: blank, skipped
        'ok-2,Second,,,"Tag A|tag b",\n',                         # 8
        encoding="utf-8",
    )
    report = await import_path(services.kb, path)
    assert (report.created, report.failed) == (2, [
        ("line 5", "3 cells where the header has 6"), ("line 6", "'published' must be true or false"),
    ])
    assert (await services.kb.get("ok-1")).body == "a body\nover three\nlines"
    ok2 = await services.kb.get("ok-2")
    assert (ok2.tags, ok2.published, ok2.lang) == (("tag a", "tag b"), True, "en")

    bad_header = tmp_path / "header.csv"
    bad_header.write_text("id,title,colour\nx,y,blue\n", encoding="utf-8")
    report = await import_path(services.kb, bad_header)
    assert report.applied == 0 and report.failed[0][0] == "line 1" and "colour" in report.failed[0][1]
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,title\nx,caf\xe9\n".encode("latin-1"))
    report = await import_path(services.kb, latin1)
    assert report.applied == 0 and report.failed == [("line 2", "not UTF-8 text: nothing in the file was read")]


async def test_bad_markdown_files_are_reported_by_name(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    (folder / "returns").mkdir(parents=True)
    (folder / "returns" / "parcel.md").write_text(
        "---\ntitle: How do I return a parcel?\ntags: [orders]\nalt:\n  - send it back\n---\nPrint the label.\n"
    )
    (folder / "broken.md").write_text("---\ntitle: Fine\nalt: {a: 1}\n---\nbody\n")
    (folder / "no-fence.md").write_text("Just text\n")
    (folder / "no-title.md").write_text("---\nid: nt\n---\nbody\n")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "skip.md").write_text("---\ntitle: Hidden\n---\n")
    (folder / "notes.txt").write_text("not an article")
    report = await import_path(services.kb, folder)
    assert report.created == 1
    assert dict(report.failed) == {
        "broken.md:3": "values starting with '{' are not supported: quote the value",
        "no-fence.md:1": "the file must start with a '---' line, then the front matter, then '---'",
        "no-title.md": "'title' is required",
    }
    parcel = await services.kb.get("parcel")  # no id: the file's name is one
    assert (parcel.title, parcel.body, parcel.alt, parcel.tags) == (
        "How do I return a parcel?", "Print the label.", ("send it back",), ("orders",),
    )


async def test_dry_run_writes_nothing(services: Services, tmp_path: Path) -> None:
    await services.kb.create(title="Old", article_id="frA-001")
    report = await import_path(services.kb, FR_KB, dry_run=True)
    assert (report.created, report.updated, report.failed) == (29, 1, [])
    assert "dry run" in report.summary()
    assert [a["id"] for a in await stored(services)] == ["frA-001"]


async def test_large_imports_show_a_progress_bar(services: Services) -> None:
    records = [formats.Record(f"line {n}", data={"id": f"a-{n}", "title": f"Question {n}"}) for n in range(1, 1201)]
    stream = io.StringIO()
    report = await import_records(services.kb, iter(records), total=len(records), progress=True, stream=stream,
                                  batch_size=500)
    assert report.created == 1200 and len(services.kb.index) == 1200
    assert "import" in stream.getvalue() and "1200/1200" in stream.getvalue()
    quiet = io.StringIO()
    await import_records(services.kb, iter(records[:10]), total=10, stream=quiet)  # small, or not a terminal
    assert quiet.getvalue() == ""


def test_item_separators_escape_round_trip() -> None:
    for items in (["a", "b"], ["a|b", "c\\", "\\|", "\\\\x"], [], ["x"]):
        assert formats.split_items(formats.join_items(items)) == items
    assert formats.split_items(r"C:\path|two") == [r"C:\path", "two"]
