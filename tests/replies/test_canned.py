"""Canned responses, pure: placeholder expansion, shortcuts, search."""

from __future__ import annotations

import datetime

import pytest

from chatsvc.domain import canned
from chatsvc.domain.canned import CannedResponse
from chatsvc.errors import BadRequest

T0 = datetime.datetime(2024, 5, 1, 10, 0, tzinfo=datetime.UTC)
VALUES = {"visitor_name": "Zoé", "agent_name": "Alice", "site_name": "Shop", "date": "2024-05-01"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hello {visitor_name}, I'm {agent_name}.", "Hello Zoé, I'm Alice."),
        ("{visitor_name}{visitor_name}", "ZoéZoé"),
        ("Welcome to {site_name} ({date})", "Welcome to Shop (2024-05-01)"),
        # Escaped braces are literal; a placeholder between escaped braces is literal too.
        ("{{visitor_name}} is written {{like this}}", "{visitor_name} is written {like this}"),
        ("{{{visitor_name}}}", "{Zoé}"),
        ("a }} b {{ c", "a } b { c"),
        # Anything we do not know stays exactly as written: not an error.
        ("Order {order_id} for {visitor_name}", "Order {order_id} for Zoé"),
        ("{visitor_email}", "{visitor_email}"),  # known, but no value here
        ("{Visitor_Name} {visitor name} {} { visitor_name } {visitor_name!r} {visitor_name:>9}",
         "{Visitor_Name} {visitor name} {} { visitor_name } {visitor_name!r} {visitor_name:>9}"),
        ("lonely { and } braces", "lonely { and } braces"),
        ("unclosed {visitor_name", "unclosed {visitor_name"),
        ("{0} {1}", "{0} {1}"),
        ("", ""),
        ("no placeholders at all", "no placeholders at all"),
    ],
)
def test_expand(body: str, expected: str) -> None:
    assert canned.expand(body, VALUES) == expected


def test_values_are_plain_text_and_never_expanded_again() -> None:
    tricky = {
        "visitor_name": "{agent_name} <script>alert(1)</script> {{x}} }",
        "agent_name": "{visitor_name}",
    }
    text = canned.expand("Hi {visitor_name}, this is {agent_name}.", tricky)
    assert text == "Hi {agent_name} <script>alert(1)</script> {{x}} }, this is {visitor_name}."


def test_unfilled_placeholders_are_reported() -> None:
    result = canned.expand_checked("Hi {visitor_name} {visitor_email} {order} {visitor_name}", {"agent_name": "A"})
    assert result.text == "Hi {visitor_name} {visitor_email} {order} {visitor_name}"
    assert result.unfilled == ("visitor_name", "visitor_email")
    assert canned.placeholders_in("{{date}} {date} {agent_name} {nope} {date}") == ["date", "agent_name"]


def test_values_for_leaves_out_what_is_unknown() -> None:
    values = canned.values_for(agent_name="Alice", today=T0.date(), visitor_name=None, visitor_email="",
                               site_name="Shop")
    assert values == {"agent_name": "Alice", "date": "2024-05-01", "site_name": "Shop"}
    assert set(canned.PLACEHOLDERS) >= set(values)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("hello", "hello"), ("/Hello", "hello"), (" refund-policy ", "refund-policy"), ("a_1", "a_1"),
     ("x" * 40, "x" * 40), ("9lives", "9lives")],
)
def test_good_shortcuts(raw: str, expected: str) -> None:
    assert canned.check_shortcut(raw) == expected


@pytest.mark.parametrize("raw", ["", "/", "-dash", "_under", "two words", "x" * 41, "héllo", "a/b", "h\ni", "a.b"])
def test_bad_shortcuts(raw: str) -> None:
    with pytest.raises(BadRequest, match="shortcut"):
        canned.check_shortcut(raw)


def test_titles_and_bodies() -> None:
    assert canned.check_title("  Greeting ") == "Greeting"
    for bad in ("", "  ", "x" * 121, "two\nlines"):
        with pytest.raises(BadRequest, match="title"):
            canned.check_title(bad)
    assert canned.check_body("\n\nHello,\r\n  indented\n\n") == "Hello,\n  indented"
    for bad in ("", " \n ", "x" * 4001, "bell\x07"):
        with pytest.raises(BadRequest):
            canned.check_body(bad)


def response(shortcut: str, title: str = "", body: str = "", *, owner: str | None = None, rid: str = "") -> CannedResponse:
    return CannedResponse(
        id=rid or f"{shortcut}-{owner or 'shared'}", owner_id=owner, shortcut=shortcut, title=title or shortcut,
        body=body or f"Text of {shortcut}", created_at=T0, updated_at=T0,
    )


RESPONSES = [
    response("refund", "Refund policy", "Refunds take 5 days."),
    response("hello", "Greeting", "Hello {visitor_name}!"),
    response("hello", "My greeting", "Hey {visitor_name}", owner="u1"),
    response("ship", "Shipping times", "We ship in 2 days; refund on request."),
    response("bye", "Goodbye", "Have a nice day."),
    response("helpdesk", "Help desk hours", "9 to 5."),
]


def test_search_ranks_shortcut_then_prefix_then_title_then_body() -> None:
    assert [(r.shortcut, r.owner_id) for r in canned.search(RESPONSES, "hel")] == [
        ("hello", "u1"), ("hello", None), ("helpdesk", None),
    ]
    # Exact shortcut first, then titles containing it, then bodies.
    found = canned.search(RESPONSES, "refund")
    assert [r.shortcut for r in found] == ["refund", "ship"]
    assert [r.shortcut for r in canned.search(RESPONSES, "/GREETING")] == ["hello", "hello"]
    assert [r.shortcut for r in canned.search(RESPONSES, "nice day")] == ["bye"]
    assert canned.search(RESPONSES, "nothing like it") == []


def test_empty_search_lists_everything_by_shortcut_own_first() -> None:
    assert [(r.shortcut, r.owner_id) for r in canned.search(RESPONSES, " / ")] == [
        ("bye", None), ("hello", "u1"), ("hello", None), ("helpdesk", None), ("refund", None), ("ship", None),
    ]


def test_pick_by_id_then_shortcut_own_first() -> None:
    assert canned.pick(RESPONSES, "hello") is RESPONSES[2]
    assert canned.pick(RESPONSES, "/Hello") is RESPONSES[2]
    assert canned.pick(RESPONSES, "hello-shared") is RESPONSES[1]
    assert canned.pick(RESPONSES, "bye") is RESPONSES[4]
    assert canned.pick(RESPONSES, "missing") is None
    assert canned.pick(RESPONSES, "not a shortcut!") is None
