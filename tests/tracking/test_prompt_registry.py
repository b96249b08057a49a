"""The prompt registry (revision 0003) on SQLite, PostgreSQL and a jurist server: versions numbered per
name and never changed, aliases that move, URIs in MLflow's forms, chat templates, search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import jurist
from jurist.errors import ConfigError, NotFoundError
from jurist.tracking import set_tracking_uri


@pytest.fixture
def registry(store: Any) -> Iterator[Any]:
    """The fluent prompt functions aimed at each backend."""
    set_tracking_uri(store.uri)
    yield store
    set_tracking_uri(None)


def test_versions_are_numbered_and_never_change(registry: Any) -> None:
    v1 = jurist.genai.register_prompt(name="qa", template="Answer {{ question }} briefly.",
                                      commit_message="first", tags={"task": "qa"})
    v2 = jurist.genai.register_prompt(name="qa", template="Answer {{ question }} in {{ language }}.",
                                      commit_message="second")
    assert (v1.version, v2.version) == (1, 2)
    assert v1.uri == "prompts:/qa/1" and v1.tags == {"task": "qa"} and v2.tags == {}
    again = jurist.genai.load_prompt("prompts:/qa/1")
    assert again is not None
    assert again.template == "Answer {{ question }} briefly." and again.commit_message == "first"
    latest = jurist.genai.load_prompt("qa")
    assert latest is not None and latest.version == 2 and latest.variables == {"question", "language"}
    assert latest.format(question="Why?", language="French") == "Answer Why? in French."
    by_number = jurist.genai.load_prompt("qa", version=1)
    assert by_number is not None and by_number.version == 1
    assert [v.version for v in jurist.genai.search_prompt_versions("qa")] == [1, 2]


def test_aliases_move_and_resolve(registry: Any) -> None:
    for text in ("one {{ x }}", "two {{ x }}"):
        jurist.genai.register_prompt(name="greeter", template=text)
    jurist.genai.set_prompt_alias("greeter", alias="production", version=1)
    prod = jurist.genai.load_prompt("prompts:/greeter@production")
    assert prod is not None and prod.version == 1 and prod.aliases == ["production"]
    jurist.genai.set_prompt_alias("greeter", alias="production", version=2)
    prod = jurist.genai.load_prompt("prompts:/greeter@production")
    assert prod is not None and prod.version == 2
    latest = jurist.genai.load_prompt("prompts:/greeter@latest")
    assert latest is not None and latest.version == 2
    jurist.genai.delete_prompt_alias("greeter", alias="production")
    with pytest.raises(NotFoundError, match="alias 'production'"):
        jurist.genai.load_prompt("prompts:/greeter@production")
    with pytest.raises(NotFoundError):
        jurist.genai.set_prompt_alias("greeter", alias="staging", version=9)
    with pytest.raises(ConfigError, match="latest"):
        jurist.genai.set_prompt_alias("greeter", alias="latest", version=1)


def test_chat_templates_format_to_messages(registry: Any) -> None:
    p = jurist.genai.register_prompt(name="chat", template=[
        {"role": "system", "content": "You are a {{ style }} assistant."},
        {"role": "user", "content": "{{ question }}"},
    ])
    loaded = jurist.genai.load_prompt(p.uri)
    assert loaded is not None and not loaded.is_text_prompt
    assert loaded.format(style="terse", question="Hi?") == [
        {"role": "system", "content": "You are a terse assistant."}, {"role": "user", "content": "Hi?"}]


def test_search_and_tags(registry: Any) -> None:
    jurist.genai.register_prompt(name="summarizer", template="Sum {{ t }}")
    jurist.genai.register_prompt(name="qa-bot", template="Q {{ q }}")
    jurist.genai.set_prompt_tag("qa-bot", "team", "support")
    assert [p.name for p in jurist.genai.search_prompts()] == ["qa-bot", "summarizer"]
    assert [p.name for p in jurist.genai.search_prompts("name LIKE '%sum%'")] == ["summarizer"]
    assert [p.name for p in jurist.genai.search_prompts("tags.team = 'support'")] == ["qa-bot"]
    assert jurist.genai.get_prompt_tags("qa-bot") == {"team": "support"}
    jurist.genai.delete_prompt_tag("qa-bot", "team")
    assert jurist.genai.get_prompt_tags("qa-bot") == {}
    with pytest.raises(ConfigError, match="search_prompts filter"):
        jurist.genai.search_prompts("version > 2")


def test_bad_input_and_missing_prompts_say_what_to_do(registry: Any) -> None:
    with pytest.raises(ConfigError, match="template"):
        jurist.genai.register_prompt(name="x", template="")
    with pytest.raises(ConfigError, match="prompt name"):
        jurist.genai.register_prompt(name="bad name!", template="hi")
    with pytest.raises(NotFoundError, match="search_prompts"):
        jurist.genai.load_prompt("prompts:/nothing/1")
    assert jurist.genai.load_prompt("nothing", allow_missing=True) is None
    p = jurist.genai.register_prompt(name="needs", template="{{ a }} and {{ b }}")
    with pytest.raises(ConfigError, match="needs a value for b"):
        p.format(a="1")
    partial = p.format(allow_partial=True, a="1")
    assert partial.template == "1 and {{ b }}" and partial.format(b="2") == "1 and 2"
    with pytest.raises(ConfigError, match="prompts:/"):
        jurist.genai.load_prompt("prompts:/needs/one")


def test_deleting_a_version_and_a_prompt(registry: Any) -> None:
    for text in ("a", "b"):
        jurist.genai.register_prompt(name="gone", template=text)
    jurist.genai.delete_prompt_version("gone", 2)
    latest = jurist.genai.load_prompt("gone")
    assert latest is not None and latest.version == 1
    # A deleted version's number is never given again: prompts:/gone/2 never means another template.
    assert jurist.genai.register_prompt(name="gone", template="c").version == 3
    with pytest.raises(NotFoundError):
        jurist.genai.load_prompt("prompts:/gone/2")
    jurist.genai.delete_prompt("gone")
    assert jurist.genai.search_prompts() == []


def test_concurrent_registrations_get_distinct_versions(registry: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def register(i: int) -> int:
        return jurist.genai.register_prompt(name="raced", template=f"variant {i} {{{{ x }}}}").version

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = sorted(pool.map(register, range(8)))
    assert versions == list(range(1, 9))
    templates = {v.template for v in jurist.genai.search_prompt_versions("raced")}
    assert templates == {f"variant {i} {{{{ x }}}}" for i in range(8)}
