"""Every store test runs against SQLite and, where one is available, a real PostgreSQL server.

PostgreSQL is used when ``BAYTWIN_TEST_PG_URL`` is set (CI starts a server with
``scripts/postgres-for-tests.sh``); under CI its absence is an error, not a skip.
Each test gets an empty database: a fresh SQLite file, or a fresh PostgreSQL schema.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store.database import connect

PG_URL = os.environ.get("BAYTWIN_TEST_PG_URL")
BACKENDS = ["sqlite", "postgresql"]


def _pg_available() -> None:
    if PG_URL:
        return
    if os.environ.get("CI"):
        pytest.fail("BAYTWIN_TEST_PG_URL is not set: CI must test the store on PostgreSQL")
    pytest.skip("no PostgreSQL (set BAYTWIN_TEST_PG_URL, e.g. from scripts/postgres-for-tests.sh)")


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    _pg_available()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)  # type: ignore[arg-type]
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"  # type: ignore[operator]
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = connect(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def keys() -> Keys:
    return Keys.from_text(generate_key(), "test key")
