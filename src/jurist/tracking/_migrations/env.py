"""Alembic's environment for the tracking store: runs on the connection jurist hands it, or on a URL.

jurist applies these migrations itself when it opens a store (``jurist.tracking._engine.migrate``);
to run them by hand: ``alembic -x url=sqlite:///jurist.db upgrade head`` with
``script_location`` set to this folder.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from jurist.tracking._schema import metadata

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
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
        raise SystemExit("give the store's URL: alembic -x url=sqlite:///jurist.db upgrade head")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
