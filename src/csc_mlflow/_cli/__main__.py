"""``python -m csc_mlflow._cli``: the ``csc-mlflow`` command."""

from csc_mlflow._cli import main

main(prog_name="csc-mlflow")
