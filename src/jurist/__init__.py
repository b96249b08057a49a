"""jurist: LLM-as-a-Judge that is fast, cheap, and agrees with people.

The public API, re-exported lazily: ``import jurist`` loads nothing heavy; each name is imported on
first use.

Example:
    >>> from jurist import evaluate, make_judge, scorer, Feedback
    >>> from jurist.judges import Correctness
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Feedback": "jurist.entities",
    "Expectation": "jurist.entities",
    "AssessmentSource": "jurist.entities",
    "AssessmentSourceType": "jurist.entities",
    "AssessmentError": "jurist.entities",
    "Trace": "jurist.entities",
    "Span": "jurist.entities",
    "Scorer": "jurist.scorers",
    "scorer": "jurist.scorers",
    "make_judge": "jurist.judges",
    "make_pairwise_judge": "jurist.judges",
    "Jury": "jurist.judges",
    "make_scorer_ensemble": "jurist.judges",
    "evaluate": "jurist.evaluation",
    "EvaluationResult": "jurist.evaluation",
    "compare_evaluations": "jurist.evaluation",
    "evaluate_pairwise": "jurist.evaluation",
    "probe": "jurist.evaluation",
    "meta_evaluate": "jurist.evaluation",
    "JuristError": "jurist.errors",
    "ConfigError": "jurist.errors",
    "trace": "jurist.tracing",
    "start_span": "jurist.tracing",
    "get_current_active_span": "jurist.tracing",
    "get_last_active_trace_id": "jurist.tracing",
    "get_last_active_trace": "jurist.tracing",
    "get_trace": "jurist.tracing",
    "SpanType": "jurist.tracing",
    "update_current_trace": "jurist.tracing",
    "Document": "jurist.entities",
    "flush_trace_async_logging": "jurist.tracing._export",
    "set_tracking_uri": "jurist.tracking",
    "get_tracking_uri": "jurist.tracking",
    "set_experiment": "jurist.tracking",
    "create_experiment": "jurist.tracking",
    "log_feedback": "jurist.tracking",
    "log_expectation": "jurist.tracking",
    "log_assessment": "jurist.tracking",
    "log_trace": "jurist.tracking",
    "search_traces": "jurist.tracking",
    "get_run": "jurist.tracking",
    "search_runs": "jurist.tracking",
    "register_judge": "jurist.tracking",
    "get_experiment": "jurist.tracking",
    "register_prompt": "jurist.tracking._prompt_api",  # MLflow 3.0's top-level names; mlflow.genai.* since
    "load_prompt": "jurist.tracking._prompt_api",
    "search_prompts": "jurist.tracking._prompt_api",
    "set_prompt_alias": "jurist.tracking._prompt_api",
    "delete_prompt_alias": "jurist.tracking._prompt_api",
    "get_experiment_by_name": "jurist.tracking",
    "search_experiments": "jurist.tracking",
    "start_run": "jurist.tracking",
    "active_run": "jurist.tracking",
    "end_run": "jurist.tracking",
    "last_active_run": "jurist.tracking",
    "log_param": "jurist.tracking",
    "log_params": "jurist.tracking",
    "log_metric": "jurist.tracking",
    "log_metrics": "jurist.tracking",
    "set_tag": "jurist.tracking",
    "set_tags": "jurist.tracking",
    "delete_tag": "jurist.tracking",
    "MlflowClient": "jurist.tracking",
    "set_trace_tag": "jurist.tracing._trace_tags",
    "delete_trace_tag": "jurist.tracing._trace_tags",
    "get_assessment": "jurist.tracking",
    "update_assessment": "jurist.tracking",
    "delete_assessment": "jurist.tracking",
    "get_judge": "jurist.tracking",
    "list_judge_versions": "jurist.tracking",
    "start_monitor": "jurist.evaluation",
    "reset": "jurist._runtime",
    "close": "jurist._runtime",
}

_MODULES = ("genai", "openai", "anthropic", "litellm", "tracking", "tracing", "entities")

_NO_ARTIFACTS = ("jurist keeps no artifacts or logged models (runs hold parameters, metrics, tags, rows and "
                 "feedback); log values with log_param/log_metric/set_tag, or traces with @jurist.trace")
#: MLflow names jurist does not have, and what to do instead (a clear error rather than a bare AttributeError).
_NOT_IN_JURIST = {
    **dict.fromkeys(("log_artifact", "log_artifacts", "log_dict", "log_text", "log_table", "log_image",
                     "log_figure", "log_input", "log_model", "set_active_model", "create_external_model",
                     "initialize_logged_model", "get_logged_model", "search_logged_models", "pyfunc",
                     "register_model"), _NO_ARTIFACTS),
    **dict.fromkeys(("langchain", "llama_index", "dspy", "bedrock", "gemini", "mistral", "groq", "crewai",
                     "autogen", "smolagents", "pydantic_ai", "strands", "agno", "semantic_kernel"),
                    "jurist autologs the openai, anthropic and litellm packages (jurist.openai.autolog() …); trace "
                    "other libraries' calls with @jurist.trace or jurist.start_span"),
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:  # MLflow's module paths: ``jurist.genai.evaluate``, ``jurist.openai.autolog`` …
        return importlib.import_module(f"jurist.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        hint = _NOT_IN_JURIST.get(name)
        raise AttributeError(f"module 'jurist' has no attribute {name!r}" + (f": {hint}" if hint else ""))
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
    from jurist import anthropic, genai, litellm, openai
    from jurist._runtime import close, reset
    from jurist.entities import (
        AssessmentError,
        AssessmentSource,
        AssessmentSourceType,
        Document,
        Expectation,
        Feedback,
        Span,
        Trace,
    )
    from jurist.errors import ConfigError, JuristError
    from jurist.evaluation import (
        EvaluationResult,
        compare_evaluations,
        evaluate,
        evaluate_pairwise,
        meta_evaluate,
        probe,
        start_monitor,
    )
    from jurist.judges import Jury, make_judge, make_pairwise_judge, make_scorer_ensemble
    from jurist.scorers import Scorer, scorer
    from jurist.tracing import (
        SpanType,
        get_current_active_span,
        get_last_active_trace,
        get_last_active_trace_id,
        get_trace,
        start_span,
        trace,
        update_current_trace,
    )
    from jurist.tracing._trace_tags import delete_trace_tag, set_trace_tag
    from jurist.tracking import (
        MlflowClient,
        active_run,
        create_experiment,
        delete_assessment,
        delete_tag,
        end_run,
        get_assessment,
        get_experiment,
        get_experiment_by_name,
        get_judge,
        get_run,
        get_tracking_uri,
        last_active_run,
        list_judge_versions,
        log_assessment,
        log_expectation,
        log_feedback,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_trace,
        register_judge,
        search_experiments,
        search_runs,
        search_traces,
        set_experiment,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
        update_assessment,
    )
    from jurist.tracking._prompt_api import (
        delete_prompt_alias,
        load_prompt,
        register_prompt,
        search_prompts,
        set_prompt_alias,
    )

__all__ = [
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "ConfigError",
    "Document",
    "EvaluationResult",
    "Expectation",
    "Feedback",
    "JuristError",
    "Jury",
    "MlflowClient",
    "Scorer",
    "Span",
    "SpanType",
    "Trace",
    "__version__",
    "active_run",
    "anthropic",
    "close",
    "compare_evaluations",
    "create_experiment",
    "delete_assessment",
    "delete_prompt_alias",
    "delete_tag",
    "delete_trace_tag",
    "end_run",
    "evaluate",
    "evaluate_pairwise",
    "genai",
    "get_assessment",
    "get_current_active_span",
    "get_experiment",
    "get_experiment_by_name",
    "get_judge",
    "get_last_active_trace",
    "get_last_active_trace_id",
    "get_run",
    "get_trace",
    "get_tracking_uri",
    "last_active_run",
    "list_judge_versions",
    "litellm",
    "load_prompt",
    "log_assessment",
    "log_expectation",
    "log_feedback",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_trace",
    "make_judge",
    "make_pairwise_judge",
    "make_scorer_ensemble",
    "meta_evaluate",
    "openai",
    "probe",
    "register_judge",
    "register_prompt",
    "reset",
    "scorer",
    "search_experiments",
    "search_prompts",
    "search_runs",
    "search_traces",
    "set_experiment",
    "set_prompt_alias",
    "set_tag",
    "set_tags",
    "set_trace_tag",
    "set_tracking_uri",
    "start_monitor",
    "start_run",
    "start_span",
    "trace",
    "update_assessment",
    "update_current_trace",
]
