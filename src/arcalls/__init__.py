"""arcalls: chase unpaid invoices by phone, from your own CSV exports.

The public API is what this module lists in ``__all__``; each name lives in one module
per concern (``io``, ``aging``, ``recovery`` ...) and everything else is private.
"""

from . import plots
from .aging import *  # noqa: F403
from .calllist import *  # noqa: F403
from .datasets import *  # noqa: F403
from .errors import (
    AmbiguousDateError,
    ArcallsError,
    InputError,
    IntegrityError,
    ModelFileError,
    OutputError,
    ParseError,
    RowsSetAsideWarning,
    SchemaError,
)
from .features import *  # noqa: F403
from .io import *  # noqa: F403
from .ledger import *  # noqa: F403
from .promises import *  # noqa: F403
from .ranking import *  # noqa: F403
from .recovery import *  # noqa: F403
from .schema import OUTCOMES, Tables
from .simulate import *  # noqa: F403

from . import aging, calllist, datasets, features, io, ledger, promises, ranking, recovery  # noqa: E402, I001
import importlib as _importlib  # noqa: E402

# `arcalls.simulate` is the generator function; its module is reached through sys.modules.
_simulate_module = _importlib.import_module("arcalls.simulate")

__version__ = "0.1.0"

__all__ = [
    "AmbiguousDateError",
    "ArcallsError",
    "InputError",
    "IntegrityError",
    "ModelFileError",
    "OUTCOMES",
    "OutputError",
    "ParseError",
    "RowsSetAsideWarning",
    "SchemaError",
    "Tables",
    "plots",
    *aging.__all__,
    *calllist.__all__,
    *datasets.__all__,
    *features.__all__,
    *io.__all__,
    *ledger.__all__,
    *promises.__all__,
    *ranking.__all__,
    *recovery.__all__,
    *_simulate_module.__all__,
]
