"""Reading a tracking store's tables straight from SQL, the way the tests check what was written."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def count(uri: str, sql: str) -> int:
    """The single number ``sql`` selects (``SELECT count(*) ...``) from the database at ``uri``; 0 for NULL.

    Each call opens its own engine and disposes of it, so no connection outlives the check.
    """
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    finally:
        engine.dispose()
