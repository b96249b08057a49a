"""Aligning judges with people, and measuring how well they agree.

``judge.align(examples, optimizer=None)`` returns a new judge that agrees more with the people who
labelled ``examples``; ``jurist.meta_evaluate(judge, labelled)`` measures agreement. The optimizers:

- :class:`InstructionOptimizer` (``SIMBAAlignmentOptimizer``): rules and demonstrations revised where the
  judge disagrees, kept only when a validation split agrees more;
- :class:`MemoryOptimizer` (``MemAlignOptimizer``): guidelines from the people's rationales, and the most
  similar labelled examples retrieved into each prompt (a :class:`MemoryJudge`);
- :class:`CalibrationOptimizer`: per-verdict offsets on the judge model's log-probabilities, fitted on the
  labelled examples (:func:`fit_offsets`), with no optimizer model; ``after=`` runs one of the others first.

Implement :class:`AlignmentOptimizer` for one of your own.

Example:
    >>> from jurist.judges import Correctness                                              # doctest: +SKIP
    >>> from jurist.align import MemoryOptimizer                                     # doctest: +SKIP
    >>> aligned = Correctness(model="local:/default").align(                              # doctest: +SKIP
    ...     "labelled.jsonl", optimizer=MemoryOptimizer(model="openai:/gpt-4o"))
    >>> aligned.alignment.gain                                                             # doctest: +SKIP
    0.12
"""

from jurist.align._align import AlignmentReport, align_judge
from jurist.align._calibration import CalibrationFit, CalibrationOptimizer, fit_offsets
from jurist.align._memory import BM25, MemoryItem, MemoryJudge
from jurist.align._optimizers import (
    AlignmentError,
    AlignmentOptimizer,
    InstructionOptimizer,
    MemAlignOptimizer,
    MemoryOptimizer,
    SIMBAAlignmentOptimizer,
)
from jurist.evaluation._labelled import LabelledExample, labelled_examples, split_by_prompt

__all__ = ["BM25", "AlignmentError", "AlignmentOptimizer", "AlignmentReport", "CalibrationFit",
           "CalibrationOptimizer", "InstructionOptimizer", "LabelledExample", "MemAlignOptimizer", "MemoryItem",
           "MemoryJudge", "MemoryOptimizer", "SIMBAAlignmentOptimizer", "align_judge", "fit_offsets",
           "labelled_examples", "split_by_prompt"]
