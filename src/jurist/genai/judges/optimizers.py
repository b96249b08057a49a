"""``jurist.genai.judges.optimizers``: MLflow's ``mlflow.genai.judges.optimizers`` (alignment optimizers).

Example:
    >>> from jurist.genai.judges.optimizers import SIMBAAlignmentOptimizer
    >>> SIMBAAlignmentOptimizer(model="openai:/gpt-4o-mini").model
    'openai:/gpt-4o-mini'
"""

from jurist.align import (
    AlignmentOptimizer,
    CalibrationOptimizer,
    InstructionOptimizer,
    MemAlignOptimizer,
    MemoryOptimizer,
    SIMBAAlignmentOptimizer,
)

__all__ = ["AlignmentOptimizer", "CalibrationOptimizer", "InstructionOptimizer", "MemAlignOptimizer", "MemoryOptimizer",
           "SIMBAAlignmentOptimizer"]
