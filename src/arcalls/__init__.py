"""arcalls: chase unpaid invoices by phone, from your own CSV exports.

The public API is what this module lists in ``__all__``; each name lives in one module
per concern (``io``, ``aging``, ``recovery`` ...) and everything else is private.
"""

import importlib as _importlib

from . import plots
from .aging import *  # noqa: F403
from .calllist import *  # noqa: F403
from .currency import *  # noqa: F403
from .datasets import *  # noqa: F403
from .errors import (
    AmbiguousDateError,
    ArcallsError,
    InputError,
    IntegrityError,
    ModelFileError,
    NotEnoughHistoryError,
    OutputError,
    ParseError,
    RowsSetAsideWarning,
    SchemaError,
)
from .features import *  # noqa: F403
from .followups import *  # noqa: F403
from .io import *  # noqa: F403
from .late_charges import *  # noqa: F403
from .ledger import *  # noqa: F403
from .plans import *  # noqa: F403
from .promises import *  # noqa: F403
from .recovery import *  # noqa: F403
from .report import *  # noqa: F403
from .schema import OUTCOMES, Tables
from .simulate import *  # noqa: F403
from .statements import *  # noqa: F403
from .worksheet import *  # noqa: F403

__version__ = "0.1.0"

# Read through sys.modules: `arcalls.aging` and `arcalls.simulate` are the functions of
# those names, which shadow their modules as attributes of the package.
_MODULES = (
    "aging",
    "calllist",
    "currency",
    "datasets",
    "features",
    "followups",
    "io",
    "late_charges",
    "ledger",
    "plans",
    "promises",
    "recovery",
    "report",
    "simulate",
    "statements",
    "worksheet",
)

# The ranking model needs scikit-learn, whose import costs about two seconds: it is
# imported on first use, so that `arcalls check` or `arcalls aging` start fast.
# tests/test_package.py checks that this list is ranking.__all__.
_LAZY_RANKING = (
    "BacktestResult",
    "CallPriorityModel",
    "MODEL_FEATURES",
    "STRATEGIES",
    "backtest",
    "fit_call_priority_model",
    "load_model",
    "reliability_table",
    "save_model",
)


def __getattr__(name: str):
    if name == "ranking":
        return _importlib.import_module("arcalls.ranking")
    if name in _LAZY_RANKING:
        return getattr(_importlib.import_module("arcalls.ranking"), name)
    raise AttributeError(f"module 'arcalls' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_RANKING))


__all__ = [
    "AmbiguousDateError",
    "ArcallsError",
    "InputError",
    "IntegrityError",
    "ModelFileError",
    "NotEnoughHistoryError",
    "OUTCOMES",
    "OutputError",
    "ParseError",
    "RowsSetAsideWarning",
    "SchemaError",
    "Tables",
    "plots",
    *_LAZY_RANKING,
    *(name for m in _MODULES for name in _importlib.import_module(f"arcalls.{m}").__all__),
]
