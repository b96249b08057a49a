"""``--scorer`` specs turned into built-in judges."""

from __future__ import annotations

import pytest

from jurist.cli._specs import DEFAULT_SCORERS, build_scorers, judge_classes, parse_spec, takes_guidelines
from jurist.errors import ConfigError
from jurist.judges import BUILTIN, Correctness, Guidelines, RelevanceToQuery

MODEL = "openai:/gpt-4o-mini"


def test_every_builtin_judge_has_a_scorer_name() -> None:
    classes = judge_classes()
    assert len(classes) == len(BUILTIN)
    assert {c.__name__ for c in classes.values()} == set(BUILTIN)
    assert set(DEFAULT_SCORERS) <= set(classes)
    assert sorted(n for n, c in classes.items() if takes_guidelines(c)) == ["conversational_guidelines", "guidelines"]


def test_parse_spec() -> None:
    assert parse_spec("correctness").judge == "correctness"
    s = parse_spec("english=guidelines: Answer in English: always ")
    assert (s.name, s.judge, s.text) == ("english", "guidelines", "Answer in English: always")
    assert parse_spec("guidelines:a=b").name is None  # '=' after the colon is guideline text


def test_names_classes_and_dashes_all_resolve() -> None:
    judges = build_scorers(["correctness", "RelevanceToQuery", "Safety"], model=MODEL)
    assert [j.name for j in judges] == ["correctness", "relevance_to_query", "safety"]
    assert isinstance(build_scorers(["relevance-to-query"], model=MODEL)[0], RelevanceToQuery)


def test_repeated_guidelines_make_one_judge_with_a_list() -> None:
    (judge,) = build_scorers(["guidelines:Answer in English", "guidelines:Be polite", "guidelines:Be polite"],
                             model=MODEL)
    assert isinstance(judge, Guidelines)
    assert judge.name == "guidelines"
    assert judge.guidelines == ["Answer in English", "Be polite"]


def test_named_guidelines_are_separate_judges() -> None:
    english, polite = build_scorers(["english=guidelines:Answer in English", "polite=guidelines:Be polite"],
                                    model=MODEL)
    assert isinstance(english, Guidelines) and isinstance(polite, Guidelines)
    assert (english.name, english.guidelines) == ("english", ["Answer in English"])
    assert (polite.name, polite.guidelines) == ("polite", ["Be polite"])


def test_model_and_names_reach_the_judges() -> None:
    strict, plain = build_scorers(["strict=correctness", "correctness", "correctness"], model="anthropic:/claude-x")
    assert isinstance(strict, Correctness) and strict.name == "strict"
    assert plain.name == "correctness"
    assert strict.model == plain.model == "anthropic:/claude-x"


@pytest.mark.parametrize(("specs", "message"), [
    (["corectness"], "Did you mean 'correctness'?"),
    (["guidelines"], "needs the guideline"),
    (["guidelines:"], "no text after ':'"),
    (["correctness:be nice"], "takes no text"),
    (["x=correctness", "x=safety"], "two scorers are named 'x'"),
    (["a b=safety"], "may use only"),
    ([":text"], "names no judge"),
])
def test_bad_specs_are_config_errors(specs: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?").replace("(", r"\(")):
        build_scorers(specs, model=MODEL)


def test_unknown_name_lists_every_known_scorer() -> None:
    with pytest.raises(ConfigError) as e:
        build_scorers(["nonsense"], model=MODEL)
    text = str(e.value)
    assert "\n" not in text
    for name in judge_classes():
        assert name in text
