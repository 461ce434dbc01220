"""Every chart the commands draw, read as a person would: no slip in its words or layout.

The report, recovery and promises commands run on the bundled sample and on the IBM
sample (skipped, saying why, when ../shared/data is absent); every figure they save is
checked before it is written: titles and labels (no "from 100 % to 100 %", no "1 points",
the verb agreeing with its subject, "log" only on a log axis), no legend over plotted
points, and axis limits that contain the data.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import arcalls._export as export
from arcalls.cli import main
from arcalls.plots import plot_calibration, plot_recovery_curve
from arcalls.plots._report import PLURAL_DRIVERS, plot_ranking_drivers

REPEATED = re.compile(r"\bfrom (\$?\d[\d.,]*\s?%?)(?!\d).*\bto \1(?![\d.,])")
ONE_PLURAL = re.compile(
    r"\b1 (points|accounts|customers|invoices|days|weeks|calls|promises|rows)\b"
)


def _texts(ax) -> list[str]:
    texts = [ax.get_title(loc=loc) for loc in ("left", "center", "right")]
    texts += [ax.get_xlabel(), ax.get_ylabel()]
    legend = ax.get_legend()
    if legend is not None:
        texts += [t.get_text() for t in legend.get_texts()]
    return [t for t in texts if t]


def _slips(fig) -> list[str]:
    found = []
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for text in _texts(ax):
            low = text.lower()
            if REPEATED.search(text):
                found.append(f"repeated figure: {text!r}")
            if ONE_PLURAL.search(text) or "(s)" in text:
                found.append(f"plural: {text!r}")
            if any(f"{label} lifts" in low for label in PLURAL_DRIVERS):
                found.append(f"verb agreement: {text!r}")
        for axis, scale in (("x", ax.get_xscale()), ("y", ax.get_yscale())):
            label = ax.get_xlabel() if axis == "x" else ax.get_ylabel()
            if "log scale" in label.lower() and scale != "log":
                found.append(f"'log scale' on a {scale} {axis} axis: {label!r}")
        found += _legend_over_points(ax, renderer)
        found += _tick_labels_overlap(ax, renderer)
        found += _data_outside_limits(ax)
    return found


def _legend_over_points(ax, renderer) -> list[str]:
    legend = ax.get_legend()
    if legend is None:
        return []
    box = legend.get_window_extent(renderer)
    inside_axes = ax.get_window_extent(renderer)
    if not inside_axes.contains(box.x0 + 1, box.y0 + 1):
        return []  # a legend beside the plot covers nothing
    out = []
    # Every plotted line of this axes and of its twins (the same area of the figure).
    for other in ax.figure.axes:
        if other.bbox.bounds != ax.bbox.bounds:
            continue
        for line in other.get_lines():
            xy = np.asarray(line.get_xydata(), dtype=float)  # dates as plotted numbers
            xy = xy[np.isfinite(xy).all(axis=1)]
            if not len(xy):
                continue
            points = other.transData.transform(xy)
            hit = (
                (points[:, 0] > box.x0)
                & (points[:, 0] < box.x1)
                & (points[:, 1] > box.y0)
                & (points[:, 1] < box.y1)
            )
            if hit.any():
                out.append(f"legend over {line.get_label()!r} ({ax.get_title(loc='left')!r})")
    return out


def _tick_labels_overlap(ax, renderer) -> list[str]:
    # Rotated labels lie side by side along their slant; their boxes always overlap.
    labels = [
        t
        for t in ax.get_xticklabels()
        if t.get_visible() and t.get_text() and t.get_rotation() == 0
    ]
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    for left, right in zip(boxes, boxes[1:], strict=False):
        if left.x1 > right.x0 and left.y1 > right.y0 and right.y1 > left.y0:
            return [f"x tick labels overlap ({ax.get_title(loc='left')!r})"]
    return []


def _data_outside_limits(ax) -> list[str]:
    low, high = ax.get_ylim()
    tops = [
        float(p.get_y() + p.get_height())
        for c in ax.containers
        for p in c
        if hasattr(p, "get_height")
    ]
    out = []
    if (
        tops
        and ax.name == "rectilinear"
        and max(tops) > high + 1e-9
        and not ax.get_yscale() == "log"
    ):
        out.append(
            f"bars above the axis top {high:g}: {max(tops):g} ({ax.get_title(loc='left')!r})"
        )
    return out


def _run_and_read(monkeypatch, tmp_path, runs) -> dict[str, list[str]]:
    saved = export.save_figure
    slips: dict[str, list[str]] = {}

    def checked(fig, path, *args, **kwargs):
        slips[str(path.name) + " " + str(path.parent.name)] = _slips(fig)
        return saved(fig, path, *args, **kwargs)

    monkeypatch.setattr(export, "save_figure", checked)
    monkeypatch.chdir(tmp_path)
    for argv in runs:
        assert main([*argv, "--debug"]) == 0, argv
    plt.close("all")
    return slips


def test_every_chart_of_the_sample_reads_right(monkeypatch, tmp_path, capsys):
    slips = _run_and_read(
        monkeypatch,
        tmp_path,
        [
            ["report", "--out", "report"],
            ["recovery", "--out", "recovery"],
            ["promises", "--out", "promises"],
        ],
    )
    capsys.readouterr()
    assert len(slips) >= 20  # every chart was read
    assert {k: v for k, v in slips.items() if v} == {}


def test_every_chart_of_the_ibm_sample_reads_right(ibm_ar_path, monkeypatch, tmp_path, capsys):
    common = [str(ibm_ar_path), "--preset", "ibm_ar"]
    slips = _run_and_read(
        monkeypatch,
        tmp_path,
        [["report", *common, "--out", "report"], ["recovery", *common, "--out", "recovery"]],
    )
    capsys.readouterr()
    assert len(slips) >= 8
    assert {k: v for k, v in slips.items() if v} == {}


def test_a_flat_recovery_says_it_stays():
    curve = pd.DataFrame(
        {
            "days_past_due": [0, 90, 180],
            "recovery_rate": [1.0, 0.999, 0.998],
            "ci_low": [1.0, 0.99, 0.99],
            "ci_high": [1.0, 1.0, 1.0],
            "dollars_at_risk": [100.0, 50.0, 10.0],
        }
    )
    ax = plot_recovery_curve(curve, benchmark=False)
    assert ax.get_title(loc="left") == "Recovery stays at 100% from 0 to 180 days past due"
    plt.close("all")


def test_a_plural_driver_takes_a_plural_verb_and_no_log_scale_is_claimed():
    drivers = pd.DataFrame({"group": ["balance", "disputes"], "mean_contribution": [0.2, 0.9]})
    ax = plot_ranking_drivers(drivers)
    assert ax.get_title(loc="left") == "Disputes lift these accounts most"
    assert "log scale" not in ax.get_xlabel()
    plt.close("all")


def test_one_point_off_is_singular():
    table = pd.DataFrame({"accounts": [100], "mean_predicted": [0.2], "observed_rate": [0.21]})
    ax = plot_calibration(table)
    assert ax.get_title(loc="left") == "Predicted chances of payment are off by 1 point on average"
    plt.close("all")
