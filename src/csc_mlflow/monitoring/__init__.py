"""After deployment: a reference profile at training, then one monitoring run per batch of
live data that keeps a deployed model's evidence current."""

from csc_mlflow.monitoring._monitor import MonitoringResult, monitor, record_outcomes
from csc_mlflow.monitoring._profile import log_reference_profile

__all__ = ["MonitoringResult", "log_reference_profile", "monitor", "record_outcomes"]
