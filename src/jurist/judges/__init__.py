"""Judges: the built-in ones (each in its own module, its prompt in ``prompts/``) and ``make_judge``.

Built-in judges are imported on first use, so ``import jurist.judges`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jurist.judges._base import Judge, Unit, load_prompt
from jurist.judges._make_judge import (
    TEMPLATE_VARIABLES,
    InstructionsJudge,
    judge_from_dict,
    make_judge,
    parse_type_name,
    register_judge_kind,
)

#: Built-in judge class → module under ``jurist.judges.builtin``.
BUILTIN: dict[str, str] = {
    "Correctness": "correctness",
    "RelevanceToQuery": "relevance_to_query",
    "Safety": "safety",
    "Guidelines": "guidelines",
    "ExpectationsGuidelines": "expectations_guidelines",
    "Equivalence": "equivalence",
    "Completeness": "completeness",
    "Fluency": "fluency",
    "Summarization": "summarization",
    "RetrievalGroundedness": "retrieval_groundedness",
    "RetrievalRelevance": "retrieval_relevance",
    "RetrievalSufficiency": "retrieval_sufficiency",
    "ToolCallCorrectness": "tool_call_correctness",
    "ToolCallEfficiency": "tool_call_efficiency",
    "ConversationCompleteness": "conversation_completeness",
    "UserFrustration": "user_frustration",
    "ConversationalSafety": "conversational_safety",
    "ConversationalRoleAdherence": "conversational_role_adherence",
    "KnowledgeRetention": "knowledge_retention",
    "ConversationalGuidelines": "conversational_guidelines",
    "ConversationalToolCallEfficiency": "conversational_tool_call_efficiency",
}


#: Judges made of judges (pairwise order swaps, juries) → their module, imported on first use.
COMPOSED: dict[str, str] = {
    "PairwiseJudge": "jurist.judges._pairwise",
    "PairwisePreference": "jurist.judges._pairwise",
    "make_pairwise_judge": "jurist.judges._pairwise",
    "Jury": "jurist.judges._jury",
    "ScorerEnsemble": "jurist.judges._jury",
    "make_scorer_ensemble": "jurist.judges._jury",
    "MemoryJudge": "jurist.align",
    "AlignmentOptimizer": "jurist.align",
    "InstructionOptimizer": "jurist.align",
    "MemoryOptimizer": "jurist.align",
    "SIMBAAlignmentOptimizer": "jurist.align",
    "MemAlignOptimizer": "jurist.align",
}


def __getattr__(name: str) -> Any:
    if name in COMPOSED:
        value = getattr(importlib.import_module(COMPOSED[name]), name)
        globals()[name] = value
        return value
    module = BUILTIN.get(name)
    if module is None:
        raise AttributeError(f"module 'jurist.judges' has no attribute {name!r}")
    cls = getattr(importlib.import_module(f"jurist.judges.builtin.{module}"), name)
    globals()[name] = cls
    return cls


def builtin_judges() -> dict[str, type[BuiltinJudge]]:
    """Every built-in judge class by name."""
    return {name: __getattr__(name) for name in BUILTIN}


if TYPE_CHECKING:
    from jurist.align import (
        AlignmentOptimizer,
        InstructionOptimizer,
        MemAlignOptimizer,
        MemoryJudge,
        MemoryOptimizer,
        SIMBAAlignmentOptimizer,
    )
    from jurist.judges._jury import Jury, ScorerEnsemble, make_scorer_ensemble
    from jurist.judges._pairwise import PairwiseJudge, PairwisePreference, make_pairwise_judge
    from jurist.judges.builtin._common import BuiltinJudge
    from jurist.judges.builtin.completeness import Completeness
    from jurist.judges.builtin.conversation_completeness import ConversationCompleteness
    from jurist.judges.builtin.conversational_guidelines import ConversationalGuidelines
    from jurist.judges.builtin.conversational_role_adherence import ConversationalRoleAdherence
    from jurist.judges.builtin.conversational_safety import ConversationalSafety
    from jurist.judges.builtin.conversational_tool_call_efficiency import ConversationalToolCallEfficiency
    from jurist.judges.builtin.correctness import Correctness
    from jurist.judges.builtin.equivalence import Equivalence
    from jurist.judges.builtin.expectations_guidelines import ExpectationsGuidelines
    from jurist.judges.builtin.fluency import Fluency
    from jurist.judges.builtin.guidelines import Guidelines
    from jurist.judges.builtin.knowledge_retention import KnowledgeRetention
    from jurist.judges.builtin.relevance_to_query import RelevanceToQuery
    from jurist.judges.builtin.retrieval_groundedness import RetrievalGroundedness
    from jurist.judges.builtin.retrieval_relevance import RetrievalRelevance
    from jurist.judges.builtin.retrieval_sufficiency import RetrievalSufficiency
    from jurist.judges.builtin.safety import Safety
    from jurist.judges.builtin.summarization import Summarization
    from jurist.judges.builtin.tool_call_correctness import ToolCallCorrectness
    from jurist.judges.builtin.tool_call_efficiency import ToolCallEfficiency
    from jurist.judges.builtin.user_frustration import UserFrustration

__all__ = [  # spelled out, so that type checkers see every lazily imported name as exported
    "TEMPLATE_VARIABLES",
    "AlignmentOptimizer",
    "Completeness",
    "ConversationCompleteness",
    "ConversationalGuidelines",
    "ConversationalRoleAdherence",
    "ConversationalSafety",
    "ConversationalToolCallEfficiency",
    "Correctness",
    "Equivalence",
    "ExpectationsGuidelines",
    "Fluency",
    "Guidelines",
    "InstructionOptimizer",
    "InstructionsJudge",
    "Judge",
    "Jury",
    "KnowledgeRetention",
    "MemAlignOptimizer",
    "MemoryJudge",
    "MemoryOptimizer",
    "PairwiseJudge",
    "PairwisePreference",
    "RelevanceToQuery",
    "RetrievalGroundedness",
    "RetrievalRelevance",
    "RetrievalSufficiency",
    "SIMBAAlignmentOptimizer",
    "Safety",
    "ScorerEnsemble",
    "Summarization",
    "ToolCallCorrectness",
    "ToolCallEfficiency",
    "Unit",
    "UserFrustration",
    "builtin_judges",
    "judge_from_dict",
    "load_prompt",
    "make_judge",
    "make_pairwise_judge",
    "make_scorer_ensemble",
    "parse_type_name",
    "register_judge_kind",
]
