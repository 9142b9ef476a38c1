"""``chatsvc kb export``: every article (or the published ones) as JSON Lines, CSV, or a folder of Markdown files.

What is written reads back through ``chatsvc kb import`` to the same articles: exports are also backups.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from chatsvc.kbtools import formats
from chatsvc.services.kb import KnowledgeBaseService


async def export_articles(
    service: KnowledgeBaseService,
    *,
    fmt: str = "jsonl",
    output: Path | None = None,
    published_only: bool = False,
    stdout: IO[str] | None = None,
) -> int:
    """Write the articles; the number written. JSON Lines and CSV go to ``output`` or standard output; Markdown
    needs ``output``, a folder (created if missing), and writes one ``ID.md`` file per article."""
    if fmt not in formats.FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use jsonl, csv or md")
    if fmt == "md":
        if output is None:
            raise ValueError("a Markdown export needs --output FOLDER")
        if output.exists() and not output.is_dir():
            raise ValueError(f"{output} exists and is not a folder")
        output.mkdir(parents=True, exist_ok=True)
        written = 0
        async for article in service.iterate(published_only=published_only):
            path = output / formats.markdown_name(article.id)
            path.write_text(formats.markdown_file(article.public()), encoding="utf-8", newline="\n")
            written += 1
        return written
    if output is None:
        return await _write(service, fmt, stdout or sys.stdout, published_only)
    with output.open("w", encoding="utf-8", newline="") as handle:  # a command-line run: nothing else waits
        return await _write(service, fmt, handle, published_only)


async def _write(service: KnowledgeBaseService, fmt: str, out: IO[str], published_only: bool) -> int:
    writer = formats.csv_writer(out) if fmt == "csv" else None
    written = 0
    async for article in service.iterate(published_only=published_only):
        values = article.public()
        if writer is not None:
            writer.writerow(formats.csv_row(values))
        else:
            out.write(formats.jsonl_line(values))
        written += 1
    out.flush()
    return written
