"""The report a stakeholder takes into the meeting: one self-contained HTML file.

It answers the same question the pages do, in the order a meeting needs it: the question, the
setup, the answer in sentences, the charts, the tables with their intervals, and the assumptions
the figures rest on. Charts are drawn with Matplotlib as inline SVG, so the file needs no network,
no script and no other file, and prints to PDF from any browser. Written by ``baytwin report``
and by the button on the comparison and sweep pages.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from baytwin.dashboards.comparison import Variant, compare, comparison_table, distribution_frame, headline
from baytwin.dashboards.data import Constraint, Sweep, rank_cells, scenario_differences
from baytwin.dashboards.figures import TRADE_OFF, better, figure, format_number, unit_of
from baytwin.dashboards.ranking import pareto_front, rank_paired, setting
from baytwin.dashboards.stats import mean_interval

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto;
       color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ccc; }
.answer { background: #eef5fb; border-left: 4px solid #0072B2; padding: .6rem 1rem; }
.warning { background: #fff4e0; border-left: 4px solid #E69F00; padding: .6rem 1rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1rem 0; } figcaption { font-size: .85rem; color: #555; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
"""

ASSUMPTIONS = (
    "Every figure comes from the twin: simulated drivers, chargers, cameras and rules, with the populations, "
    "behaviour and site described in the setup. A policy that changes how drivers behave in ways the twin "
    "does not model will do differently on site.",
    "Intervals are 95 %: Student's t over the runs' seeds. Runs with the same seed meet the same drivers at the "
    "same times, so two policies are compared seed by seed (paired); an interval holding zero is no "
    "significant difference.",
    "Per-cent changes are the difference over the baseline's mean, the baseline's mean taken as fixed.",
    "A handful of seeds gives wide intervals; more replications narrow them by about the square root of their number.",
)


def _e(text: Any) -> str:
    return html.escape(str(text))


def _svg(fig: Any) -> str:
    """A Matplotlib figure as inline SVG text (then closed, so a long report holds no figures open)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(format_number)
    return shown.to_html(index=index, escape=True, border=0, na_rep="–")


def _page(title: str, sections: list[tuple[str, str]]) -> str:
    body = "".join(f"<h2>{_e(heading)}</h2>{content}" for heading, content in sections)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>\n")


def _list(items: Iterable[str], css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<ul{attribute}>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"


# --- a comparison of runs --------------------------------------------------------------------


def _distribution_svg(variants: list[Variant], names: list[str]) -> str:
    """Each objective's value in every run, per variant, with the mean and its 95 % interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False)
    colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
    for ax, name in zip(axes[0], names):
        frame = distribution_frame(variants, name)
        for i, variant in enumerate(variants):
            values = frame[frame["variant"] == variant.label]["value"].dropna()
            ax.scatter([i] * len(values), values, color=colours[i % len(colours)], alpha=0.6, s=18)
            interval = mean_interval(values.to_numpy())
            if not math.isnan(interval.estimate):
                low = interval.low if interval.known else interval.estimate
                high = interval.high if interval.known else interval.estimate
                ax.errorbar([i + 0.15], [interval.estimate], yerr=[[interval.estimate - low], [high - interval.estimate]],
                            fmt="D", color="black", capsize=4, markersize=4)
        ax.set_xticks(range(len(variants)), [v.label for v in variants], rotation=20, ha="right")
        unit = unit_of(name, variants[0].currency)
        ax.set_title(figure(name).label, fontsize=9)
        ax.set_ylabel(unit if unit != "%" else "share")
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def comparison_report(baseline: Variant, variants: list[Variant], objectives: list[str]) -> str:
    """The report of ``variants`` against ``baseline`` on ``objectives`` (the headline figures)."""
    picked = [baseline, *variants]
    objectives = [o for o in objectives if all(o in v.summaries[v.seeds[0]] for v in picked)] or ["idle_bay_hours"]
    names = ", ".join(v.label for v in variants)
    question = (f"What {'does' if len(variants) == 1 else 'do'} {names} change against {baseline.label}, by how "
                "much, and how sure can we be? "
                f"Judged on {', '.join(figure(o).label for o in objectives)}.")
    setup_rows = [{"variant": v.label, "scenario": v.scenario.get("name"), "site": (v.scenario.get("site") or {}).get("id"),
                   "time zone": (v.scenario.get("site") or {}).get("timezone"), "days": v.days,
                   "seeds": ", ".join(str(s) for s in v.seeds), "currency": v.currency,
                   "policy": (v.scenario.get("policy") or {}).get("name")} for v in picked]
    differing = scenario_differences({v.label: v.scenario for v in picked})
    setup = (_table(pd.DataFrame(setup_rows)) + "<p>What differs between them (policy first):</p>"
             + (_table(differing.sort_values("path", key=lambda p: ~p.str.startswith("policy."), kind="stable").head(40))
                if not differing.empty else "<p>Nothing: the scenarios are identical.</p>"))
    answer = _list([headline(compare(baseline, v, o)) for v in variants for o in objectives], "answer")
    table = comparison_table(baseline, variants, [o for o in dict.fromkeys([*objectives, *TRADE_OFF])
                                                  if all(o in v.summaries[v.seeds[0]] for v in picked)])
    sections = [
        ("Question", f"<p>{_e(question)}</p>"),
        ("Setup", setup),
        ("Answer", answer),
        ("Outcomes across the runs", _figure(_distribution_svg(picked, objectives),
                                              "One dot per run; black: the mean and its 95 % interval.")),
        ("Differences from " + baseline.label, _table(table.drop(columns=["key"]))),
        ("Assumptions", _list(ASSUMPTIONS)),
    ]
    return _page(f"Comparison: {names} against {baseline.label}", sections)


# --- a sweep ---------------------------------------------------------------------------------


def _ranking_svg(ranked: pd.DataFrame, axes: list[str], objective: str, currency: str) -> str:
    """The cells' means on the objective with their intervals, best at the top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = ranked.head(25).to_dict("records")
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 1.2))
    for i, row in enumerate(rows):
        mean = row[f"{objective}_mean"]
        low, high = row.get(f"{objective}_ci_low", math.nan), row.get(f"{objective}_ci_high", math.nan)
        colour = "#0072B2" if row.get("verdict") in ("best", "no significant difference from the best",
                                                     "identical to the best") else "#999999"
        err = [[mean - low], [high - mean]] if not (math.isnan(low) or math.isnan(high)) else None
        ax.errorbar([mean], [i], xerr=err, fmt="o", color=colour, capsize=3)
    ax.set_yticks(range(len(rows)), [setting(r, axes) for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"{figure(objective).label} ({unit_of(objective, currency)})")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def _pareto_svg(cells: pd.DataFrame, x: str, y: str, front: pd.Series, currency: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for on, colour, marker in ((False, "#999999", "o"), (True, "#0072B2", "D")):
        part = cells[front == on]
        ax.errorbar(part[f"{x}_mean"], part[f"{y}_mean"],
                    xerr=[part[f"{x}_mean"] - part[f"{x}_ci_low"], part[f"{x}_ci_high"] - part[f"{x}_mean"]],
                    yerr=[part[f"{y}_mean"] - part[f"{y}_ci_low"], part[f"{y}_ci_high"] - part[f"{y}_mean"]],
                    fmt=marker, color=colour, alpha=0.8, capsize=2, label="on the front" if on else "beaten")
    ax.set_xlabel(f"{figure(x).label} ({unit_of(x, currency)})")
    ax.set_ylabel(f"{figure(y).label} ({unit_of(y, currency)})")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def sweep_report(sweep: Sweep, objective: str, maximize: bool | None = None,
                 constraints: Iterable[Constraint] = (), conservative: bool = False) -> str:
    """The report of a sweep: the best policy on ``objective`` (its natural direction by default)
    under ``constraints``, ranked by paired differences, and the trade-off between objectives."""
    from baytwin.sim.sweep.effect import axes_without_effect, no_effect_message

    constraints = list(constraints)
    axes, cells, currency = sweep.axes, sweep.cells, sweep.currency
    if maximize is None:
        maximize = better(objective) != "lower"
    ranked = rank_cells(cells, axes, objective, maximize, constraints, conservative)
    ranking = rank_paired(ranked, sweep.runs, axes, objective, maximize, len(cells), currency)
    wording = "highest" if maximize else "lowest"
    limits = "; ".join(f"{c.metric} {c.op} {c.bound:g}" + (" (whole interval)" if conservative else "")
                       for c in constraints)
    question = (f"Which policy of the grid gives the {wording} {figure(objective).label}"
                + (f", subject to {limits}" if limits else "") + ", and how sure is that?")
    axes_table = pd.DataFrame([{"axis": a, "sets": sweep.axis_path(a), "values": ", ".join(map(str, sweep.axis_values(a)))}
                               for a in axes])
    setup = (f"<p>Scenario {_e(sweep.spec.get('scenario', '?'))}: {len(sweep.runs):,} runs in {len(cells):,} cells, "
             f"{_e(sweep.spec.get('replications', '?'))} replications each with the same seeds in every cell, "
             f"{_e(sweep.spec.get('days', '?'))} days per run. Money in {_e(currency)}.</p>" + _table(axes_table))
    inert = [no_effect_message(a, sweep.axis_path(a)) for a in axes_without_effect(sweep.runs, axes, sweep.metrics)]
    answer = f'<p class="answer">{_e(ranking.message)}</p>' + (_list(inert, "warning") if inert else "")
    sections = [("Question", f"<p>{_e(question)}</p>"), ("Setup", setup), ("Answer", answer)]
    if not ranking.table.empty:
        sections.append(("Ranking", _figure(_ranking_svg(ranking.table, axes, objective, currency),
                                            "Cell means with 95 % intervals, best first (blue: the best and those "
                                            "not significantly different from it).")
                         + _table(ranking.table.reset_index())))
    trade = [m for m in TRADE_OFF if m in sweep.metrics and m != objective][:1]
    if trade:
        pair = [objective, trade[0]]
        directions = {m: better(m) != "lower" for m in pair}
        directions[objective] = maximize
        front = pareto_front(cells, pair, directions)
        shown = cells.assign(setting=[setting(r, axes) for r in cells.to_dict("records")])[front]
        sections.append(("Trade-off", _figure(_pareto_svg(cells, pair[0], pair[1], front, currency),
                                              f"Blue: the cells no other cell beats on both {figure(pair[0]).label} "
                                              f"and {figure(pair[1]).label}. Bars: 95 % intervals.")
                         + _table(shown[["setting", *[f"{m}_{p}" for m in pair for p in ("mean", "ci_low", "ci_high")]]])))
    sections.append(("Assumptions", _list(ASSUMPTIONS)))
    return _page(f"Sweep: {sweep.spec.get('scenario_name') or sweep.folder.name}", sections)
