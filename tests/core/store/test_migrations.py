"""The migrations build exactly the schema the code expects, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from baytwin.core.store.schema import metadata


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_opening_a_store_twice_is_harmless(db_url: str) -> None:
    from baytwin.core.store.database import connect

    connect(db_url).dispose()
    connect(db_url).dispose()
