"""Benchmarking: systems x task folders, graded by the project's grader."""

from iml.bench.cells import STRIPPED_SENTENCE, BenchCell
from iml.bench.harness import BenchSettings, run_bench
from iml.bench.outputs import markdown_report

__all__ = ["STRIPPED_SENTENCE", "BenchCell", "BenchSettings", "run_bench", "markdown_report"]
