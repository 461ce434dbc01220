"""``python -m arcalls.simulate --out DIR [--invoices N]``: write a simulated history."""

import sys

from arcalls.simulate import main

sys.exit(main())
