"""One visual style for every arcalls chart: palette, money axes, titles.

Colours are the Okabe-Ito palette, safe for the common forms of colour blindness.
matplotlib is imported only when a chart is drawn, so ``import arcalls`` stays light.
"""

from __future__ import annotations

import re

_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")

#: Okabe-Ito colour-blind-safe palette, in the order charts use it.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Named roles, so that "model" or "benchmark" has the same colour in every chart.
COLORS = {
    "primary": PALETTE[0],
    "secondary": PALETTE[1],
    "good": PALETTE[2],
    "bad": PALETTE[3],
    "accent": PALETTE[4],
    "band": PALETTE[5],
    "benchmark": "#555555",
}
#: Figure size (inches) readable at 100 % zoom in a notebook and in the report.
FIGSIZE = (8.0, 4.5)


def get_ax(ax=None):
    """``ax`` itself, or the Axes of a new figure in the arcalls size."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    return ax


#: At most this many intervals between money ticks on a horizontal axis.
MONEY_XTICKS = 4


def money_axis(axis, currency: str = "$") -> None:
    """Format an axis (``ax.yaxis`` or ``ax.xaxis``) as money: $1.2k, $3.4M."""
    from matplotlib.axis import XAxis
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_money(v, currency)))
    if isinstance(axis, XAxis):
        # Side by side, "USD 12.5k" labels run into each other: fewer of them.
        axis.set_major_locator(MaxNLocator(nbins=MONEY_XTICKS, steps=[1, 2, 2.5, 5, 10]))


def percent_axis(axis, decimals: int = 0) -> None:
    """Format an axis holding shares in [0, 1] as percentages."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=decimals))


def format_money(value: float, currency: str = "$") -> str:
    """Short money text for ticks and labels: ``$950``, ``$12.3k``, ``$1.2M``.

    Examples
    --------
    >>> format_money(1234567)
    '$1.2M'
    >>> format_money(-950)
    '-$950'
    """
    sign = "-" if value < 0 else ""
    v = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            return f"{sign}{currency}{v / limit:.1f}{suffix}"
    return f"{sign}{currency}{v:,.0f}"


def legend_below(ax, **options):
    """The legend under the plot, beside no data: where the lines go depends on the book.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = plt.figure().add_subplot()
    >>> _ = ax.plot([0, 1], [0, 1], label="a")
    >>> legend_below(ax).get_texts()[0].get_text()
    'a'
    """
    options = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.16), "ncol": 2, **options}
    return ax.legend(frameon=False, fontsize=9, **options)


def finish(ax, *, title: str, xlabel: str | None = None, ylabel: str | None = None):
    r"""Set a title that states the finding, axis labels with units, a light grid.

    A ``$`` is escaped (unless it already is): matplotlib would typeset the text between
    two of them as mathematics, and titles quote dollars.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = finish(plt.figure().add_subplot(), title="Call C1: $600 of $900")
    >>> ax.get_title(loc="left")
    'Call C1: \\$600 of \\$900'
    """
    ax.set_title(_UNESCAPED_DOLLAR.sub(r"\\$", title), loc="left", fontsize=12)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
