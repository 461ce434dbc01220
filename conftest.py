"""Root pytest configuration: charts draw headless everywhere, doctests included."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
