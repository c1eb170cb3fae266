"""Fully synthetic CSC data for examples, tests and benchmarks: no real child's data.

>>> from csc_mlflow.datasets import make_ssda903
>>> data = make_ssda903(500, seed=7)
>>> sorted(data.header.columns)[:3]
['CHILD', 'DOB', 'ETHNIC']
"""

from csc_mlflow.datasets._batches import make_monitoring_batch
from csc_mlflow.datasets._cin import CIN_DEFECT_KINDS, SyntheticCIN, make_cin_census
from csc_mlflow.datasets._ssda903 import DEFECT_KINDS, SyntheticSSDA903, make_ssda903

__all__ = [
    "CIN_DEFECT_KINDS",
    "DEFECT_KINDS",
    "SyntheticCIN",
    "SyntheticSSDA903",
    "make_cin_census",
    "make_monitoring_batch",
    "make_ssda903",
]
