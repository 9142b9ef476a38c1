"""KB article bodies: Markdown to safe HTML, and to plain text for clients that show text only.

Two locks on the same door, so that one library's bug is not enough for markup to get through:

1. markdown-it parses CommonMark with raw HTML turned off: ``<script>`` in an article is shown as the text
   ``<script>``, and its link validator already refuses ``javascript:``, ``vbscript:`` and ``file:`` targets.
2. nh3 (the ammonia sanitizer) then keeps only an allow-list of tags and attributes, and every link target
   whose scheme is not http, https or mailto (relative ones included: in the widget they would resolve against
   the customer's site) loses its ``href``. Links open in a new tab with ``rel="nofollow noopener noreferrer"``.

Images become links to the image: a KB answer shown in a visitor's browser must not load third-party pixels
(tracking, mixed content) just by being displayed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "ol": {"start"}}


def _image_as_link(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env) or src
    if not safe_url(src):
        return escapeHtml(alt)
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt)}</a>'


def _link_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # A link to somewhere an article may not point (a relative path, a data: URL) keeps its words, not its tag.
    keep = safe_url(str(tokens[idx].attrGet("href") or ""))
    env.setdefault("kept_links", []).append(keep)
    return renderer.renderToken(tokens, idx, options, env) if keep else ""


def _link_close(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    stack = env.get("kept_links") or [True]
    keep = stack.pop()
    return renderer.renderToken(tokens, idx, options, env) if keep else ""


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    return md


_md = _parser()


def safe_url(url: str) -> bool:
    """An absolute http, https or mailto URL: the only link targets an article may have."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme.lower() not in LINK_SCHEMES:
        return False
    return bool(parts.path) if parts.scheme.lower() == "mailto" else bool(parts.netloc)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if safe_url(value) else None
    return value


def sanitize(html: str) -> str:
    """Only the allow-listed tags and attributes of ``html``, links restricted as described above."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes=set(LINK_SCHEMES),
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def render_html(markdown: str) -> str:
    """Markdown to HTML that is safe to insert into a page as it is."""
    return sanitize(_md.render(markdown))


# --- plain text ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Block:
    text: str
    tight_in: int | None = None  # the list it is a tight item of: joined to its neighbour there by one newline


class _TextRenderer:
    """Walks markdown-it's token stream and writes what a reader of the HTML would see, as plain text."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.lists: list[list[int | None]] = []  # per open list: [next number] (None: a bullet list)
        self.marker = ""  # the pending list marker of the item whose first block comes next
        self.quote = 0
        self.row: list[str] | None = None
        self.list_count = 0  # numbers each outermost list, so two lists in a row stay apart

    def _indent(self) -> str:
        return "   " * max(0, len(self.lists) - 1)

    def _add(self, text: str, *, tight: bool = False) -> None:
        prefix = self._indent() + self.marker
        continuation = self._indent() + " " * len(self.marker)
        self.marker = ""
        lines = text.split("\n")
        lines = [prefix + lines[0], *(continuation + line for line in lines[1:])]
        if self.quote:
            lines = ["> " * self.quote + line for line in lines]
        self.blocks.append(_Block("\n".join(lines), self.list_count if tight else None))

    def render(self, tokens: Sequence[Token]) -> str:
        hidden_paragraph = False
        for token in tokens:
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open", "table_open") and not self.lists:
                self.list_count += 1
            if kind == "bullet_list_open":
                self.lists.append([None])
            elif kind == "ordered_list_open":
                start = token.attrGet("start")
                self.lists.append([int(start) if isinstance(start, (int, str)) and str(start).isdigit() else 1])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open" and self.lists:
                number = self.lists[-1][0]
                if number is None:
                    self.marker = "- "
                else:
                    self.marker = f"{number}. "
                    self.lists[-1][0] = number + 1
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind in ("paragraph_open", "heading_open"):
                hidden_paragraph = token.hidden  # hidden: a paragraph of a tight list item
            elif kind == "inline" and self.row is not None:
                self.row.append(_inline_text(token.children or []))
            elif kind == "inline":
                self._add(_inline_text(token.children or []), tight=hidden_paragraph)
            elif kind in ("fence", "code_block"):
                self._add(token.content.rstrip("\n"))
            elif kind == "hr":
                self._add("----")
            elif kind == "tr_open":
                self.row = []
            elif kind == "tr_close" and self.row is not None:
                self._add(" | ".join(self.row), tight=True)
                self.row = None
        return _join(self.blocks)


def _join(blocks: list[_Block]) -> str:
    out: list[str] = []
    for index, block in enumerate(blocks):
        if index:
            same_list = block.tight_in is not None and block.tight_in == blocks[index - 1].tight_in
            out.append("\n" if same_list else "\n\n")
        out.append(block.text)
    return "".join(out).strip()


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    hrefs: list[tuple[str, int]] = []  # open links: their target and where their text starts
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak" or kind == "hardbreak":
            parts.append("\n")
        elif kind == "link_open":
            hrefs.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and hrefs:
            href, start = hrefs.pop()
            label = "".join(parts[start:]).strip()
            if safe_url(href) and href not in (label, "mailto:" + label):
                parts.append(f" ({href})")
        elif kind == "image":
            src = str(child.attrGet("src") or "")
            label = "".join(c.content for c in child.children or []) or child.content
            parts.append(f"{label} ({src})" if safe_url(src) else label)
    return "".join(parts)


def render_text(markdown: str) -> str:
    """Markdown as plain text: no markup, list markers kept, each link's target after its words."""
    return _TextRenderer().render(_md.parse(markdown))
