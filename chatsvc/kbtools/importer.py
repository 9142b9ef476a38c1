"""``chatsvc kb import``: read a KB file or folder, check every record, upsert the good ones by id in batches.

A record is checked whole before anything is written (the same checks as the API's), so a bad line is reported
with where it is and nothing of it is applied; the good lines around it are. An id met twice in one import is
refused the second time: which of the two was meant cannot be guessed.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from chatsvc.errors import ChatError
from chatsvc.kbtools import formats
from chatsvc.services.kb import DEFAULT_LANG, ArticleDraft, KnowledgeBaseService, check_article

BATCH = 500  # articles per transaction: large imports neither hold one huge transaction nor commit per line
LARGE_IMPORT = 200  # from this many records a progress bar is shown (on a terminal)

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


@dataclasses.dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (where, why)
    dry_run: bool = False

    @property
    def applied(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        if self.dry_run:
            return (
                f"{self.created} would be created, {self.updated} would be updated, {len(self.failed)} failed "
                "(dry run: nothing was written)"
            )
        return f"{self.created} created, {self.updated} updated, {len(self.failed)} failed"


def _string(data: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = data.get(name, default)
    if value is None:
        raise ValueError(f"{name!r} is required")
    if not isinstance(value, str):
        raise ValueError(f"{name!r} must be a string")  # noqa: TRY004 - a bad line, reported like any other
    return value


def _strings(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name!r} must be a list of strings")
    return value


def _published(data: Mapping[str, Any]) -> bool:
    value = data.get("published", True)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("'published' must be true or false")


def draft_from(data: Mapping[str, Any]) -> ArticleDraft:
    """One raw record (any format) checked into an article; ValueError or ChatError says what is wrong."""
    unknown = sorted(set(data) - set(formats.FIELDS))
    if unknown:
        raise ValueError(f"unknown fields {unknown}; the fields are {', '.join(formats.FIELDS)}")
    return check_article(
        id=_string(data, "id"),
        title=_string(data, "title"),
        body=_string(data, "body", ""),
        alt=_strings(data, "alt"),
        tags=_strings(data, "tags"),
        lang=_string(data, "lang", DEFAULT_LANG),
        published=_published(data),
    )


def _progress_bar(total: int, show: bool | None, stream: IO[str]) -> Any:
    from tqdm import tqdm

    if show is None:
        show = total >= LARGE_IMPORT and stream.isatty()
    return tqdm(total=total, unit="article", desc="import", file=stream, disable=not show, leave=True)


async def import_records(
    service: KnowledgeBaseService,
    records: Iterable[formats.Record],
    *,
    total: int = 0,
    dry_run: bool = False,
    progress: bool | None = None,
    stream: IO[str] | None = None,
    batch_size: int = BATCH,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    seen: dict[str, str] = {}  # id -> where it was first met
    batch: list[tuple[str, ArticleDraft]] = []

    async def flush() -> None:
        if not batch:
            return
        if dry_run:
            # Counted as the write would count them: ids already in the database are updates.
            existing = await service.existing([d.id for _, d in batch if d.id is not None])
            report.updated += sum(1 for _, d in batch if d.id in existing)
            report.created += sum(1 for _, d in batch if d.id not in existing)
        else:
            try:
                created, updated = await service.upsert([draft for _, draft in batch])
            except ChatError as exc:
                report.failed.extend((where, exc.message) for where, _ in batch)
            else:
                report.created += len(created)
                report.updated += len(updated)
        batch.clear()

    with _progress_bar(total, progress, stream or sys.stderr) as bar:
        for record in records:
            bar.update(1)
            if record.error is not None or record.data is None:
                report.failed.append((record.where, record.error or "unreadable"))
                continue
            try:
                draft = draft_from(record.data)
            except (ValueError, ChatError) as exc:
                report.failed.append((record.where, exc.message if isinstance(exc, ChatError) else str(exc)))
                continue
            assert draft.id is not None  # draft_from requires one
            if draft.id in seen:
                report.failed.append((record.where, f"the id {draft.id!r} was already imported from {seen[draft.id]}"))
                continue
            seen[draft.id] = record.where
            batch.append((record.where, draft))
            if len(batch) >= batch_size:
                await flush()
        await flush()
    return report


async def import_path(
    service: KnowledgeBaseService,
    path: Path,
    *,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: bool | None = None,
    stream: IO[str] | None = None,
) -> ImportReport:
    """Import a JSON Lines or CSV file, or a folder of Markdown files (format from the path unless given)."""
    fmt = fmt or formats.detect(path)
    if fmt == "md" and not path.is_dir():
        raise ValueError(f"{path} is not a folder: Markdown articles are imported from a folder of .md files")
    if fmt != "md" and not path.is_file():
        raise ValueError(f"{path} is not a file")
    total = formats.count(path, fmt)
    return await import_records(
        service, formats.read(path, fmt), total=total, dry_run=dry_run, progress=progress, stream=stream
    )
