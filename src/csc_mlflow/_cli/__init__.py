"""The ``csc-mlflow`` command. Thin: each command calls one library function.

Exit codes, everywhere, from one mapping (:mod:`._main`): 0 passed or valid, 1 error,
2 usage, 3 blocked (a status or decision that is not ``passed``).
"""

from csc_mlflow._cli._main import main

__all__ = ["main"]
