"""Alembic environment: runs on the connection handed in by ``core.store.database.upgrade``."""

from alembic import context

from baytwin.core.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("run migrations through core.store.database.upgrade")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
