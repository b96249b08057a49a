"""Alembic's environment for the gateway's tables, a migration stream of its own.

Its revisions are recorded in ``alembic_version_gateway``, so they never mix with the tracking
store's. jurist applies them when the gateway starts; by hand:
``alembic -c /dev/null -x url=sqlite:///jurist.db upgrade head`` with ``script_location`` set to this folder.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from jurist.gateway._db import VERSION_TABLE, metadata

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # Only the gateway's own tables: the tracking store's are another stream's business.
        include_name=lambda name, type_, _parent: type_ != "table" or str(name).startswith("gateway_"),
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database URL: alembic -x url=sqlite:///jurist.db upgrade head")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
