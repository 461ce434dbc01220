"""Charts: one function per chart, each ``plot_x(result, *, ax=None) -> Axes``.

Every function draws numbers an analysis already computed; none computes its own and
none calls ``plt.show()``. The chart functions live in one private module per analysis
(``_aging``, ``_recovery`` ...) so that each concern stays small; this module is the one
public place to import them from.
"""

from ._aging import (
    plot_aging_buckets,
    plot_ar_metrics_trend,
    plot_cei_trend,
    plot_top_overdue,
)
from ._promises import (
    plot_broken_promise_rate_by_collector,
    plot_broken_promise_rate_by_month,
    plot_contact_heatmap,
    plot_outcome_funnel,
)
from ._ranking import plot_backtest, plot_gain
from ._recovery import (
    plot_handoff,
    plot_handoff_sensitivity,
    plot_recovery_curve,
    plot_share_unpaid,
)
from ._report import (
    plot_broken_promise_rate_by_age,
    plot_calibration,
    plot_call_list,
    plot_ranking_drivers,
    plot_recovery_by_segment,
)
from ._style import COLORS, PALETTE, format_money

__all__ = [
    "COLORS",
    "PALETTE",
    "format_money",
    "plot_aging_buckets",
    "plot_ar_metrics_trend",
    "plot_cei_trend",
    "plot_top_overdue",
    "plot_backtest",
    "plot_broken_promise_rate_by_age",
    "plot_broken_promise_rate_by_collector",
    "plot_broken_promise_rate_by_month",
    "plot_calibration",
    "plot_call_list",
    "plot_contact_heatmap",
    "plot_gain",
    "plot_handoff",
    "plot_handoff_sensitivity",
    "plot_outcome_funnel",
    "plot_ranking_drivers",
    "plot_recovery_by_segment",
    "plot_recovery_curve",
    "plot_share_unpaid",
]
