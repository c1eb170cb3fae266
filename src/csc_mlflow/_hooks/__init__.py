"""The hooks into MLflow: the run-context provider, the run-end hook, autolog and governed_run.

Only MLflow's documented mechanisms: the ``mlflow.run_context_provider`` entry point
(:mod:`._provider`), ``MlflowClient.set_terminated`` wrapped once after the user opted in
(:mod:`._run_end`), and ``autolog()`` / ``governed_run()`` (:mod:`._capture`).
"""
