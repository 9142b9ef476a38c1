"""The sanitizer: nothing in an article's Markdown can run script or link anywhere but http, https and mailto."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from chatsvc.domain.markdown import ALLOWED_TAGS, render_html, render_text, safe_url, sanitize


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def assert_inert(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name in {"href", "title", "start", "target", "rel"}, (tag, name)
            if name == "href":
                assert value is not None and safe_url(value), value
    assert "<script" not in html.lower()


ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<p onclick="alert(1)">hello</p>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![pixel](data:image/png;base64,iVBORw0KGgo=)",
    "<javascript:alert(1)>",
    "[outer [inner](javascript:alert(1))](https://ok.example)",
    "[a](<javascript:alert(1)>)",
    '[a](https://ok.example "x\\" onmouseover=\\"alert(1)")',
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<details open ontoggle=alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<!-- <script>alert(1)</script> -->",
    "<a href='https://ok.example' onmouseover='alert(1)'>hover</a>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
]


@pytest.mark.parametrize("source", ATTACKS)
def test_nothing_can_run(source: str) -> None:
    assert_inert(render_html(source))


@pytest.mark.parametrize("html", [*ATTACKS, '<a href="data:text/html,x">d</a><a href="/rel">r</a><a href=" javascript:x">j</a>'])
def test_the_sanitizer_alone_also_stops_it(html: str) -> None:
    # The second lock, on raw HTML as if markdown-it had let it through.
    assert_inert(sanitize(html))


def test_script_tags_show_as_text() -> None:
    html = render_html("Before <script>alert(1)</script> after")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert render_text("Before <script>alert(1)</script> after") == "Before <script>alert(1)</script> after"


def test_raw_html_in_markdown_is_text_not_markup() -> None:
    html = render_html('<b>bold?</b> <a href="https://ok.example">raw link</a>')
    assert tags_of(html) == [("p", {})]
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html


def test_dangerous_links_lose_their_target_keep_their_words() -> None:
    html = render_html("[click me](javascript:alert(1))")
    assert tags_of(html) == [("p", {})]  # no <a>: markdown-it refused the link, it stays text
    assert "javascript:alert(1)" in html  # shown, inert, so the author sees what they wrote
    nested = render_html("[outer [inner](javascript:alert(1))](https://ok.example)")
    assert [attrs.get("href") for tag, attrs in tags_of(nested) if tag == "a"] == ["https://ok.example"]
    relative = render_html("[admin](/admin/users) and [up](../x)")
    assert not [tag for tag, _ in tags_of(relative) if tag == "a"]
    assert "admin" in relative and "up" in relative


def test_good_links_open_in_a_new_tab_without_the_opener() -> None:
    html = render_html("[Help](https://help.example/a?b=1&c=2) or [mail](mailto:help@example.com)")
    links = [attrs for tag, attrs in tags_of(html) if tag == "a"]
    assert [link["href"] for link in links] == ["https://help.example/a?b=1&c=2", "mailto:help@example.com"]
    for link in links:
        assert link["target"] == "_blank"
        assert set((link["rel"] or "").split()) >= {"nofollow", "noopener"}


def test_images_become_links_to_the_image() -> None:
    html = render_html("![the form](https://help.example/form.png)")
    assert tags_of(html) == [("p", {}), ("a", tags_of(html)[1][1])]
    assert tags_of(html)[1][1]["href"] == "https://help.example/form.png"
    assert "the form" in html and "<img" not in html


def test_template_syntax_stays_inert_text() -> None:
    source = "{{constructor.constructor('alert(1)')()}} and ${alert(1)} and <%= 7*7 %>"
    html = render_html(source)
    assert tags_of(html) == [("p", {})]
    assert "{{constructor.constructor(&#x27;alert(1)&#x27;)()}}" in html or "{{constructor.constructor('alert(1)')()}}" in html
    assert render_text(source) == source


def test_ordinary_markdown_renders() -> None:
    source = "# Title\n\nSome **bold**, *italic*, ~~gone~~ and `code`.\n\n1. one\n2. two\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    html = render_html(source)
    assert [tag for tag, _ in tags_of(html)] == [
        "h1", "p", "strong", "em", "s", "code", "ol", "li", "li", "blockquote", "p",
        "table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td",
    ]


def test_plain_text_keeps_structure_and_link_targets() -> None:
    source = (
        "# Returns\n\nSend it back within **30 days**, see [the policy](https://shop.example/returns).\n\n"
        "- print the label\n- drop it off\n\n1. first\n2. second\n\nWrite to <help@shop.example>.\n\n"
        "![label](https://shop.example/label.png) [bad](javascript:alert(1)) [rel](/x)"
    )
    assert render_text(source) == (
        "Returns\n\n"
        "Send it back within 30 days, see the policy (https://shop.example/returns).\n\n"
        "- print the label\n- drop it off\n\n"
        "1. first\n2. second\n\n"
        "Write to help@shop.example.\n\n"
        "label (https://shop.example/label.png) [bad](javascript:alert(1)) rel"
    )


def test_plain_text_of_nothing_is_nothing() -> None:
    assert render_text("") == ""
    assert render_html("") == ""
    assert re.fullmatch(r"\s*", render_text("   \n\n  "))
