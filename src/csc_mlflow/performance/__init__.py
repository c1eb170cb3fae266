"""Performance as evidence: how well a model does on children it was not built on."""

from csc_mlflow.performance._log import PerformanceResult, evaluate_performance
from csc_mlflow.performance._measure import measure_performance

__all__ = ["PerformanceResult", "evaluate_performance", "measure_performance"]
