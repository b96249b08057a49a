import sqlite3

from jurist.models._cache import ResponseCache


def test_each_answer_is_on_disk_as_soon_as_it_is_cached(tmp_path):  # type: ignore[no-untyped-def]
    # A process killed right after an answer came back must not pay for it again: the next process (here,
    # another connection) reads it without any flush or close.
    cache = ResponseCache(tmp_path / "responses.sqlite")
    cache.put("k1", {"text": "yes"})
    other = sqlite3.connect(str(tmp_path / "responses.sqlite"))
    try:
        assert other.execute("SELECT count(*) FROM responses WHERE key = 'k1'").fetchone() == (1,)
    finally:
        other.close()
    assert ResponseCache(tmp_path / "responses.sqlite").get("k1") == {"text": "yes"}
    cache.close()
