import pytest

from jurist import Feedback, scorer
from jurist.entities import AssessmentSourceType
from jurist.errors import ConfigError
from jurist.scorers import aggregate


def test_plain_function_becomes_a_scorer_with_its_name() -> None:
    @scorer
    def exact(outputs: str, expectations: dict[str, str]) -> bool:
        return outputs == expectations["expected_response"]

    assert exact.name == "exact"
    assert exact(outputs="Paris", expectations={"expected_response": "Paris"}) is True


async def test_ascore_normalises_values_to_feedback() -> None:
    @scorer(name="len", aggregations=["mean", "p90"])
    async def length(outputs: str) -> int:
        return len(outputs)

    (fb,) = await length.ascore(outputs="four", inputs="ignored")
    assert fb.name == "len" and fb.value == 4
    assert fb.source.source_type is AssessmentSourceType.CODE and fb.source.source_id == "length"


async def test_feedback_lists_keep_their_names() -> None:
    @scorer
    def many(outputs: str) -> list[Feedback]:
        return [Feedback(name="a", value=1), Feedback(name="", value=2)]

    fbs = await many.ascore(outputs="x")
    assert [f.name for f in fbs] == ["a", "many"]


def test_unknown_parameters_are_rejected() -> None:
    with pytest.raises(ConfigError, match="may take only"):
        scorer(lambda response: 1)


def test_unknown_aggregation_is_rejected() -> None:
    with pytest.raises(ConfigError, match="p90"):
        scorer(aggregations=["p95"])(lambda outputs: 1)


def test_aggregations() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    out = aggregate(values, ["mean", "min", "max", "median", "variance", "p90", "p99", max])
    assert out["mean"] == 4.0 and out["min"] == 1 and out["max"] == 10 and out["median"] == 3
    assert out["variance"] == pytest.approx(10.0)
    assert out["p90"] == pytest.approx(7.6) and out["p99"] == pytest.approx(9.76)
