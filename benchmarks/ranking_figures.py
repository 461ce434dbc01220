"""The figures of the README's "Whom do I call first?" section, recomputed.

Three books, each backtested weekly with :func:`arcalls.backtest` (the model, the
analyst's baseline, the three rules and perfect foresight):

- the bundled sample (``arcalls.load_sample()``, the simulator's seed 0), 39 weeks of
  2026, top 25 calls a week;
- the IBM accounts-receivable sample (``../shared/data``), weekly through 2013, top 5,
  at 7- and 14-day horizons (no call log);
- the simulator over seeds 0-9 (400 customers each, the sample's settings), reported as
  mean +- sd over the seeds, with the calibration of ``p_pay`` by decile pooled over
  every seed's test weeks, and the share of **call-caused dollars** each weekly list
  captures.

Call-caused dollars (measured, not optimised): in the simulated world a right-party
contact multiplies the customer's daily payment hazard on each invoice past due by
``truth.contact_hazard_multiplier`` for ``truth.contact_effect_days`` days. For an
account on the as-of date, the dollars a call causes are

    P(right-party contact | call) x sum over its open past-due invoices of
    open amount x 0.9175 x [(1 - h)^E - (1 - min(m h, 1))^E]

with ``h`` the invoice's true daily hazard on that date (the customer's propensity, the
invoice's age, disputed or placed; none while a payment plan governs the customer's
payments, ``truth.plans``), ``m`` the multiplier, ``E`` the effect days, 0.9175
the mean share of the balance a payment pays (15 % of payments are partial, 20-70 %),
and ``P(right-party contact | call)`` the customer's answer probability with the
simulator's hour and weekday lifts averaged over a business week, times 0.8 (a fifth of
answers are a third party), times 0.2 when the number on file is wrong 80 % of the
time. A list's share is its top-k's call-caused dollars over those of the top-k ranked
by call-caused dollars itself, summed over the weeks.

Usage::

    python benchmarks/ranking_figures.py                 # print the table (~4 minutes)
    python benchmarks/ranking_figures.py --out benchmarks/ranking_figures.json
    python benchmarks/ranking_figures.py --seeds 3       # fewer seeds, faster
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import arcalls
from arcalls.ledger import invoice_balances
from arcalls.simulate import (
    AGENCY_HAZARD_FACTOR,
    BASE_DAILY_HAZARD,
    BEST_WINDOW_HOURS,
    DAY_LIFT,
    DISPUTED_HAZARD_FACTOR,
    HAZARD_DECAY_DAYS,
    HOUR_LIFT,
)

REPO = Path(__file__).resolve().parent.parent
IBM_CSV = (
    REPO.parent
    / "shared"
    / "data"
    / "ibm-accounts-receivable"
    / "WA_Fn-UseC_-Accounts-Receivable.csv"
)
#: The sample's backtest: the README's call.
SAMPLE = {"start": "2026-01-04", "end": "2026-09-27", "k": 25}
#: The IBM backtest: weekly through 2013, top 5 (about 9 overdue accounts a week).
IBM = {"start": "2013-01-06", "end": "2013-12-29", "k": 5}
IBM_HORIZONS = (7, 14)
STRATEGIES = ("model", "analyst", "largest_overdue", "oldest", "last_week")
#: Mean share of the balance one late payment pays (85 % in full, 15 % 20-70 %).
PAID_SHARE = 0.85 + 0.15 * 0.45
#: Business hours in which the simulated collectors call (9:00-17:00), weekdays.
CALL_HOURS, WEEKDAYS = 8.0, 5.0


def summary_figures(result) -> dict:
    """Per strategy: share of perfect foresight, mean weekly AUC, Brier (p only)."""
    s = result.summary.set_index("strategy")
    out = {}
    for name in STRATEGIES:
        row = s.loc[name]
        out[name] = {
            "share": round(float(row["share"]), 4),
            "auc": round(float(row["auc"]), 4),
            "captured": round(float(row["captured"]), 2),
        }
        if np.isfinite(row["brier"]):
            out[name]["brier"] = round(float(row["brier"]), 4)
    out["perfect"] = {"captured": round(float(s.loc["perfect", "captured"]), 2)}
    out["weeks"] = int(s.loc["model", "weeks"])
    return out


def sample_figures() -> dict:
    s = arcalls.load_sample()
    return summary_figures(arcalls.backtest(*s, **SAMPLE))


def ibm_figures(path: Path = IBM_CSV) -> dict:
    inv = arcalls.load_invoices(path, preset="ibm_ar")
    return {
        f"{h}d": summary_figures(arcalls.backtest(inv, **IBM, horizon_days=h)) for h in IBM_HORIZONS
    }


def call_caused_dollars(sim, scores: pd.DataFrame) -> pd.Series:
    """Per row of ``scores`` (as_of, customer_id): the dollars a call that day causes."""
    truth = sim.truth
    cust = truth.customers.set_index("customer_id")
    inv_truth = truth.invoices.set_index("invoice_id")
    out = []
    for as_of, week in scores.groupby("as_of", sort=True):
        bal = invoice_balances(truth.invoices, truth.payments, as_of=as_of)
        bal = bal[(bal["open_amount"] > 0) & (bal["days_past_due"] > 0)]
        bal = bal[bal["customer_id"].isin(week["customer_id"])]
        c = cust.loc[bal["customer_id"]]
        disputed = inv_truth.loc[bal["invoice_id"], "disputed_date"].to_numpy() <= as_of
        placed = c["placed_with_agency_date"].to_numpy() <= as_of
        scale = BASE_DAILY_HAZARD * (0.25 + 0.75 * c["pay_propensity"].to_numpy())
        plans = truth.plans
        governed = plans.loc[
            (plans["agreed_date"] < as_of) & (plans["end_date"] >= as_of), "customer_id"
        ]
        h = (
            np.where(bal["customer_id"].isin(governed).to_numpy(), 0.0, scale)
            * np.exp(-bal["days_past_due"].to_numpy() / HAZARD_DECAY_DAYS)
            * np.where(disputed, DISPUTED_HAZARD_FACTOR, 1.0)
            * np.where(placed, AGENCY_HAZARD_FACTOR, 1.0)
        )
        m, days = truth.contact_hazard_multiplier, truth.contact_effect_days
        lift = (1 - h) ** days - (1 - np.minimum(m * h, 1.0)) ** days
        dollars = bal["open_amount"].to_numpy() * PAID_SHARE * lift
        per = pd.Series(dollars, index=bal["customer_id"].to_numpy()).groupby(level=0).sum()
        ids = week["customer_id"].to_numpy()
        answer = (
            cust.loc[ids, "answer_prob"].to_numpy()
            * (1 + (HOUR_LIFT - 1) * BEST_WINDOW_HOURS / CALL_HOURS)
            * (1 + (DAY_LIFT - 1) * 2 / WEEKDAYS)
        )
        rpc = np.minimum(answer, 0.95) * 0.8 * np.where(cust.loc[ids, "bad_phone"], 0.2, 1.0)
        out.append(pd.Series(rpc * per.reindex(ids).fillna(0.0).to_numpy(), index=week.index))
    return pd.concat(out).reindex(scores.index)


def captured_share(scores: pd.DataFrame, caused: pd.Series, k: int) -> dict:
    """Per strategy: its top-k's call-caused dollars over the best k's, all weeks."""
    frame = scores.assign(caused=caused.to_numpy())
    best = frame.groupby("as_of")["caused"].apply(lambda w: w.nlargest(k).sum()).sum()
    shares = {}
    for name in STRATEGIES:
        top = (
            frame.sort_values(
                ["as_of", name, "customer_id"], ascending=[True, False, True], kind="mergesort"
            )
            .groupby("as_of")
            .head(k)
        )
        shares[name] = float(top["caused"].sum() / best)
    shares["best_dollars"] = float(best)
    return shares


def seed_figures(seed: int) -> tuple[dict, pd.DataFrame]:
    sim = arcalls.simulate(n_customers=400, seed=seed)
    result = arcalls.backtest(*sim.tables, **SAMPLE)
    figures = summary_figures(result)
    caused = call_caused_dollars(sim, result.scores)
    figures["call_caused"] = {
        k: round(v, 4 if k != "best_dollars" else 2)
        for k, v in captured_share(result.scores, caused, SAMPLE["k"]).items()
    }
    return figures, result.scores[["p_pay", "paid"]]


def simulator_figures(seeds: int = 10) -> dict:
    per_seed, pooled = {}, []
    for seed in range(seeds):
        per_seed[seed], scores = seed_figures(seed)
        pooled.append(scores)
        print(f"seed {seed} done", file=sys.stderr, flush=True)
    both = pd.concat(pooled, ignore_index=True)
    deciles = arcalls.reliability_table(both["paid"], both["p_pay"], strategy="quantile")
    # The worst decile unrounded, on the table's own bins.
    edges = np.append(deciles["bin_low"].to_numpy(), 1.0)
    p, paid = both["p_pay"].to_numpy("float64"), both["paid"].to_numpy("float64")
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(deciles) - 1)
    means = pd.DataFrame({"bin": which, "p": p, "y": paid}).groupby("bin").mean()
    worst = float((means["y"] - means["p"]).abs().max())
    table = {}
    for name in STRATEGIES:
        for metric in ("share", "auc", "brier"):
            values = [f[name][metric] for f in per_seed.values() if metric in f[name]]
            if values:
                table[f"{name}.{metric}"] = _mean_sd(values)
        values = [f["call_caused"][name] for f in per_seed.values()]
        table[f"{name}.call_caused"] = _mean_sd(values)
    lifts = [f["model"]["share"] - f["analyst"]["share"] for f in per_seed.values()]
    table["model_minus_analyst.share"] = _mean_sd(lifts)
    rules = [
        f["model"]["share"] - max(f[r]["share"] for r in ("largest_overdue", "oldest", "last_week"))
        for f in per_seed.values()
    ]
    table["model_minus_best_rule.share"] = _mean_sd(rules)
    return {
        "seeds": seeds,
        "per_seed": {str(k): v for k, v in per_seed.items()},
        "mean_sd": table,
        "deciles": deciles.to_dict(orient="list"),
        "max_decile_gap": round(worst, 4),
        "top_decile": {
            "predicted": float(deciles["mean_predicted"].iloc[-1]),
            "observed": float(deciles["observed_rate"].iloc[-1]),
        },
    }


def _mean_sd(values) -> dict:
    values = np.asarray(values, dtype="float64")
    return {"mean": round(float(values.mean()), 4), "sd": round(float(values.std(ddof=1)), 4)}


def markdown(figures: dict) -> str:
    """The README's tables, from the figures."""
    names = {
        "model": "model (expected dollars)",
        "analyst": "analyst's baseline (plain logistic regression)",
        "largest_overdue": "largest overdue first",
        "oldest": "oldest first",
        "last_week": "last week's list",
    }
    lines = []
    if "simulator" in figures:
        sim = figures["simulator"]["mean_sd"]
        n = figures["simulator"]["seeds"]
        lines += [
            f"Simulator, {n} seeds (mean ± sd), 39 weeks, top 25:",
            "",
            "| strategy | share of perfect foresight | AUC | Brier | call-caused dollars |",
            "|---|---|---|---|---|",
        ]
        for key, label in names.items():
            cells = [_pm(sim.get(f"{key}.{m}")) for m in ("share", "auc", "brier", "call_caused")]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    if "ibm" in figures:
        lines += [
            "IBM sample, weekly through 2013, top 5 (share of perfect foresight / AUC):",
            "",
            "| strategy | " + " | ".join(f"{h} days" for h in IBM_HORIZONS) + " |",
            "|---|" + "---|" * len(IBM_HORIZONS),
        ]
        for key, label in names.items():
            cells = [
                f"{figures['ibm'][f'{h}d'][key]['share']:.3f} / "
                f"{figures['ibm'][f'{h}d'][key]['auc']:.3f}"
                for h in IBM_HORIZONS
            ]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pm(cell) -> str:
    return "" if cell is None else f"{cell['mean']:.3f} ± {cell['sd']:.3f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    parser.add_argument("--show", type=Path, help="print the tables of a saved JSON file")
    args = parser.parse_args(argv)
    if args.show:
        print(markdown(json.loads(args.show.read_text(encoding="utf-8"))))
        return 0
    figures = {"sample": sample_figures(), "ibm": ibm_figures()}
    figures["simulator"] = simulator_figures(args.seeds)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(markdown(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
