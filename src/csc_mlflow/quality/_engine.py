"""Great Expectations' pandas engine, with each rule's rows found once per validation.

GX filters the batch afresh for every metric of every expectation: a suite of 100 rules
sharing a dozen row conditions runs ``DataFrame.query`` some 300 times, each copying the
rows it keeps. :class:`SharedDomainEngine` is GX's own ``PandasExecutionEngine`` that keeps
the rows of each distinct domain (row condition, and the rows a column pair or list ignores)
for as long as the batch is loaded, so every rule and metric sharing a condition shares one
filtered frame. GX still computes every metric; what it is given is what it would have
computed itself (a test compares every shipped rule's results with the plain engine's).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, Final

# Domain keys whose values decide which rows GX hands a metric; a domain with any other key
# is left to GX uncached.
_KNOWN: Final = frozenset(
    {
        "batch_id",
        "row_condition",
        "condition_parser",
        "column",
        "column_A",
        "column_B",
        "column_list",
        "ignore_row_if",
        "table",  # always None for pandas (GX refuses a named table)
    }
)


def shared_domain_engine() -> type:
    """The engine class (GX is imported only when the first validation needs it)."""
    global _engine_class
    if _engine_class is None:
        _engine_class = _define()
    return _engine_class


_engine_class: type | None = None


def _domain_key(domain_kwargs: Mapping[str, Any], active: str | None) -> Hashable | None:
    """What the rows of a domain depend on, or None when GX should work it out unaided."""
    if not set(domain_kwargs) <= _KNOWN or domain_kwargs.get("table") is not None:
        return None
    condition = domain_kwargs.get("row_condition")
    if condition is not None and not isinstance(condition, str):
        condition = repr(condition)  # a GX Condition object: its repr names every part
    if "column" in domain_kwargs:
        shape: Hashable = "column"  # GX returns the filtered frame for a column domain
    elif "column_list" in domain_kwargs:
        shape = ("list", tuple(domain_kwargs["column_list"]), domain_kwargs.get("ignore_row_if"))
    elif "column_A" in domain_kwargs:
        shape = (
            "pair",
            domain_kwargs["column_A"],
            domain_kwargs.get("column_B"),
            domain_kwargs.get("ignore_row_if"),
        )
    else:
        shape = "table"
    batch = domain_kwargs.get("batch_id") or active
    return (batch, condition, domain_kwargs.get("condition_parser"), shape)


def _define() -> type:
    from great_expectations.execution_engine.pandas_execution_engine import (
        PandasExecutionEngine,
    )

    class SharedDomainEngine(PandasExecutionEngine):
        """GX's pandas engine; each distinct domain's rows are computed once per batch."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._domains: dict[Hashable, Any] = {}
            self._columns: Mapping[str, tuple[str, ...]] = {}

        def load_batch_data(self, batch_id: str, batch_data: Any) -> None:
            self._domains.clear()
            super().load_batch_data(batch_id, batch_data)

        def columns_by_condition(self, columns: Mapping[str, tuple[str, ...]]) -> None:
            """For the next validation: the columns read under each row condition (by every
            rule that uses it, and by the condition itself). Filtered rows carry only those."""
            self._columns = columns

        def release(self) -> None:
            """Drop the rows kept for the batch just validated."""
            self._domains.clear()
            self._columns = {}

        def _apply_row_condition_filter(
            self, data: Any, row_condition: Any, domain_kwargs: dict[str, Any]
        ) -> Any:
            # One filtering per condition, whatever the domain's shape (table, column, pair),
            # of only the columns read under it (pandas resolves every column of the frame for
            # each query, and takes every column of the rows kept).
            key = ("rows", id(data), repr(row_condition), domain_kwargs.get("condition_parser"))
            if key not in self._domains:
                columns = self._columns.get(_condition_text(row_condition))
                if columns is not None and all(c in data.columns for c in columns):
                    data = data[list(columns)]
                self._domains[key] = super()._apply_row_condition_filter(
                    data, row_condition, domain_kwargs
                )
            return self._domains[key]

        def get_domain_records(self, domain_kwargs: dict[str, Any]) -> Any:
            key = _domain_key(domain_kwargs, self.batch_manager.active_batch_data_id)
            if key is None:
                return super().get_domain_records(domain_kwargs)
            if key not in self._domains:
                self._domains[key] = super().get_domain_records(domain_kwargs)
            return self._domains[key]

    _vectorised_unique_within_record(SharedDomainEngine)
    return SharedDomainEngine


def _condition_text(row_condition: Any) -> str:
    """A row condition's pandas text, however GX hands it on (text, a pass-through condition or
    its dict form); empty when it is none of these."""
    if isinstance(row_condition, str):
        return row_condition
    if isinstance(row_condition, Mapping):
        text = row_condition.get("pass_through_filter")
    else:
        text = getattr(row_condition, "pass_through_filter", None)
    return text if isinstance(text, str) else ""


def _vectorised_unique_within_record(engine: type) -> None:
    """GX's ``select_column_values.unique.within_record`` for ``engine`` only, column by column.

    GX counts each row's distinct values with ``DataFrame.nunique(axis=1)``, a Python call per
    row (1.5 s for 31,000 episodes). Where the columns share one dtype that is not ``object``
    (so every blank is the same blank, as ``nunique`` sees it), a row's values are distinct
    exactly when no two of them are equal or both blank: compared a pair of columns at a time.
    Any other columns are left to GX's own formula. Registered for ``engine`` alone: GX's
    engine, as anyone else uses it, is untouched.
    """
    import numpy as np
    import pandas as pd
    from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (  # noqa: E501
        multicolumn_condition_partial,
    )
    from great_expectations.expectations.metrics.map_metric_provider.multicolumn_map_metric_provider import (  # noqa: E501
        MulticolumnMapMetricProvider,
    )
    from great_expectations.expectations.metrics.multicolumn_map_metrics.select_column_values_unique_within_record import (  # noqa: E501
        SelectColumnValuesUniqueWithinRecord,
    )

    def gx_formula(frame: pd.DataFrame) -> pd.Series:
        return frame.nunique(dropna=False, axis=1) >= len(frame.columns)

    def distinct_in_row(frame: pd.DataFrame) -> pd.Series:
        dtypes = set(frame.dtypes)
        if len(dtypes) != 1 or next(iter(dtypes)) == np.dtype(object):
            return gx_formula(frame)
        columns = [frame.iloc[:, i] for i in range(frame.shape[1])]
        blank = [c.isna().to_numpy(dtype=bool) for c in columns]
        repeated = np.zeros(len(frame), dtype=bool)
        try:
            for i, first in enumerate(columns):
                for j in range(i + 1, len(columns)):
                    equal = (first == columns[j]).fillna(False).to_numpy(dtype=bool)
                    repeated |= equal | (blank[i] & blank[j])
        except (TypeError, ValueError):  # values that do not compare: GX's own formula
            return gx_formula(frame)
        return pd.Series(~repeated, index=frame.index)

    class _UniqueWithinRecord(MulticolumnMapMetricProvider):
        condition_metric_name = SelectColumnValuesUniqueWithinRecord.condition_metric_name
        condition_domain_keys = SelectColumnValuesUniqueWithinRecord.condition_domain_keys

        @multicolumn_condition_partial(engine=engine)  # type: ignore[untyped-decorator]
        def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
            return distinct_in_row(column_list)


_configurations_lock = threading.Lock()


@contextlib.contextmanager
def configurations_read_once() -> Iterator[None]:
    """While a suite is validated, each expectation's configuration is built once, and each
    configuration's expectation object once.

    GX rebuilds an expectation's whole configuration (a pydantic round trip) for every
    argument it looks up: some 10,000 times for a 99-rule suite, 40% of a validation's fixed
    cost. Within one validation nothing changes an expectation, so the first build is kept
    and handed back, per expectation object, until the validation ends. Validations of
    csc-mlflow suites run one at a time; GX's own class is restored afterwards.
    """
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    built = Expectation.__dict__.get("configuration")
    rebuilt = ExpectationConfiguration.__dict__.get("to_domain_obj")
    if not isinstance(built, property) or built.fget is None or not callable(rebuilt):
        yield  # another GX: leave it alone
        return
    build = built.fget
    kept: dict[int, tuple[Any, Any]] = {}
    objects: dict[int, tuple[Any, Any]] = {}

    def configuration(self: Any) -> Any:
        hit = kept.get(id(self))
        if hit is None or hit[0] is not self:
            hit = kept[id(self)] = (self, build(self))  # holding self keeps its id unique
        return hit[1]

    def to_domain_obj(self: Any) -> Any:
        # GX turns each configuration back into an expectation ~10 times per validation.
        hit = objects.get(id(self))
        if hit is None or hit[0] is not self:
            hit = objects[id(self)] = (self, rebuilt(self))
        return hit[1]

    with _configurations_lock:
        Expectation.configuration = property(configuration)  # type: ignore[method-assign,assignment]
        ExpectationConfiguration.to_domain_obj = to_domain_obj  # type: ignore[method-assign]
        try:
            yield
        finally:
            Expectation.configuration = built  # type: ignore[method-assign,assignment]
            ExpectationConfiguration.to_domain_obj = rebuilt  # type: ignore[method-assign]
            kept.clear()
            objects.clear()
