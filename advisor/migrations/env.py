"""Alembic's environment: the URL comes from our settings (or the caller), the tables from advisor.schema."""

from __future__ import annotations

from alembic import context

from advisor.database import engine
from advisor.schema import table_metadata
from advisor.settings import get_settings

config = context.config
target_metadata = table_metadata()


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_offline() -> None:
    """`--sql`: print the SQL instead of running it."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """On the connection advisor.schema passes in, else on a new one."""
    connection = config.attributes.get("connection")
    if connection is None:
        with engine(_url()).begin() as own:
            _run(own)
    else:
        _run(connection)


def _run(connection: object) -> None:
    # render_as_batch: SQLite alters a table by copying it, which batch mode writes for us
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
