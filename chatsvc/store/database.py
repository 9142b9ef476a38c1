"""The database handle: plain URLs mapped to async drivers, pragmas, and migrations applied at start."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("chatsvc.store")

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number works; it only has to be the same in every chatsvc process on one database.
MIGRATION_LOCK_KEY = 0x63686174
SQLITE_READERS = 4  # read connections beside SQLite's single writer


def async_url(url: str) -> sa.URL:
    """``sqlite:///path`` and ``postgresql://user@host/db`` (or ``postgres://``) to their async drivers."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://")


def describe(url: str) -> str:
    """The URL without its password, for log lines."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # SQLite takes one writer at a time: one connection serialises our short transactions
            # instead of failing them with "database is locked".
            kwargs.update(pool_size=1, max_overflow=0, connect_args={"timeout": 30})
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        # Reads outside a write transaction. On SQLite (WAL) they get connections of their own so they never
        # wait behind the one writer; on PostgreSQL the one pool serves both.
        self.read_engine: AsyncEngine = self.engine
        if self.is_sqlite:
            sa.event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            self.read_engine = create_async_engine(
                self.url, pool_size=SQLITE_READERS, max_overflow=0, connect_args={"timeout": 30}
            )
            sa.event.listen(self.read_engine.sync_engine, "connect", _sqlite_reader_pragmas)
        self._locks: dict[str, asyncio.Lock] = {}
        # PostgreSQL: advisory locks are held on connections of their own, in AUTOCOMMIT (a session lock: no
        # transaction stays open while it is held), so that a dead process's session ends and frees its locks.
        self._lock_engine: AsyncEngine | None = None

    async def migrate(self) -> None:
        """Bring the schema to the newest migration. Processes starting together take turns: a PostgreSQL
        advisory lock, or on SQLite a lock on a file beside the database."""
        async with _sqlite_migration_lock(self.url if self.is_sqlite else None):
            await self._migrate()

    async def _migrate(self) -> None:
        async with self.engine.connect() as conn:
            if not self.is_sqlite:
                await conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                await conn.commit()
            try:
                await conn.run_sync(_upgrade)
                await conn.commit()
            finally:
                if not self.is_sqlite:
                    await conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                    await conn.commit()

    @contextlib.asynccontextmanager
    async def cluster_lock(self, name: str) -> AsyncIterator[None]:
        """One holder at a time across every process on this database: an asyncio lock in this process, then on
        PostgreSQL ``pg_advisory_lock`` (SQLite serves one process: the asyncio lock is enough). Not reentrant."""
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            if self.is_sqlite:
                yield
                return
            if self._lock_engine is None:
                self._lock_engine = create_async_engine(
                    self.url, pool_size=1, max_overflow=2, pool_pre_ping=True, isolation_level="AUTOCOMMIT"
                )
            key = cluster_lock_key(name)
            async with self._lock_engine.connect() as conn:
                try:
                    await conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})
                except BaseException:
                    # Cancelled or failed while waiting: the lock may have been granted meanwhile; dropping the
                    # connection ends its session, and with it any lock it holds.
                    await conn.invalidate()
                    raise
                try:
                    yield
                finally:
                    try:
                        await conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    except BaseException:
                        log.warning("could not release cluster lock %r; dropping its connection", name)
                        await conn.invalidate()
                        raise

    async def ping(self) -> bool:
        try:
            async with self.read_engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - health check: any failure means unhealthy
            log.warning("database ping failed", exc_info=True)
            return False

    def begin(self) -> Any:
        """A transaction: ``async with db.begin() as conn``; committed on success, rolled back on error."""
        return self.engine.begin()

    def connect(self) -> Any:
        """A connection for reads (``async with db.connect() as conn``); writes go through ``begin``."""
        return self.read_engine.connect()

    @contextlib.asynccontextmanager
    async def within(self, conn: AsyncConnection | None) -> AsyncIterator[AsyncConnection]:
        """``conn`` when the caller is inside a transaction already (one change spanning two stores, such as a
        chat that becomes a ticket), else a transaction of its own, committed on success."""
        if conn is not None:
            yield conn
            return
        async with self.engine.begin() as fresh:
            yield fresh

    async def upsert(
        self,
        table: sa.Table,
        key: sa.Column[Any],
        key_value: str,
        values: Mapping[str, Any],
        *,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        """Write ``values`` into the row whose ``key`` is ``key_value``, or insert that row, with ``defaults``
        for the columns ``values`` leaves out. Only ``values`` reach an existing row, so two writers changing
        different columns both keep their change. Two first saves at the same moment both end as an update.
        An insert refused twice (a foreign key: the parent row was deleted) raises its IntegrityError."""
        refused: sa.exc.IntegrityError | None = None
        for _attempt in range(2):
            async with self.begin() as conn:
                result = await conn.execute(table.update().where(key == key_value).values(**values))
                if result.rowcount:
                    return
                try:
                    async with conn.begin_nested():
                        row = {**(defaults or {}), **values, key.name: key_value}
                        await conn.execute(table.insert().values(**row))
                    return
                except sa.exc.IntegrityError as exc:
                    refused = exc  # the other save inserted it first: update it instead
        assert refused is not None
        raise refused

    async def close(self) -> None:
        if self._lock_engine is not None:
            await self._lock_engine.dispose()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def cluster_lock_key(name: str) -> int:
    """A name's advisory lock key: a signed 64-bit number, the same in every process."""
    return int.from_bytes(hashlib.blake2b(f"chatsvc:{name}".encode(), digest_size=8).digest(), "big", signed=True)


@contextlib.asynccontextmanager
async def _sqlite_migration_lock(url: sa.URL | None) -> AsyncIterator[None]:
    database = url.database if url is not None else None
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.migrate-lock", "a") as handle:
        # Waited for in a thread: another process (or task) may hold it for the length of its migrations.
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed (and so acknowledged) message survives a power cut, not only a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA query_only=ON")  # a reader that tried to write would be a bug: make it loud
    cursor.close()


def _upgrade(connection: sa.Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


__all__ = ["AsyncConnection", "Database", "async_url", "describe"]
