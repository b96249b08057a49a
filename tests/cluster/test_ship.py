"""What cannot travel to a cluster's workers is refused on the driver, before any row is judged, with an
error that names it and says why. These need no cluster: the check comes before Ray is joined."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import jurist
from jurist.errors import ConfigError
from jurist.evaluation._ship import dumps, loads
from jurist.judges import Correctness, make_judge
from jurist.scorers import scorer
from tests.cluster.scorers import Locked, length, shout

ROOT = Path(__file__).resolve().parents[2]
ROWS = [{"inputs": {"question": "q"}, "outputs": "a"}]


def _ray(scorers: list[Any], predict_fn: Any = None) -> None:
    jurist.evaluate(ROWS, scorers, predict_fn=predict_fn, executor="ray", log=False)


def test_judges_and_importable_scorers_travel_as_data_and_references() -> None:
    judge = make_judge(name="tone", instructions="Is {{ outputs }} polite?", feedback_value_type=bool,
                       model="openai:/gpt-4o-mini")
    blob = dumps([Correctness(model="openai:/gpt-4o-mini"), judge, length, shout], "the scorers")
    correctness, tone, scorer_back, fn = loads(blob)
    assert scorer_back is length and fn is shout  # the same objects, imported by name
    assert tone.name == "tone" and tone.instructions == judge.instructions
    assert correctness.model == "openai:/gpt-4o-mini"
    assert b"def " not in blob  # no source code travels


def test_a_lambda_predict_fn_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"predict_fn cannot be sent.*is a lambda.*top level of an importable"):
        _ray([length], predict_fn=lambda question: question)


def test_a_scorer_defined_inside_a_function_is_refused() -> None:
    @scorer
    def inner(outputs: Any) -> int:
        return 1

    with pytest.raises(ConfigError, match=r"scorer 'inner' cannot be sent.*defined inside a function"):
        _ray([inner])


def test_a_function_defined_in_main_is_refused() -> None:
    def main_fn(question: str) -> str:
        return question

    main_fn.__module__, main_fn.__qualname__ = "__main__", "main_fn"
    with pytest.raises(ConfigError, match=r"predict_fn cannot be sent.*'main_fn' is defined in __main__"):
        _ray([length], predict_fn=main_fn)


def test_a_scorer_holding_a_lock_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match=r"scorer 'locked' cannot be sent.*cannot pickle '_thread.lock'"):
        _ray([Locked()])


def test_a_row_that_cannot_travel_is_named() -> None:
    from jurist.evaluation import load_rows

    rows = load_rows([{"inputs": {"question": "q", "lock": threading.Lock()}, "outputs": "a"}])
    with pytest.raises(ConfigError, match=r"rows 0-0 cannot be sent.*_thread.lock"):
        dumps(rows, "rows 0-0")


def test_without_ray_installed_the_error_says_how_to_install_it(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['ray'] = None\n"
            "import jurist\nfrom tests.cluster.scorers import length\n"
            "try:\n    jurist.evaluate([{'outputs': 'a'}], [length], executor='ray', log=False)\n"
            "except jurist.ConfigError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin",
                              "JURIST_CACHE_DIR": str(tmp_path)})
    assert "pip install 'jurist[ray]'" in out.stdout, out.stderr


def test_ray_address_needs_the_ray_executor() -> None:
    with pytest.raises(ConfigError, match="ray_address= is for executor='ray'"):
        jurist.evaluate(ROWS, [length], executor="local", ray_address="auto", log=False)
