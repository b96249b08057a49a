"""``jurist.genai.scorers``: MLflow's ``mlflow.genai.scorers`` — every built-in judge, ``scorer`` and
``Scorer``, and the production-monitoring lifecycle (``ScorerSamplingConfig``, ``list_scorers``,
``get_scorer``, ``delete_scorer``).

The built-in judges are jurist's own (``jurist.judges``), imported on first use.

Example:
    >>> from jurist.genai.scorers import Safety, ScorerSamplingConfig        # doctest: +SKIP
    >>> Safety().register(name="safety_check").start(                       # doctest: +SKIP
    ...     sampling_config=ScorerSamplingConfig(sample_rate=0.5))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jurist.genai._ensemble import make_scorer_ensemble
from jurist.genai._lifecycle import ScorerSamplingConfig, delete_scorer, get_scorer, list_scorers
from jurist.scorers import Scorer, scorer


def __getattr__(name: str) -> Any:
    from jurist import judges

    if name in judges.BUILTIN:
        value = getattr(judges, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jurist.genai.scorers' has no attribute {name!r}")


def get_all_scorers() -> list[Any]:
    """One instance of every built-in judge that needs no constructor argument (MLflow's helper)."""
    from jurist import judges

    out = []
    for name in judges.BUILTIN:
        cls = getattr(judges, name)
        if "guidelines" in getattr(cls, "extra_fields", ()):
            continue  # needs guidelines=
        out.append(cls())
    return out


if TYPE_CHECKING:
    from jurist.judges import (
        Completeness,
        ConversationalGuidelines,
        ConversationalRoleAdherence,
        ConversationalSafety,
        ConversationalToolCallEfficiency,
        ConversationCompleteness,
        Correctness,
        Equivalence,
        ExpectationsGuidelines,
        Fluency,
        Guidelines,
        KnowledgeRetention,
        RelevanceToQuery,
        RetrievalGroundedness,
        RetrievalRelevance,
        RetrievalSufficiency,
        Safety,
        Summarization,
        ToolCallCorrectness,
        ToolCallEfficiency,
        UserFrustration,
    )

__all__ = [  # with the built-in judges (imported on first use), so that type checkers see them exported
    "Completeness", "ConversationCompleteness", "ConversationalGuidelines", "ConversationalRoleAdherence",
    "ConversationalSafety", "ConversationalToolCallEfficiency", "Correctness", "Equivalence",
    "ExpectationsGuidelines", "Fluency", "Guidelines", "KnowledgeRetention", "RelevanceToQuery",
    "RetrievalGroundedness", "RetrievalRelevance", "RetrievalSufficiency", "Safety", "Scorer",
    "ScorerSamplingConfig", "Summarization", "ToolCallCorrectness", "ToolCallEfficiency", "UserFrustration",
    "delete_scorer", "get_all_scorers", "get_scorer", "list_scorers", "make_scorer_ensemble", "scorer",
]
