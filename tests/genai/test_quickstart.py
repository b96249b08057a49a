"""MLflow's evaluation quickstart, judge versioning and Guidelines pages, as jurist code."""

from __future__ import annotations

import pandas as pd

import jurist
from jurist.genai import scorer
from jurist.genai.judges import make_judge
from jurist.genai.scorers import Correctness, ExpectationsGuidelines, Guidelines, get_scorer, list_scorers
from tests._helpers import some
from tests.fakes.openai import FakeOpenAI
from tests.genai._helpers import JudgeSays

EVAL_DATASET = [
    {"inputs": {"question": "What is the capital of France?"}, "expectations": {"expected_response": "Paris"}},
    {"inputs": {"question": "Who was the first person to build an airplane?"},
     "expectations": {"expected_response": "Wright Brothers"}},
    {"inputs": {"question": "Who wrote Romeo and Juliet?"}, "expectations": {"expected_response": "William Shakespeare"}},
]
ANSWERS = {"What is the capital of France?": "Paris.", "Who was the first person to build an airplane?":
           "The Wright brothers built the first airplane in 1903.", "Who wrote Romeo and Juliet?": "Shakespeare."}


def qa_predict_fn(question: str) -> str:
    return ANSWERS[question]


@scorer
def is_concise(outputs: str) -> bool:
    return len(outputs.split()) <= 5


def test_quickstart(judge_says: JudgeSays) -> None:
    judge_says("yes")
    jurist.set_experiment("GenAI Evaluation Quickstart")
    scorers = [Correctness(), Guidelines(name="is_english", guidelines="The answer must be in English"), is_concise]
    results = jurist.genai.evaluate(data=EVAL_DATASET, predict_fn=qa_predict_fn, scorers=scorers)
    assert results.metrics["correctness/mean"] == 1.0 and results.metrics["is_english/mean"] == 1.0
    assert round(results.metrics["is_concise/mean"], 3) == round(2 / 3, 3)
    run = jurist.get_run(some(results.run_id))
    assert run.experiment_id == some(jurist.tracking.get_experiment_by_name("GenAI Evaluation Quickstart")).experiment_id
    assert run.info.run_id == results.run_id and run.info.status == "FINISHED"
    assert run.data.metrics["correctness/mean"] == 1.0


def test_dataframe_data_and_experiment_name(judge_says: JudgeSays) -> None:
    judge_says("yes")
    eval_df = pd.DataFrame([{"inputs": {"question": "What is the capital of France?"},
                             "expectations": {"expected_response": "Paris"}}])
    results = jurist.genai.evaluate(data=eval_df, predict_fn=qa_predict_fn, scorers=[Correctness()],
                                    experiment_name="my_app_evaluations")
    assert jurist.get_run(some(results.run_id)).experiment_id == \
        some(jurist.tracking.get_experiment_by_name("my_app_evaluations")).experiment_id


def test_registering_and_versioning_a_judge(judge_says: JudgeSays) -> None:
    experiment_id = jurist.create_experiment("evaluation-judges")
    quality_judge = make_judge(name="response_quality",
                               instructions="Evaluate if {{ outputs }} is high quality for {{ inputs }}.",
                               model="anthropic:/claude-opus-4-1-20250805")
    quality_judge.register(experiment_id=experiment_id)
    quality_judge_v2 = make_judge(
        name="response_quality",
        instructions="Evaluate if {{ outputs }} is high quality, accurate, and complete for the question in {{ inputs }}.",
        model="anthropic:/claude-3.5-sonnet-20241022")
    quality_judge_v2.register(experiment_id=experiment_id)
    latest = get_scorer(name="response_quality", experiment_id=experiment_id)
    assert latest.model == "anthropic:/claude-3.5-sonnet-20241022" and "complete" in latest.instructions
    assert [(s.name, s.model) for s in list_scorers(experiment_id=experiment_id)] == \
        [("response_quality", "anthropic:/claude-3.5-sonnet-20241022")]
    assert [v.version for v in jurist.list_judge_versions("response_quality")] == [1, 2]


def test_guidelines_global_and_per_row(fake_openai: FakeOpenAI, judge_says: JudgeSays) -> None:
    judge_says("yes")
    data = [{"inputs": {"question": "How do I export my data?"},
             "outputs": {"response": "Go to Settings > Export."},
             "expectations": {"guidelines": ["The response must name the menu to use."]}}]
    results = jurist.genai.evaluate(data=data, scorers=[
        Guidelines(name="tone", guidelines=["Be polite.", "Do not mention competitors."]),
        ExpectationsGuidelines()])
    assert results.metrics["tone/mean"] == 1.0 and results.metrics["expectations_guidelines/mean"] == 1.0
    sent = " ".join(m["content"] for r in fake_openai.requests for m in r.body["messages"])
    assert "Do not mention competitors." in sent and "must name the menu" in sent
