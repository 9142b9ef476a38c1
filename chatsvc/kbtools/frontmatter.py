"""Front matter for Markdown articles: a small, strict subset of YAML, read and written without a YAML library.

What is read, between a first line ``---`` and the next ``---``::

    id: frA-001                       # plain scalar (a trailing " # comment" is dropped)
    title: "Changer mon mot de passe" # double-quoted: JSON string rules
    lang: 'fr'                        # single-quoted: '' stands for '
    tags: [compte, "sécurité"]        # flow list of scalars
    alt:                              # block list: one "- item" per line
      - Modifier mon mot de passe

Anything else (nested maps, anchors, multi-line scalars, tabs for indentation, a key twice) is refused with the
line it is on, rather than guessed at: a silently misread ``published: no`` would publish a draft. Values come
back as strings or lists of strings; the caller decides what each key means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence

Value = str | list[str]

FENCE = "---"
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*)|)$")
_ITEM = re.compile(r"^[ ]*-(?:[ ]+(.*)|)$")  # "- item", indented or not, as YAML allows
_UNSUPPORTED_START = tuple("{&*!|>%@`")


class FrontMatterError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def split(text: str) -> tuple[dict[str, Value], str, int]:
    """(front matter, body, line number where the body starts) of a Markdown file's text.

    A file without front matter is refused: an article needs at least its title there.
    """
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        raise FrontMatterError(1, "the file must start with a '---' line, then the front matter, then '---'")
    for end in range(1, len(lines)):
        if lines[end].rstrip() in (FENCE, "..."):
            meta = parse(lines[1:end], first_line=2)
            body = "\n".join(lines[end + 1 :])
            return meta, body, end + 2
    raise FrontMatterError(1, "the front matter has no closing '---' line")


def parse(lines: Sequence[str], *, first_line: int = 1) -> dict[str, Value]:
    result: dict[str, Value] = {}
    current_list: list[str] | None = None  # the block list being filled, after "key:" with nothing after it
    for offset, raw in enumerate(lines):
        number = first_line + offset
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise FrontMatterError(number, "indent with spaces, not tabs")
        item = _ITEM.match(line)
        if item:
            if current_list is None:
                raise FrontMatterError(number, "a list item must follow a 'key:' line with no value")
            current_list.append(_scalar(item.group(1) or "", number))
            continue
        if line[0] == " ":
            raise FrontMatterError(number, "unexpected indentation (only '- item' lines are indented)")
        key = _KEY.match(line)
        if not key:
            raise FrontMatterError(number, "expected 'key: value'")
        name, value = key.group(1), (key.group(2) or "").strip()
        if name in result:
            raise FrontMatterError(number, f"{name!r} is given twice")
        if not value or value.startswith("#"):
            current_list = []
            result[name] = current_list
        elif value.startswith("["):
            current_list = None
            result[name] = _flow_list(value, number)
        else:
            current_list = None
            result[name] = _scalar(value, number)
    return result


def _scalar(value: str, number: int) -> str:
    value = value.strip()
    if value.startswith('"'):
        end = _closing_double_quote(value, number)
        _only_comment_after(value[end + 1 :], number)
        try:
            decoded = json.loads(value[: end + 1])
        except json.JSONDecodeError as exc:
            raise FrontMatterError(number, f"bad double-quoted string ({exc.msg})") from None
        return str(decoded)
    if value.startswith("'"):
        end = _closing_single_quote(value, number)
        _only_comment_after(value[end + 1 :], number)
        return value[1:end].replace("''", "'")
    if value.startswith(_UNSUPPORTED_START):
        raise FrontMatterError(number, f"values starting with {value[0]!r} are not supported: quote the value")
    comment = re.search(r"\s#", value)
    if comment:
        value = value[: comment.start()].rstrip()
    if ": " in value:
        raise FrontMatterError(number, "a plain value may not contain ': ' (quote the value)")
    return value


def _closing_double_quote(value: str, number: int) -> int:
    index = 1
    while index < len(value):
        if value[index] == "\\":
            index += 2
            continue
        if value[index] == '"':
            return index
        index += 1
    raise FrontMatterError(number, "unterminated double-quoted string")


def _closing_single_quote(value: str, number: int) -> int:
    index = 1
    while index < len(value):
        if value[index] == "'":
            if value[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    raise FrontMatterError(number, "unterminated single-quoted string")


def _only_comment_after(rest: str, number: int) -> None:
    rest = rest.strip()
    if rest and not rest.startswith("#"):
        raise FrontMatterError(number, "unexpected text after the value")


def _unquoted(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) for each character of ``text`` from ``start`` that stands outside quotes (the quote
    marks themselves included); a backslash escapes the next character inside double quotes."""
    quote: str | None = None
    index = start
    while index < len(text):
        ch = text[index]
        if quote == '"' and ch == "\\":
            index += 2
            continue
        if quote:
            if ch == quote:
                quote = None
        else:
            if ch in "\"'":
                quote = ch
            yield index, ch
        index += 1


def _flow_list(value: str, number: int) -> list[str]:
    """``[a, "b, c", 'd']``: items split on commas outside quotes."""
    closing = _flow_end(value, number)
    _only_comment_after(value[closing + 1 :], number)
    inner = value[1:closing].strip()
    if not inner:
        return []
    items: list[str] = []
    start = 0
    for index, ch in _unquoted(inner):
        if ch == ",":
            items.append(inner[start:index])
            start = index + 1
        elif ch in "[]{}":
            raise FrontMatterError(number, "nested lists and maps are not supported")
    items.append(inner[start:])
    result = []
    for item in items:
        if not item.strip():
            raise FrontMatterError(number, "empty item in a list")
        if "#" in item and not item.strip().startswith(("'", '"')):
            raise FrontMatterError(number, "'#' in a list item: quote the item")
        result.append(_scalar(item, number))
    return result


def _flow_end(value: str, number: int) -> int:
    for index, ch in _unquoted(value, 1):
        if ch == "]":
            return index
        if ch in "[{":
            raise FrontMatterError(number, "nested lists and maps are not supported")
    raise FrontMatterError(number, "unterminated list (missing ']')")


# --- writing -------------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, and it is what the reader above decodes.
    return json.dumps(value, ensure_ascii=False)


def dump(meta: Mapping[str, str | bool | Sequence[str]]) -> str:
    """Front matter (with its two fences) that :func:`split` reads back to the same values."""
    lines = [FENCE]
    for name, value in meta.items():
        if isinstance(value, bool):
            lines.append(f"{name}: {'true' if value else 'false'}")
        elif isinstance(value, str):
            lines.append(f"{name}: {_quote(value)}")
        elif not value:
            lines.append(f"{name}: []")
        else:
            lines.append(f"{name}:")
            lines.extend(f"  - {_quote(item)}" for item in value)
    lines.append(FENCE)
    return "\n".join(lines) + "\n"
