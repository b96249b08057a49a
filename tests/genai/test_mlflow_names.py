"""Every MLflow name docs/mlflow.md lists for runs, the client, prompts and autologging is importable
from the jurist path that replaces ``mlflow``, and MLflow names jurist lacks fail saying what to do."""

from __future__ import annotations

import importlib

import pytest

import jurist

TOP_LEVEL = ["start_run", "active_run", "last_active_run", "end_run", "log_param", "log_params", "log_metric",
             "log_metrics", "set_tag", "set_tags", "delete_tag", "get_run", "search_runs", "MlflowClient",
             "get_experiment", "get_experiment_by_name", "search_experiments", "create_experiment", "set_experiment",
             "set_trace_tag", "delete_trace_tag", "get_assessment", "update_assessment", "delete_assessment",
             "search_traces", "get_trace", "log_feedback", "log_expectation", "log_assessment", "trace", "start_span",
             "update_current_trace", "get_last_active_trace_id", "flush_trace_async_logging", "set_tracking_uri",
             # MLflow 3.0 had the prompt registry at the top level (mlflow.register_prompt …)
             "register_prompt", "load_prompt", "search_prompts", "set_prompt_alias", "delete_prompt_alias"]
GENAI = ["register_prompt", "load_prompt", "search_prompts", "set_prompt_alias", "delete_prompt_alias",
         "set_prompt_tag", "delete_prompt_tag", "get_prompt_tags", "delete_prompt", "delete_prompt_version",
         "PromptVersion", "Prompt", "evaluate", "scorer", "Scorer", "to_predict_fn", "make_judge"]


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_names(name: str) -> None:
    assert callable(getattr(jurist, name))


@pytest.mark.parametrize("name", GENAI)
def test_genai_names(name: str) -> None:
    assert getattr(jurist.genai, name) is getattr(importlib.import_module("jurist.genai"), name)


def test_client_import_paths_and_autolog_modules() -> None:
    from jurist.tracking import MlflowClient

    assert jurist.MlflowClient is MlflowClient
    for module in ("openai", "anthropic", "litellm"):
        assert callable(getattr(jurist, module).autolog)


@pytest.mark.parametrize(("name", "hint"), [("log_artifact", "no artifacts"), ("set_active_model", "logged models"),
                                            ("langchain", "@jurist.trace")])
def test_names_jurist_lacks_say_what_to_do(name: str, hint: str) -> None:
    with pytest.raises(AttributeError, match=hint):
        getattr(jurist, name)


def test_the_default_experiment_always_exists() -> None:
    default = jurist.get_experiment("0")
    assert default.name == "Default" and jurist.get_experiment_by_name("Default") == default
    jurist.create_experiment("listed", tags={"team": "qa"})
    assert [e.name for e in jurist.search_experiments(filter_string="tags.team = 'qa'")] == ["listed"]
