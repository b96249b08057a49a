"""The builder's form as data: checked by make_judge, stored judges read back, built-in templates."""

from __future__ import annotations

import pytest

from jurist.judges import builtin_judges, judge_from_dict
from jurist.ui import _judge_form as jf


def _form(**kw: str) -> jf.JudgeForm:
    base = {"name": "tone", "instructions": "Is {{ outputs }} polite?", "model_choice": "fake:/"}
    return jf.JudgeForm.from_fields({**base, **kw})


def test_a_good_form_is_a_make_judge_definition() -> None:
    checked = jf.check(_form(output_type="int_range", int_min="1", int_max="5"))
    assert checked.errors == [] and checked.definition is not None
    assert checked.variables == ["outputs"]
    assert checked.definition["feedback_value_type"].endswith("Literal[1, 2, 3, 4, 5]")
    assert "base_url" not in checked.definition
    judge = judge_from_dict(checked.definition)
    assert judge.name == "tone" and judge.model == "fake:/"


@pytest.mark.parametrize(("fields", "message"), [
    ({"instructions": "Is {{ output }} polite?"}, "unknown template variable"),
    ({"instructions": "Is it polite?"}, "at least one of"),
    ({"instructions": "{% if x %}{{ outputs }}{% endif %}"}, "template logic"),
    ({"name": ""}, "Give the judge a name"),
    ({"name": "a/b"}, "may hold letters"),
    ({"scope": "session"}, "use {{ conversation }}"),
    ({"instructions": "Was {{ conversation }} kind?"}, "pick the session scope"),
    ({"output_type": "int_range", "int_min": "5", "int_max": "1"}, "below the lowest"),
    ({"output_type": "int_range", "int_min": "0", "int_max": "1000"}, "at most 101"),
    ({"output_type": "categories", "categories": "good"}, "at least two"),
    ({"output_type": "categories", "categories": "a, a"}, "appear once"),
    ({"model_choice": ""}, "Pick a model"),
    ({"model_choice": "typed", "model_uri": "gpt-4o"}, "not a model URI"),
])
def test_a_bad_form_says_what_to_fix(fields: dict[str, str], message: str) -> None:
    checked = jf.check(_form(**fields))
    assert checked.definition is None
    assert any(message in e for e in checked.errors), checked.errors


def test_a_browser_textarea_line_ending_is_kept_as_newline() -> None:
    checked = jf.check(_form(instructions="Line one\r\nIs {{ outputs }} polite?"))
    assert checked.definition is not None and "\r" not in checked.definition["instructions"]


@pytest.mark.parametrize("fields", [
    {"output_type": "yesno"}, {"output_type": "bool"}, {"output_type": "float"},
    {"output_type": "int_range", "int_min": "0", "int_max": "10"},
    {"output_type": "categories", "categories": "good, fair, poor"},
    {"scope": "session", "instructions": "Was {{ conversation }} kind?"},
])
def test_a_stored_judge_reads_back_as_the_same_form(fields: dict[str, str]) -> None:
    checked = jf.check(_form(**fields))
    assert checked.definition is not None
    again = jf.check(jf.form_of(checked.definition))
    assert again.definition == checked.definition


@pytest.mark.parametrize("kind", sorted(builtin_judges()))
def test_every_built_in_template_is_a_valid_judge(kind: str) -> None:
    t = jf.template(kind)
    assert "{{" in t["instructions"] and "<request>" not in t["instructions"]
    checked = jf.check(_form(name=t["name"], instructions=t["instructions"], output_type=t["output_type"],
                             categories=t["categories"], scope=t["scope"]))
    assert checked.errors == [], checked.errors


def test_session_templates_have_the_session_scope() -> None:
    assert jf.template("UserFrustration")["scope"] == "session"
    assert jf.template("UserFrustration")["categories"] == "none, resolved, unresolved"
    assert jf.template("Correctness")["scope"] == "trace"
