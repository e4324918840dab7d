"""Connecting to the store: SQLite (WAL) embedded by default, PostgreSQL by URL.

    --db URL  or  BAYTWIN_DB_URL=postgresql+psycopg://user:pass@host/db

The schema is created and kept current by the Alembic migrations beside this
module; opening a store runs them.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

DEFAULT_URL = "sqlite:///baytwin.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreProblem(Exception):
    """The database could not be opened or used; the message says why."""


def resolve_url(url: str | None) -> str:
    return url or os.environ.get("BAYTWIN_DB_URL") or DEFAULT_URL


def connect(url: str | None = None, migrate: bool = True) -> Engine:
    """An engine for ``url`` with the schema brought up to date.

    Every way opening can fail (not a URL, a database we do not support, a
    driver that is not installed, a server that refuses) becomes one
    ``StoreProblem`` naming the database, so callers have a single error to
    turn into a message.
    """
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreProblem(f"{url}: not a database URL (e.g. sqlite:///baytwin.db or postgresql+psycopg://host/db)") from None
    where = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 60})
            _sqlite_durable_and_serialized(engine)
        elif parsed.get_backend_name() == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            engine = create_engine(parsed, pool_pre_ping=True)
        else:
            raise StoreProblem(f"{where}: only SQLite and PostgreSQL are supported")
    except (ImportError, NoSuchModuleError) as err:
        raise StoreProblem(f"{where}: the database driver {parsed.drivername!r} is not installed ({err})") from None
    if migrate:
        try:
            upgrade(engine)
        except DBAPIError as err:
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err).splitlines()[0]
            raise StoreProblem(f"{where}: cannot open the database ({reason})") from None
    return engine


def _sqlite_durable_and_serialized(engine: Engine) -> None:
    """WAL for concurrent readers; every transaction takes the write lock at BEGIN.

    ``BEGIN IMMEDIATE`` makes concurrent writers queue up (up to the busy
    timeout) instead of failing half-way, which the hash chain needs: reading
    the chain head and appending after it must be one atomic step.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_existing(url: str) -> Engine:
    """An engine for a store that must already exist, for checks that must not create or migrate one.

    An audit that opened a mistyped path would otherwise create an empty database and
    call it intact; here a missing SQLite file, an unreachable server or a database
    without the store's tables is one ``StoreProblem``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreProblem(f"{url}: not a database URL (e.g. sqlite:///baytwin.db or postgresql+psycopg://host/db)") from None
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StoreProblem(f"{where}: an in-memory database has nothing to check; give a database file")
        if not Path(parsed.database).is_file():
            raise StoreProblem(f"{parsed.database}: no such database file")
    engine = connect(url, migrate=False)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
    except DBAPIError as err:
        reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err).splitlines()[0]
        raise StoreProblem(f"{where}: cannot open the database ({reason})") from None
    missing = {"event_log", "chain_heads", "store_meta"} - tables
    if missing:
        raise StoreProblem(f"{where}: not a baytwin store (no {', '.join(sorted(missing))} table)")
    return engine
