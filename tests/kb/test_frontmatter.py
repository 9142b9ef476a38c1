"""The strict front-matter reader: what it reads, what it refuses (with the line), and that it reads back what the
writer writes."""

from __future__ import annotations

import pytest

from chatsvc.kbtools.frontmatter import FrontMatterError, dump, parse, split


def test_reads_the_supported_forms() -> None:
    text = (
        "---\n"
        "# a comment\n"
        "id: frA-001\n"
        'title: "Changer mon \\"mot\\" de passe"   # trailing comment\n'
        "lang: 'fr'\n"
        "plain: it's fine # comment\n"
        "tags: [compte, \"sécurité, données\", 'l''accès']\n"
        "empty: []\n"
        "alt:\n"
        "  - Modifier mon mot de passe\n"
        '  - "Réinitialiser: oublié"\n'
        "\n"
        "published: no\n"
        "---\n"
        "Body line 1\n"
        "---\n"
        "still body\n"
    )
    meta, body, line = split(text)
    assert meta == {
        "id": "frA-001",
        "title": 'Changer mon "mot" de passe',
        "lang": "fr",
        "plain": "it's fine",
        "tags": ["compte", "sécurité, données", "l'accès"],
        "empty": [],
        "alt": ["Modifier mon mot de passe", "Réinitialiser: oublié"],
        "published": "no",
    }
    assert body == "Body line 1\n---\nstill body\n"
    assert line == 15


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (["title: a", "title: b"], 2, "twice"),
        (["title: {a: 1}"], 1, "not supported"),
        (["title: &anchor x"], 1, "not supported"),
        (["title: |", "  text"], 1, "not supported"),
        (["title: Note: read this"], 1, "quote"),
        (["  title: x"], 1, "indentation"),
        (["alt:", "\t- x"], 2, "tabs"),
        (["- orphan"], 1, "must follow"),
        (["title: x", "  - item"], 2, "must follow"),
        (["tags: [a, [b]]"], 1, "nested"),
        (["tags: [a, , b]"], 1, "empty item"),
        (["tags: [a, b"], 1, "unterminated"),
        (['title: "open'], 1, "unterminated"),
        (["title: 'open"], 1, "unterminated"),
        (['title: "a" b'], 1, "after the value"),
        (['title: "bad \\q escape"'], 1, "double-quoted"),
        (["just words"], 1, "key: value"),
    ],
)
def test_refuses_what_it_cannot_read_surely(lines: list[str], line: int, message: str) -> None:
    with pytest.raises(FrontMatterError, match=message) as caught:
        parse(lines)
    assert caught.value.line == line


def test_a_file_needs_its_fences() -> None:
    with pytest.raises(FrontMatterError, match="start with"):
        split("title: x\n---\nbody")
    with pytest.raises(FrontMatterError, match="closing"):
        split("---\ntitle: x\nbody")
    assert split("\ufeff---\ntitle: x\n---\n") == ({"title": "x"}, "", 4)


@pytest.mark.parametrize(
    "value",
    ["yes", "- dash", "# hash", "a: b", '"quoted"', "it's", "back\\slash", "{brace}", "[bracket]", " padded ",
     "tab\there", "ünïcødé ✓ 日本", "", "null", "123"],
)
def test_what_is_written_reads_back(value: str) -> None:
    meta: dict[str, str | bool | list[str]] = {"title": value, "published": False, "tags": [value, "b"], "alt": [value], "none": []}
    text = dump(meta) + "body"
    read, body, _line = split(text)
    assert read == {"title": value, "published": "false", "tags": [value, "b"], "alt": [value], "none": []}
    assert body == "body"
