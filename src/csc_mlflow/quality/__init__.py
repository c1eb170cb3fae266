"""Data quality: DfE validation rules as Great Expectations suites, results as counts only."""

from csc_mlflow.quality._engines import validate_frame
from csc_mlflow.quality._log import validate_data
from csc_mlflow.quality._suite import Rule, Suite, load_suite, shipped_suites
from csc_mlflow.quality._validate import DataQualityResult, RuleResult

__all__ = [
    "DataQualityResult",
    "Rule",
    "RuleResult",
    "Suite",
    "load_suite",
    "shipped_suites",
    "validate_data",
    "validate_frame",
]
