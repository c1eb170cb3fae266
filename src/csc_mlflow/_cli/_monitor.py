"""``csc-mlflow monitor BATCH.csv --model NAME@ALIAS``: one monitoring run for a batch file."""

from __future__ import annotations

from typing import Any

import click

from csc_mlflow._cli._exits import blocked
from csc_mlflow._cli._output import emit_json, json_option, progress, say, table, verdict
from csc_mlflow._cli._store import existing_store

__all__ = ["monitor"]


def _read(path: str, policy_path: str | None) -> Any:
    """The batch as the suite of ``monitoring.data_quality`` reads it (its date columns parsed,
    codes kept as text), or as pandas reads a CSV when the policy names no suite."""
    import pandas as pd

    from csc_mlflow._resolve import resolve_policy
    from csc_mlflow.exceptions import DataError

    policy = resolve_policy(policy_path)
    dataset = policy.monitoring.data_quality if policy.monitoring is not None else None
    if dataset is not None:
        from csc_mlflow.quality._csv import read_csv
        from csc_mlflow.quality._suite import load_suite

        base = policy.source.parent if policy.source is not None else None
        suite = load_suite(policy.datasets[dataset].suite, base=base)
        return read_csv(path, suite.columns)[0]
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the CSV ({exc})", path=path) from exc


def _column(frame: Any, name: str, option: str, path: str) -> Any:
    import pandas as pd

    from csc_mlflow.exceptions import DataError

    if name not in frame.columns:
        raise DataError(
            f"{path} has no column {name!r} ({option}); its columns: "
            f"{', '.join(map(str, frame.columns[:20]))}",
            path=path,
        )
    values = pd.to_numeric(frame[name], errors="coerce")
    if values.isna().any():
        raise DataError(
            f"{path}: column {name!r} ({option}) holds values that are not 0 or 1",
            path=path,
            column=name,
        )
    return values.to_numpy()


def _score(model: str, frame: Any, tracking_uri: str | None) -> Any:
    """The registered model's predictions for the batch (its signature's input columns)."""
    import mlflow

    from csc_mlflow.exceptions import DataError

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    uri = f"models:/{model}"
    loaded = mlflow.pyfunc.load_model(uri)
    schema = loaded.metadata.get_input_schema()
    columns = schema.input_names() if schema is not None else list(frame.columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"the batch lacks the model's input columns {missing}; give them, or give the "
            "predictions with --predictions COLUMN",
            key="predictions",
        )
    import pandas as pd

    inputs = frame[columns].apply(pd.to_numeric, errors="coerce")
    return (loaded.predict(inputs) > 0.5).astype(int)


@click.command()
@click.argument("batch", type=click.Path(dir_okay=False, exists=True))
@click.option("--model", required=True, help="NAME@ALIAS or NAME/VERSION of the model used.")
@click.option(
    "--predictions",
    help="The column holding the model's 0/1 prediction per child (default: score the batch "
    "with the registered model).",
)
@click.option("--outcomes", help="The column holding what happened (0/1), when known.")
@click.option("--batch-id", help="A name for the batch (default: the time it is monitored).")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), help="Policy file.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow tracking URI.")
@json_option
def monitor(
    batch: str,
    model: str,
    predictions: str | None,
    outcomes: str | None,
    batch_id: str | None,
    policy_path: str | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Monitor BATCH (a CSV of live data) against the reference profile of MODEL: drift,
    group rates and data quality in a sealed monitoring run (exit 3 when it does not pass)."""
    from csc_mlflow.monitoring import monitor as run_monitor

    tracking_uri = existing_store(tracking_uri)
    frame = _read(batch, policy_path)
    predicted = (
        _column(frame, predictions, "--predictions", batch)
        if predictions
        else _score(model, frame, tracking_uri)
    )
    observed = _column(frame, outcomes, "--outcomes", batch) if outcomes else None
    with progress(f"monitoring {batch}"):
        result = run_monitor(
            model,
            frame,
            predicted,
            observed,
            batch_id=batch_id or None,
            policy=policy_path,
            tracking_uri=tracking_uri,
        )
    body = result.payload
    if as_json:
        emit_json(
            {
                "run_id": result.run_id,
                "model": result.model,
                "version": result.version,
                "status": result.status,
                "reasons": list(result.reasons),
                "actions": list(result.actions),
                "drift": [
                    {
                        "feature": d.feature,
                        "psi": d.psi,
                        "p_adjusted": d.p_adjusted,
                        "verdict": d.verdict,
                    }
                    for d in body.drift
                ],
                "changes": [c.model_dump(mode="json") for c in body.changes],
            }
        )
    else:
        say(
            f"{result.model} version {result.version}, batch {body.batch} ({body.count} "
            "children): ",
            verdict(result.status),
            f" (monitoring run {result.run_id})",
        )
        table(
            ["feature", "PSI", "adjusted p", "verdict"],
            [
                [
                    d.feature,
                    "" if d.psi is None else f"{d.psi:.3f}",
                    "" if d.p_adjusted is None else f"{d.p_adjusted:.3g}",
                    verdict(d.verdict),
                ]
                for d in body.drift
            ],
            right=("PSI", "adjusted p"),
        )
        for reason in result.reasons:
            say(f"  - {reason}")
        for action in result.actions:
            say(f"  alias {action}")
    if result.status != "passed":
        blocked()
