"""The three KB file formats, read into raw records with their place in the file, and written back.

- JSON Lines: one object per line, ``{"id", "title", "body", "alt": [...], "lang", "tags": [...], "published"}``.
- CSV: a header row with those column names; ``alt`` and ``tags`` hold their items separated by ``|`` (a ``|``
  inside an item is written ``\\|``, a backslash before one ``\\\\``); ``published`` is true or false.
- A folder of Markdown files (``*.md``, sub-folders included): front matter (see ``frontmatter``) with ``id``,
  ``title``, ``lang``, ``tags``, ``alt``, ``published``, then the body. Without an ``id``, the file's name is one.

Readers never stop at a bad record: each yields a :class:`Record` holding either the raw fields or the reason it
could not be read, with where it is, so an import reports every bad line and applies none of them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from chatsvc.kbtools import frontmatter

FIELDS = ("id", "title", "body", "alt", "lang", "tags", "published")
FORMATS = ("jsonl", "csv", "md")
SEPARATOR = "|"
# Article bodies are at most 50,000 characters; a larger field is read so the import can say so for that line.
csv.field_size_limit(1_000_000)


@dataclasses.dataclass(frozen=True)
class Record:
    where: str  # "line 12", or "faq/refunds.md" (":line" added when the error has one)
    data: dict[str, Any] | None = None
    error: str | None = None


def detect(path: Path) -> str:
    """The format of ``path`` from what it is: a folder is Markdown, else the file's extension."""
    if path.is_dir():
        return "md"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise ValueError(f"cannot tell the format of {path.name!r}: use --format jsonl, csv or md")


def count(path: Path, fmt: str) -> int:
    """How many records ``read`` will yield (roughly, for a progress bar): lines, rows or files."""
    if fmt == "md":
        return len(markdown_files(path))
    if fmt == "csv":
        return max(0, sum(1 for _ in read_csv(path)))
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def read(path: Path, fmt: str) -> Iterator[Record]:
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "csv":
        return read_csv(path)
    if fmt == "md":
        return read_markdown(path)
    raise ValueError(f"unknown format {fmt!r}")


# --- JSON Lines ----------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[Record]:
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"line {number}"
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield Record(where, error="not UTF-8 text")
                continue
            except json.JSONDecodeError as exc:
                yield Record(where, error=f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                yield Record(where, error="nested too deeply")
                continue
            if not isinstance(data, dict):
                yield Record(where, error="each line must be one JSON object")
                continue
            yield Record(where, data=data)


def jsonl_line(article: Mapping[str, Any]) -> str:
    return json.dumps({name: article[name] for name in FIELDS}, ensure_ascii=False) + "\n"


# --- CSV -----------------------------------------------------------------------------------------------


def split_items(value: str) -> list[str]:
    """``a|b\\|c`` → ``["a", "b|c"]``; only ``\\|`` and ``\\\\`` are escapes, any other backslash is kept."""
    items: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(value):
        ch = value[index]
        if ch == "\\" and value[index + 1 : index + 2] in (SEPARATOR, "\\"):
            current.append(value[index + 1])
            index += 2
            continue
        if ch == SEPARATOR:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
        index += 1
    items.append("".join(current))
    return [item for item in items if item.strip()]


def join_items(items: Sequence[str]) -> str:
    return SEPARATOR.join(item.replace("\\", "\\\\").replace(SEPARATOR, "\\" + SEPARATOR) for item in items)


def read_csv(path: Path) -> Iterator[Record]:
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield Record(f"line {line}", error="not UTF-8 text: nothing in the file was read")
        return
    dialect: type[csv.Dialect] = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield Record("line 1", error=f"the header row cannot be read ({exc}): nothing in the file was read")
        return
    columns = [name.strip().lower() for name in header]
    unknown = sorted(set(columns) - set(FIELDS))
    missing = sorted({"id", "title"} - set(columns))
    if unknown or missing or len(set(columns)) != len(columns):
        problem = (
            f"unknown columns {unknown}" if unknown else
            f"missing columns {missing}" if missing else "a column is named twice"
        )
        yield Record("line 1", error=f"header: {problem}; the columns are {', '.join(FIELDS)}")
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(f"line {start}", error=f"cannot be read as CSV ({exc}); the rest of the file was not read")
            return
        where = f"line {start}"
        start = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield Record(where, error=f"{len(row)} cells where the header has {len(columns)}")
            continue
        yield Record(where, data=_csv_values(dict(zip(columns, row, strict=True))))


def _csv_values(cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, cell in cells.items():
        if name in ("alt", "tags"):
            data[name] = split_items(cell)
        elif name == "published":
            if cell.strip():
                data[name] = cell.strip()  # a string: the importer reads true/false/yes/no/1/0
        elif name == "lang":
            if cell.strip():
                data[name] = cell
        else:
            data[name] = cell
    return data


def csv_writer(out: IO[str]) -> Any:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    return writer


def csv_row(article: Mapping[str, Any]) -> list[str]:
    return [
        article["id"], article["title"], article["body"], join_items(article["alt"]), article["lang"],
        join_items(article["tags"]), "true" if article["published"] else "false",
    ]


# --- a folder of Markdown files ------------------------------------------------------------------------


def markdown_files(folder: Path) -> list[Path]:
    """``*.md`` under ``folder``, sub-folders included, hidden ones left out, in a stable order."""
    return sorted(
        path
        for path in folder.rglob("*.md")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def read_markdown(folder: Path) -> Iterator[Record]:
    for path in markdown_files(folder):
        name = path.relative_to(folder).as_posix()
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            yield Record(name, error="not UTF-8 text")
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        try:
            meta, body, _line = frontmatter.split(text)
        except frontmatter.FrontMatterError as exc:
            yield Record(f"{name}:{exc.line}", error=str(exc).split(": ", 1)[1])
            continue
        data: dict[str, Any] = dict(meta)
        if "body" in data:
            yield Record(name, error="'body' is the text after the front matter, not a front-matter key")
            continue
        data.setdefault("id", path.stem)
        # The writer ends every file with one newline after the body; an editor may add it too.
        data["body"] = body.removesuffix("\n")
        yield Record(name, data=data)


def markdown_name(article_id: str) -> str:
    return article_id.replace(":", "_") + ".md"


def markdown_file(article: Mapping[str, Any]) -> str:
    meta = {
        "id": article["id"],
        "title": article["title"],
        "lang": article["lang"],
        "published": article["published"],
        "tags": list(article["tags"]),
        "alt": list(article["alt"]),
    }
    return frontmatter.dump(meta) + article["body"] + "\n"
