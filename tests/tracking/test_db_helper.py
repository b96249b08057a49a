"""The SQL counting helper the tracking tests share."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.tracking._db import count


def test_count_reads_the_number_and_a_null_as_zero(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'c.db'}"
    engine = create_engine(uri)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
    engine.dispose()
    assert count(uri, "SELECT count(*) FROM t") == 3
    assert count(uri, "SELECT sum(n) FROM t WHERE n > 1") == 5
    assert count(uri, "SELECT max(n) FROM t WHERE n > 9") == 0  # NULL: nothing matched
