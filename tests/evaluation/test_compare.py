"""Comparing evaluations: paired tests checked against scipy, the CI gate, stored runs, pairwise A/B."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest
from scipy import stats

import jurist
from jurist.errors import ConfigError
from jurist.evaluation import NotImprovedError, compare_evaluations, evaluate_pairwise
from jurist.evaluation._stats import bootstrap_ci, mcnemar, rank_biserial, wilcoxon
from jurist.judges import PairwisePreference
from jurist.scorers import scorer
from tests.fakes.openai import FakeOpenAI

MODEL = "openai:/gpt-4o-mini"


# -- the statistics, against scipy ------------------------------------------------------------------
@pytest.mark.parametrize(("b", "c"), [(0, 0), (1, 0), (3, 12), (10, 10), (25, 40), (0, 9)])
def test_mcnemar_is_the_exact_binomial_test(b: int, c: int) -> None:
    expected = 1.0 if b + c == 0 else stats.binomtest(b, b + c, 0.5).pvalue
    assert mcnemar(b, c) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_wilcoxon_matches_scipy(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([6, 15, 40, 80])
    if seed % 2:  # ties and zeros: the normal approximation with corrections
        diffs: list[float] = [rng.choice([-2, -1, 0, 1, 1, 2, 3]) for _ in range(n)]
        ref = stats.wilcoxon(diffs, zero_method="wilcox", correction=True, method="approx")
    else:  # distinct magnitudes: exact when small
        diffs = [rng.gauss(0.3, 1.0) for _ in range(n)]
        ref = stats.wilcoxon(diffs, method="exact" if n <= 50 else "approx", correction=n > 50)
    w_plus, p = wilcoxon(diffs)
    assert p == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-9)
    # scipy reports min(W+, W-); ours is W+.
    nz = [d for d in diffs if d != 0]
    total = len(nz) * (len(nz) + 1) / 2
    assert min(w_plus, total - w_plus) == pytest.approx(ref.statistic)


def test_bootstrap_and_effect_sizes() -> None:
    low, high = bootstrap_ci([1.0] * 30 + [0.0] * 10)
    assert low < 0.75 < high and low > 0.55 and high < 0.9
    assert bootstrap_ci([0.5, 0.5]) == (0.5, 0.5)
    assert rank_biserial([1, 2, 3]) == 1.0 and rank_biserial([-1, -2]) == -1.0


# -- compare_evaluations ----------------------------------------------------------------------------
def _result(passes: list[bool], scores: list[int], **kw: Any) -> Any:
    @scorer
    def correct(outputs: Any) -> str:
        return "yes" if outputs["ok"] else "no"

    @scorer
    def quality(outputs: Any) -> int:
        return int(outputs["score"])

    rows = [{"id": f"r{i}", "inputs": {"i": i}, "outputs": {"ok": p, "score": s}}
            for i, (p, s) in enumerate(zip(passes, scores, strict=True))]
    return jurist.evaluate(rows, [correct, quality], **kw)


def test_a_clear_improvement_passes_the_gate() -> None:
    n = 30
    old = _result([i % 3 == 0 for i in range(n)], [2] * n)
    new = _result([i % 3 != 2 for i in range(n)], [4] * n)
    cmp = compare_evaluations(new, old)
    c = cmp.scorers["correct"]
    assert c.kind == "pass" and c.test == "mcnemar" and c.pairs == n
    assert c.baseline == pytest.approx(10 / 30) and c.candidate == pytest.approx(20 / 30)
    assert c.better == 10 and c.worse == 0 and c.p_value < 0.01 and c.verdict() == "improved"
    assert c.ci_low > 0 and c.effect == "cohen_h" and c.effect_size > 0
    q = cmp.scorers["quality"]
    assert q.kind == "numeric" and q.test == "wilcoxon" and q.difference == 2.0 and q.effect_size == 1.0
    cmp.assert_improved(alpha=0.05)
    cmp.assert_no_regression()
    d = cmp.to_dict()
    assert d["scorers"]["correct"]["verdict"] == "improved" and json.dumps(d)
    assert len(cmp.to_pandas()) == 2


def test_no_change_and_a_regression_fail_the_gates() -> None:
    n = 20
    same = _result([i % 2 == 0 for i in range(n)], [3] * n)
    again = _result([i % 2 == 0 for i in range(n)], [3] * n)
    with pytest.raises(NotImprovedError, match="no significant change"):
        compare_evaluations(again, same).assert_improved()
    worse = _result([False] * n, [1] * n)
    cmp = compare_evaluations(worse, same)
    assert cmp.scorers["correct"].verdict() == "regressed"
    with pytest.raises(AssertionError, match="regressed"):
        cmp.assert_no_regression()
    with pytest.raises(ConfigError, match="no comparison"):
        cmp.assert_improved(scorers=["nope"])


def test_stored_runs_compare_by_id() -> None:
    n = 25
    old = _result([i % 4 == 0 for i in range(n)], [1] * n)
    new = _result([i % 4 != 0 for i in range(n)], [2] * n)
    assert old.run_id and new.run_id
    cmp = compare_evaluations(new.run_id, old.run_id)
    assert cmp.candidate == new.run_id and cmp.scorers["correct"].better > cmp.scorers["correct"].worse
    assert cmp.scorers["correct"].verdict() == "improved"


def test_rows_are_matched_by_id_and_failures_left_out() -> None:
    @scorer
    def correct(outputs: Any) -> Any:
        if outputs == "boom":
            raise RuntimeError("scorer failed")
        return outputs == "right"

    a = jurist.evaluate([{"id": "x", "outputs": "right"}, {"id": "y", "outputs": "boom"}, {"id": "z", "outputs": "w"}],
                        [correct], log=False)
    b = jurist.evaluate([{"id": "z", "outputs": "right"}, {"id": "x", "outputs": "wrong"}, {"id": "q", "outputs": "w"}],
                        [correct], log=False)
    cmp = compare_evaluations(a, b)
    c = cmp.scorers["correct"]
    assert c.pairs == 2 and c.better == 1 and c.worse == 1  # x improved, z regressed, y failed, q unmatched
    assert cmp.unmatched == 2


# -- pairwise: two systems on the same inputs -------------------------------------------------------
def shown(body: dict[str, Any]) -> dict[str, str]:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return {tag: text.strip() for tag, text in re.findall(r"<(\w+)>\n(.*?)\n</\1>", user, re.DOTALL)}


def test_evaluate_pairwise_two_predict_fns(fake_openai: FakeOpenAI) -> None:
    def respond(body: dict[str, Any]) -> str:
        s = shown(body)
        a, b = s["outputs_a"], s["outputs_b"]
        pick = "tie" if ("good" in a) == ("good" in b) else "A" if "good" in a else "B"
        return json.dumps({"rationale": "r", "result": pick})

    fake_openai.responder = respond

    def new_app(q: int) -> str:
        if q == 7:
            raise RuntimeError("app down")
        return "good answer" if q % 4 else "meh"

    def old_app(q: int) -> str:
        return "good answer" if q % 2 else "meh"

    data = [{"inputs": {"q": i}} for i in range(12)]
    res = evaluate_pairwise(new_app, old_app, PairwisePreference(model=MODEL), data=data)
    # q=7 failed in new_app; of the rest, new wins where q%4 != 0 and q is even (2, 6, 10), old never wins.
    assert res.failed_predictions == [(7, "new_app", "RuntimeError: app down")]
    assert (res.wins_a, res.wins_b, res.ties) == (3, 0, 8)
    assert res.name_a == "new_app" and res.position_consistency == 1.0
    assert res.preference_a == pytest.approx((3 + 4) / 11) and res.ci_low <= res.preference_a <= res.ci_high
    assert res.p_value == pytest.approx(0.25)
    assert "3 wins, 8 ties, 0 losses" in res.summary() and json.dumps(res.to_dict())
    assert res.result.run_id is not None


def test_evaluate_pairwise_two_results_and_a_bad_judge(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda body: json.dumps({"rationale": "r", "result": "A" if "x1" in shown(body)["outputs_a"] else "B"})

    @scorer
    def noop(outputs: Any) -> bool:
        return True

    a = jurist.evaluate([{"id": i, "inputs": {"q": i}, "outputs": f"x1-{i}"} for i in range(3)], [noop], log=False)
    b = jurist.evaluate([{"id": i, "inputs": {"q": i}, "outputs": f"x2-{i}"} for i in reversed(range(3))], [noop],
                        log=False)
    res = evaluate_pairwise(a, b, PairwisePreference(model=MODEL), names=("new", "old"))
    assert (res.wins_a, res.wins_b) == (3, 0) and res.name_a == "new"
    from jurist.judges import Correctness

    with pytest.raises(ConfigError, match="pairwise judge"):
        evaluate_pairwise(a, b, Correctness(model=MODEL))
    with pytest.raises(ConfigError, match="data="):
        evaluate_pairwise(len, len, PairwisePreference(model=MODEL))
