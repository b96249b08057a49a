"""McNemar's exact test on large runs: thousands of discordant pairs must not overflow."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from jurist.evaluation._stats import mcnemar


@pytest.mark.parametrize(("b", "c"), [(700, 600), (3000, 2900), (2, 5000)])
def test_mcnemar_on_thousands_of_discordant_pairs(b: int, c: int) -> None:
    expected = binomtest(b, b + c, 0.5).pvalue
    assert mcnemar(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)
