"""``import jurist`` stays light with the MLflow paths in place, and those paths import what they name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _loaded(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout.split()
    heavy = ("jurist.genai", "pandas", "sqlalchemy", "opentelemetry", "aiohttp", "alembic")
    return [m for m in out if m.startswith(heavy)]


def test_import_jurist_loads_nothing_heavy() -> None:
    assert _loaded("import jurist") == []


def test_the_genai_scorers_path_loads_no_store_and_no_tracer() -> None:
    loaded = _loaded("from jurist.genai.scorers import Correctness, scorer, ScorerSamplingConfig")
    assert not [m for m in loaded if m.startswith(("sqlalchemy", "opentelemetry", "pandas", "alembic"))]


def test_every_mlflow_name_imports() -> None:
    import jurist
    import jurist.genai
    from jurist.entities import (  # noqa: F401
        AssessmentError,
        AssessmentSource,
        AssessmentSourceType,
        Document,
        Expectation,
        Feedback,
        SpanType,
        Trace,
    )
    from jurist.genai import datasets, judges, scorers

    for name in ("evaluate", "scorer", "Scorer", "to_predict_fn", "make_judge"):
        assert callable(getattr(jurist.genai, name))
    for name in ("Correctness", "RelevanceToQuery", "Safety", "Guidelines", "ExpectationsGuidelines", "Equivalence",
                 "RetrievalGroundedness", "RetrievalRelevance", "RetrievalSufficiency", "ToolCallCorrectness",
                 "ToolCallEfficiency", "ConversationCompleteness", "UserFrustration", "KnowledgeRetention",
                 "ConversationalSafety", "ConversationalRoleAdherence", "ConversationalGuidelines",
                 "ConversationalToolCallEfficiency", "Completeness", "Fluency", "Summarization", "scorer", "Scorer",
                 "ScorerSamplingConfig", "list_scorers", "get_scorer", "delete_scorer", "make_scorer_ensemble"):
        assert getattr(scorers, name) is not None, name
    for name in ("make_judge", "is_correct", "is_grounded", "is_safe", "is_context_relevant", "is_context_sufficient",
                 "meets_guidelines", "custom_prompt_judge"):
        assert callable(getattr(judges, name)), name
    for name in ("create_dataset", "get_dataset", "delete_dataset", "search_datasets", "EvaluationDataset"):
        assert getattr(datasets, name) is not None, name
    for name in ("trace", "start_span", "get_current_active_span", "update_current_trace", "get_last_active_trace_id",
                 "get_trace", "search_traces", "log_feedback", "log_expectation", "log_assessment", "set_experiment",
                 "create_experiment", "set_tracking_uri", "get_tracking_uri", "flush_trace_async_logging"):
        assert callable(getattr(jurist, name)), name


def test_a_script_ending_right_after_a_trace_still_stores_it(tmp_path: Path) -> None:
    db = tmp_path / "exit.db"
    code = ("import jurist\n@jurist.trace\ndef f(q): return q * 2\nf('ab')\n"
            "print(jurist.get_last_active_trace_id())\n")
    env = {**__import__("os").environ, "JURIST_TRACKING_URI": f"sqlite:///{db}"}
    trace_id = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=env).stdout.strip()
    from jurist.tracking import SqlStore

    store = SqlStore(f"sqlite:///{db}")
    assert store.get_trace(trace_id).outputs == "abab"
    store.close()
