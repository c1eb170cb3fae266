"""The ``mlflow.model_evaluator`` plugin: fairness evidence from ``mlflow.models.evaluate``.

Inert unless ``evaluator_config`` names ``sensitive_features``: then it runs for classifiers,
taking predictions from the model (or the static predictions column) and the sensitive
columns from the evaluation data (column names) or from the config (arrays).
"""

from __future__ import annotations

from typing import Any

from mlflow.models.evaluation.base import EvaluationResult, ModelEvaluator


class CscFairnessEvaluator(ModelEvaluator):
    """Produces the same fairness evidence as ``csc_mlflow.evaluate_fairness``."""

    @classmethod
    def can_evaluate(
        cls, *, model_type: str, evaluator_config: dict[str, Any] | None, **kwargs: Any
    ) -> bool:
        config = evaluator_config or {}
        return model_type == "classifier" and bool(config.get("sensitive_features"))

    def evaluate(
        self,
        *,
        model_type: str,
        dataset: Any,
        run_id: str,
        evaluator_config: dict[str, Any],
        model: Any = None,
        extra_metrics: Any = None,
        custom_artifacts: Any = None,
        predictions: Any = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        import pandas as pd

        from csc_mlflow.exceptions import DataError
        from csc_mlflow.fairness._log import evaluate_fairness

        features = dataset.features_data
        y_pred = model.predict(features) if model is not None else dataset.predictions_data
        sensitive = evaluator_config["sensitive_features"]
        if isinstance(sensitive, str):
            sensitive = [sensitive]
        if isinstance(sensitive, list | tuple) and all(isinstance(c, str) for c in sensitive):
            missing = [c for c in sensitive if c not in features.columns]
            if missing:
                raise DataError(
                    f"evaluator_config sensitive_features names columns the evaluation data does "
                    f"not have: {missing}; pass them in the data (static-prediction mode) or as "
                    "arrays in evaluator_config",
                    column=missing[0],
                    key="evaluator_config.sensitive_features",
                )
            frame = features[list(sensitive)]
        else:
            frame = pd.DataFrame(sensitive)
        result = evaluate_fairness(
            dataset.labels_data,
            pd.Series(y_pred).to_numpy().reshape(-1),
            sensitive_features=frame,
            name=str(evaluator_config.get("name", "model")),
            policy=evaluator_config.get("policy"),
            run_id=run_id,
            model_id=kwargs.get("model_id"),
        )
        return EvaluationResult(  # type: ignore[no-untyped-call]
            metrics=result.mlflow_metrics(), artifacts={}, run_id=run_id
        )
