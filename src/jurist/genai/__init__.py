"""MLflow's ``mlflow.genai`` module paths over jurist's own parts, so that MLflow's judge, scorer and
evaluation code runs with ``mlflow`` replaced by ``jurist``.

``jurist.genai.evaluate``, ``jurist.genai.scorer``/``Scorer``, ``jurist.genai.scorers`` (every built-in
judge, the scorer lifecycle), ``jurist.genai.judges`` (``make_judge`` and the functional judges) and
``jurist.genai.datasets`` (evaluation datasets in the tracking store) and the prompt registry
(``register_prompt``, ``load_prompt``, ``search_prompts``, ``set_prompt_alias`` …). Nothing is imported until used.
``docs/mlflow.md`` lists every name and each deliberate difference.

Example:
    >>> import jurist
    >>> from jurist.genai.scorers import Correctness                       # doctest: +SKIP
    >>> jurist.genai.evaluate(data=rows, scorers=[Correctness()])          # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "evaluate": "jurist.genai._evaluate",
    "to_predict_fn": "jurist.genai._evaluate",
    "scorer": "jurist.scorers",
    "Scorer": "jurist.scorers",
    "make_judge": "jurist.judges",
    "EvaluationDataset": "jurist.genai.datasets",
    "register_prompt": "jurist.tracking._prompt_api",
    "load_prompt": "jurist.tracking._prompt_api",
    "search_prompts": "jurist.tracking._prompt_api",
    "set_prompt_alias": "jurist.tracking._prompt_api",
    "delete_prompt_alias": "jurist.tracking._prompt_api",
    "set_prompt_tag": "jurist.tracking._prompt_api",
    "delete_prompt_tag": "jurist.tracking._prompt_api",
    "get_prompt_tags": "jurist.tracking._prompt_api",
    "delete_prompt": "jurist.tracking._prompt_api",
    "delete_prompt_version": "jurist.tracking._prompt_api",
    "search_prompt_versions": "jurist.tracking._prompt_api",
    "PromptVersion": "jurist.tracking._prompt_api",
    "Prompt": "jurist.tracking._prompt_api",
}
_SUBMODULES = ("scorers", "judges", "datasets")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value = importlib.import_module(f"jurist.genai.{name}")
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'jurist.genai' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_SUBMODULES])


if TYPE_CHECKING:
    from jurist.genai import datasets, judges, scorers
    from jurist.genai._evaluate import evaluate, to_predict_fn
    from jurist.genai.datasets import EvaluationDataset
    from jurist.judges import make_judge
    from jurist.scorers import Scorer, scorer
    from jurist.tracking._prompt_api import (
        Prompt,
        PromptVersion,
        delete_prompt,
        delete_prompt_alias,
        delete_prompt_tag,
        delete_prompt_version,
        get_prompt_tags,
        load_prompt,
        register_prompt,
        search_prompt_versions,
        search_prompts,
        set_prompt_alias,
        set_prompt_tag,
    )

__all__ = ["EvaluationDataset", "Prompt", "PromptVersion", "Scorer", "datasets", "delete_prompt", "delete_prompt_alias",
           "delete_prompt_tag", "delete_prompt_version", "evaluate", "get_prompt_tags", "judges", "load_prompt",
           "make_judge", "register_prompt", "scorer", "scorers", "search_prompt_versions", "search_prompts",
           "set_prompt_alias", "set_prompt_tag", "to_predict_fn"]
