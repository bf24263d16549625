"""The report people look at: one self-contained HTML file of charts from the published marts.

`uptake report` reads the published file (`target/published.duckdb`, see uptake.serving)
and writes `target/report.html`: plotly.js inlined once, every chart's data inlined, no
request leaves the page, so it opens offline from a mail attachment or a file share. Each
chart carries a one-line reading computed from the same rows it draws. A chart whose mart
the build did not make (a `--select`), or whose mart is empty (a build without the source
that feeds it), says so in its place; the rest of the report is still written.
"""

from __future__ import annotations

import argparse
import html
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from uptake.landing import SPECS
from uptake.results import Warehouse, count, rate

DEFAULT_OUT = "target/report.html"
USER_TYPES = ("account", "web_user", "client")
USER_TYPE_LABELS = {"account": "accounts", "web_user": "web-tool users", "client": "clients"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Days to adopt beyond this are pooled into one last bar.
DAYS_TO_ADOPT_CAP = 60
# Adoption within this many days of signup, for cohorts the data has watched that long.
ADOPTION_HORIZON_DAYS = 30
# Minutes at which the time-to-first-view curves are evaluated (1 minute to 16 weeks).
LATENCY_GRID = tuple(round(10 ** (i / 10), 2) for i in range(0, 53))
# Odds-ratio axis ticks (halving and doubling).
ODDS_TICKS = (0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16)
# The colour of one series or trace family across charts (plotly's default cycle).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


class NoData(Exception):
    """A chart's marts are there but hold no rows for it (a source absent from the build)."""


@dataclass(frozen=True)
class Drawn:
    figure: Any  # plotly.graph_objects.Figure
    reading: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    tables: tuple[str, ...]  # the marts it needs; all must be built
    draw: Callable[[Warehouse], Drawn]
    extras: tuple[str, ...] = ()  # marts it also reads when they are there


@dataclass(frozen=True)
class Rendered:
    chart: Chart
    drawn: Drawn | None
    note: str  # why nothing is drawn (empty when drawn)
    missing_extras: tuple[str, ...] = ()


# Helpers shared by the charts.


def label(user_type: str) -> str:
    return USER_TYPE_LABELS.get(user_type, user_type)


def percent(value: float | None) -> str:
    return rate(value).replace(".0%", "%") if value is not None else "n/a"


def duration(minutes: float | None) -> str:
    if minutes is None:
        return "n/a"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def type_rank(user_type: str) -> int:
    """The place of a user type in the report's order (an unknown one last)."""
    return USER_TYPES.index(user_type) if user_type in USER_TYPES else len(USER_TYPES)


def ordered_types(present: Sequence[str]) -> list[str]:
    return sorted(set(present), key=lambda user_type: (type_rank(user_type), user_type))


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank q-quantile of sorted values (the smallest value with at least a
    share q of the values at or below it)."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def figure(**layout: Any):
    import plotly.graph_objects as go

    fig = go.Figure()
    defaults = {
        "template": "plotly_white",
        "height": 440,
        "margin": {"l": 70, "r": 30, "t": 60, "b": 50},
        "legend": {"orientation": "h", "y": -0.18},
    }
    fig.update_layout(**{**defaults, **layout})
    return fig


def with_menu(fig, groups: Sequence[tuple[str, int]]) -> None:
    """A drop-down that shows one group of traces at a time. ``groups`` are (label, number
    of traces) in the order the traces were added; the first group shows at first."""
    total = sum(n for _, n in groups)
    buttons, start = [], 0
    for name, n in groups:
        visible = [start <= j < start + n for j in range(total)]
        buttons.append({"label": name, "method": "update", "args": [{"visible": visible}]})
        start += n
    for trace, shown in zip(fig.data, buttons[0]["args"][0]["visible"], strict=True):
        trace.visible = shown
    if len(groups) > 1:
        fig.update_layout(
            updatemenus=[
                {
                    "buttons": buttons,
                    "x": 0,
                    "xanchor": "left",
                    "y": 1.02,
                    "yanchor": "bottom",
                    "direction": "down",
                    "showactive": True,
                }
            ],
            margin={"t": 80},
        )


def no_rows(name: str) -> NoData:
    return NoData(
        f"marts.{name} has no rows in this build (its source was not landed, or too little "
        "data for it)."
    )


# The charts. Each reads its marts, returns the figure and its reading, or raises NoData.


def retention_triangle(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select user_type, cohort_start_date, period_number, cohort_users, observable_users,
            retained_users, retention_rate, is_complete
        from marts.rpt_retention_cohorts
        where cohort_grain = 'week' and period_unit = 'week'
        order by 1, 2, 3
        """
    )
    if not rows:
        raise no_rows("rpt_retention_cohorts")
    cells: dict[str, dict[tuple[date, int], tuple]] = defaultdict(dict)
    for user_type, cohort, n, users, seen, retained, value, complete in rows:
        cells[user_type][(cohort, n)] = (users, seen, retained, value, complete)
    fig = figure(xaxis_title="weeks since the cohort day", yaxis_title="weekly cohort")
    groups, pooled = [], []
    for user_type in ordered_types(list(cells)):
        by_cell = cells[user_type]
        if not any(v[4] for v in by_cell.values()):
            continue  # no cell of this user type can be seen in full yet
        cohorts = sorted({c for c, _ in by_cell})
        weeks = sorted({n for _, n in by_cell})
        z, text = [], []
        for cohort in cohorts:
            z_row, text_row = [], []
            for n in weeks:
                users, seen, retained, value, complete = by_cell.get(
                    (cohort, n), (0, 0, 0, None, False)
                )
                # Only complete cells are coloured: a cell the data cannot see in full is
                # blank, never 0 (the triangle's empty corner).
                z_row.append(value if complete else None)
                state = "complete" if complete else f"incomplete: {seen} of {users} observable"
                text_row.append(f"{retained} of {seen} retained ({state})")
            z.append(z_row)
            text.append(text_row)
        fig.add_trace(
            go.Heatmap(
                x=weeks,
                y=[c.isoformat() for c in cohorts],
                z=z,
                text=text,
                zmin=0,
                zmax=1,
                colorscale="Blues",
                colorbar={"title": "retained", "tickformat": ".0%"},
                hovertemplate="cohort %{y}, week %{x}: %{z:.1%}<br>%{text}<extra></extra>",
                name=label(user_type),
            )
        )
        groups.append((label(user_type), 1))
        week_rates = []
        for n in (1, 4):
            complete = [v for (c, m), v in by_cell.items() if m == n and v[4]]
            seen = sum(v[1] for v in complete)
            week_rates.append(sum(v[2] for v in complete) / seen if seen else None)
        pooled.append(f"{label(user_type)} {percent(week_rates[0])} / {percent(week_rates[1])}")
    if not groups:
        raise NoData(
            "No cohort cell of marts.rpt_retention_cohorts can be seen in full yet (no "
            "activity after the cohort days, or too little data)."
        )
    fig.update_yaxes(type="category", autorange="reversed")
    with_menu(fig, groups)
    reading = (
        "Week-1 / week-4 retention over the complete weekly cohorts: " + "; ".join(pooled) + "."
    )
    return Drawn(fig, reading)


def retention_curves(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select user_type, segment_type, segment_value, week_number, observable_users,
            retained_users, retention_rate
        from marts.rpt_retention_segments
        order by 1, 2, 3, 4
        """
    )
    if not rows:
        raise no_rows("rpt_retention_segments")
    curves: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for user_type, segment_type, value, week, seen, retained, retention in rows:
        curves[(user_type, segment_type)][value].append((week, seen, retained, retention))
    fig = figure(
        xaxis_title="weeks since the cohort day",
        yaxis_title="active in week N",
        yaxis_tickformat=".0%",
    )
    groups = []
    widest: tuple[float, str] | None = None
    keys = sorted(curves, key=lambda k: (type_rank(k[0]), k[0], k[1]))
    for user_type, segment_type in keys:
        # A segment none of whose weeks can be observed yet has no curve to draw.
        segments = {
            value: points
            for value, points in curves[(user_type, segment_type)].items()
            if any(p[3] is not None for p in points)
        }
        if not segments:
            continue
        week4: dict[str, float] = {}
        for i, (value, points) in enumerate(sorted(segments.items())):
            fig.add_trace(
                go.Scatter(
                    x=[p[0] for p in points],
                    y=[p[3] for p in points],
                    customdata=[[p[2], p[1]] for p in points],
                    mode="lines+markers",
                    marker={"size": 4},
                    line={"color": PALETTE[i % len(PALETTE)]},
                    name=value,
                    hovertemplate=(
                        f"{value}, week %{{x}}: %{{y:.1%}} (%{{customdata[0]}} of "
                        "%{customdata[1]} observable)<extra></extra>"
                    ),
                )
            )
            # Segments of at least 30 observable users at week 4 enter the reading.
            for week, seen, retained, _ in points:
                if week == 4 and seen >= 30:
                    week4[value] = retained / seen
        groups.append((f"{label(user_type)} by {segment_type.replace('_', ' ')}", len(segments)))
        if len(week4) >= 2:
            low = min(week4, key=week4.get)
            high = max(week4, key=week4.get)
            gap = week4[high] - week4[low]
            text = (
                f"{label(user_type)} by {segment_type.replace('_', ' ')}: {high} "
                f"{percent(week4[high])} vs {low} {percent(week4[low])}"
            )
            if widest is None or gap > widest[0]:
                widest = (gap, text)
    if not groups:
        raise NoData(
            "No week of marts.rpt_retention_segments can be observed yet (no activity "
            "after the cohort days, or too little data)."
        )
    with_menu(fig, groups)
    reading = (
        f"{len(groups)} cuts (pick one above). Widest week-4 retention gap between segments "
        f"of at least 30 users: {widest[1]}."
        if widest
        else f"{len(groups)} cuts; no cut has two segments of 30 users observable at week 4."
    )
    return Drawn(fig, reading)


def active_users(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = wh.query(
        """
        select user_type, calendar_date, daily_active_users, weekly_active_users,
            monthly_active_users, dau_over_mau
        from marts.rpt_daily_active_users
        order by 1, 2
        """
    )
    if not rows:
        raise no_rows("rpt_daily_active_users")
    series: dict[str, list] = defaultdict(list)
    for user_type, *values in rows:
        series[user_type].append(values)
    weekly: dict[str, list] = defaultdict(list)
    if wh.has("rpt_weekly_active_days"):
        for user_type, week, mean_days in wh.query(
            """
            select user_type, week_start_date,
                sum(active_days * user_count) * 1.0 / sum(user_count)
            from marts.rpt_weekly_active_days
            where is_complete_week
            group by 1, 2
            order by 1, 2
            """
        ):
            weekly[user_type].append((week, mean_days))
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.5, 0.25, 0.25],
        subplot_titles=(
            "active users (trailing 1, 7, 28 days)",
            "stickiness: DAU / MAU",
            "days active per week (mean over the week's active users)",
        ),
    )
    fig.update_layout(
        template="plotly_white",
        height=620,
        margin={"l": 70, "r": 30, "t": 80, "b": 50},
        legend={"orientation": "h", "y": -0.08},
    )
    groups, sticky = [], []
    for user_type in ordered_types(list(series)):
        points = series[user_type]
        days = [p[0] for p in points]
        for i, name in enumerate(("DAU", "WAU", "MAU")):
            fig.add_trace(
                go.Scatter(
                    x=days,
                    y=[p[1 + i] for p in points],
                    name=name,
                    mode="lines",
                    line={"color": PALETTE[i]},
                ),
                row=1,
                col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[p[4] for p in points],
                name="DAU/MAU",
                mode="lines",
                line={"color": PALETTE[3]},
            ),
            row=2,
            col=1,
        )
        weeks = weekly.get(user_type, [])
        fig.add_trace(
            go.Scatter(
                x=[w for w, _ in weeks],
                y=[m for _, m in weeks],
                name="days active / week",
                mode="lines+markers",
                marker={"size": 4},
                line={"color": PALETTE[4]},
            ),
            row=3,
            col=1,
        )
        groups.append((label(user_type), 5))
        # Stickiness of the last 28 days of the type's data (MAU is whole there).
        last = [p[4] for p in points[-28:] if p[4] is not None]
        latest = points[-1]
        if last:
            sticky.append(
                f"{label(user_type)} {sum(last) / len(last):.2f} (DAU {count(latest[1])}, "
                f"MAU {count(latest[3])} on {latest[0].isoformat()})"
            )
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    with_menu(fig, groups)
    return Drawn(fig, "Mean DAU/MAU over each type's last 28 days: " + "; ".join(sticky) + ".")


def adoption_by_cohort(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select signup_month, is_adopted, days_from_signup_to_adoption, signup_date
        from marts.fct_adoption
        """
    )
    if not rows:
        raise no_rows("fct_adoption")
    data_end = wh.query(
        "select greatest(max(last_active_date), max(signup_date)) from marts.fct_adoption"
    )[0][0]
    months: dict[date, list] = defaultdict(lambda: [0, 0, 0, date.min])
    for month, adopted, days, signup in rows:
        cell = months[month]
        cell[0] += 1
        cell[1] += bool(adopted)
        cell[2] += bool(adopted) and days <= ADOPTION_HORIZON_DAYS
        cell[3] = max(cell[3], signup)
    order = sorted(months)
    ever = [months[m][1] / months[m][0] for m in order]
    # A cohort's within-30-days rate is shown once its last signup has had 30 days.
    within = [
        months[m][2] / months[m][0]
        if months[m][3] + timedelta(days=ADOPTION_HORIZON_DAYS) <= data_end
        else None
        for m in order
    ]
    fig = figure(
        xaxis_title="signup month",
        yaxis={"title": "adopted", "tickformat": ".0%", "rangemode": "tozero"},
        yaxis2={"title": "accounts", "overlaying": "y", "side": "right", "showgrid": False},
    )
    fig.add_trace(
        go.Bar(
            x=order,
            y=[months[m][0] for m in order],
            name="accounts signed up",
            yaxis="y2",
            marker={"color": "#d9d9d9"},
            hovertemplate="%{x|%b %Y}: %{y} accounts<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=order,
            y=ever,
            name="adopted (ever, so far)",
            mode="lines+markers",
            line={"color": PALETTE[0]},
            hovertemplate="%{x|%b %Y}: %{y:.1%} adopted so far<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=order,
            y=within,
            name=f"adopted within {ADOPTION_HORIZON_DAYS} days of signup",
            mode="lines+markers",
            line={"color": PALETTE[1]},
            hovertemplate=f"%{{x|%b %Y}}: %{{y:.1%}} within {ADOPTION_HORIZON_DAYS} days"
            "<extra></extra>",
        )
    )
    seen = [(m, w) for m, w in zip(order, within, strict=True) if w is not None]
    total = sum(months[m][0] for m in order)
    adopted = sum(months[m][1] for m in order)
    reading = f"{percent(adopted / total)} of {count(total)} accounts adopted so far"
    if seen:
        low = min(seen, key=lambda s: s[1])
        high = max(seen, key=lambda s: s[1])
        reading += (
            f"; within {ADOPTION_HORIZON_DAYS} days of signup, cohorts range from "
            f"{percent(low[1])} ({low[0]:%b %Y}) to {percent(high[1])} ({high[0]:%b %Y})"
        )
    return Drawn(fig, reading + ".")


def days_to_adopt(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select days_from_signup_to_adoption, count(*)
        from marts.fct_adoption
        where is_adopted
        group by 1
        order by 1
        """
    )
    accounts = wh.query("select count(*) from marts.fct_adoption")[0][0]
    if not rows:
        if accounts:
            raise NoData(f"None of the {count(accounts)} accounts adopted in this build.")
        raise no_rows("fct_adoption")
    counts = [0] * (DAYS_TO_ADOPT_CAP + 2)
    days: list[int] = []
    for day, n in rows:
        counts[min(day, DAYS_TO_ADOPT_CAP + 1)] += n
        days += [day] * n
    labels = [str(d) for d in range(DAYS_TO_ADOPT_CAP + 1)] + [f">{DAYS_TO_ADOPT_CAP}"]
    fig = figure(
        xaxis={"title": "days from signup to adoption", "type": "category"},
        yaxis_title="adopted accounts",
        bargap=0.1,
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=counts,
            marker={"color": PALETTE[0]},
            name="adopted accounts",
            hovertemplate="day %{x}: %{y} accounts<extra></extra>",
        )
    )
    median, p90 = quantile(days, 0.5), quantile(days, 0.9)
    reading = (
        f"Of {count(len(days))} adopters ({percent(len(days) / accounts)} of accounts), half "
        f"adopted within {median} days of signup and 90% within {p90}; the most common is "
        f"day {labels[counts.index(max(counts))]}."
    )
    return Drawn(fig, reading)


def how_soon(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select cutoff_days, model_name, roc_auc, roc_auc_low, roc_auc_high,
            baseline_roc_auc, baseline_roc_auc_low, baseline_roc_auc_high,
            roc_auc_gain, roc_auc_gain_low, roc_auc_gain_high, test_rows
        from marts.ml_adoption_metrics
        where status = 'fitted'
        order by 2, 1
        """
    )
    if not rows:
        raise NoData(
            "No adoption model was fitted in this build (marts.ml_adoption_metrics says why "
            "in status): no users or logins, or too few."
        )
    models: dict[str, list] = defaultdict(list)
    baseline: dict[int, tuple] = {}
    for cutoff, model, *values in rows:
        models[model].append((cutoff, *values))
        baseline.setdefault(cutoff, tuple(values[3:6]))
    fig = figure(
        xaxis_title="days after signup at which the prediction is made (cut-off)",
        yaxis_title="held-out ROC AUC (95% interval)",
    )
    cutoffs = sorted(baseline)
    fig.add_trace(
        go.Scatter(
            x=cutoffs,
            y=[baseline[c][0] for c in cutoffs],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [baseline[c][2] - baseline[c][0] for c in cutoffs],
                "arrayminus": [baseline[c][0] - baseline[c][1] for c in cutoffs],
            },
            name="baseline (active days so far)",
            mode="lines+markers",
            line={"color": "#7f7f7f", "dash": "dash"},
        )
    )
    first_gain: dict[str, tuple] = {}
    for i, (model, points) in enumerate(sorted(models.items())):
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [p[3] - p[1] for p in points],
                    "arrayminus": [p[1] - p[2] for p in points],
                },
                customdata=[[p[7], p[8], p[9], p[10]] for p in points],
                name=model.replace("_", " "),
                mode="lines+markers",
                line={"color": PALETTE[i]},
                hovertemplate=(
                    "day %{x}: AUC %{y:.3f}; gain over baseline %{customdata[0]:+.3f} "
                    "[%{customdata[1]:+.3f}, %{customdata[2]:+.3f}] on %{customdata[3]} "
                    "accounts<extra></extra>"
                ),
            )
        )
        for p in points:
            if p[8] is not None and p[8] > 0:
                first_gain[model] = p
                break
    fig.add_hline(y=0.5, line={"color": "#bbbbbb", "width": 1})
    if first_gain:
        model, p = min(first_gain.items(), key=lambda item: (item[1][0], -item[1][7]))
        reading = (
            f"The first cut-off at which a model beats the baseline (gain interval above 0): "
            f"day {p[0]}, {model.replace('_', ' ')} AUC {p[1]:.3f} vs baseline {p[4]:.3f} "
            f"(gain {p[7]:+.3f} [{p[8]:+.3f}, {p[9]:+.3f}])."
        )
    else:
        reading = (
            f"At no cut-off from day {cutoffs[0]} to day {cutoffs[-1]} does a model beat the "
            "baseline beyond its interval: the active days so far tell as much."
        )
    return Drawn(fig, reading)


def adoption_factors(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select cutoff_days, feature, odds_ratio, odds_ratio_low, odds_ratio_high, reference,
            unit
        from marts.ml_adoption_explanations
        where model_name = 'logistic_regression_explained' and measure = 'coefficient'
            and odds_ratio is not null
        order by 1, 3
        """
    )
    if not rows:
        raise NoData(
            "No explanation model was fitted in this build (marts.ml_adoption_explanations "
            "holds no odds ratios): no users or logins, or too few."
        )
    by_cutoff: dict[int, list] = defaultdict(list)
    for cutoff, *values in rows:
        by_cutoff[cutoff].append(values)
    fig = figure(
        xaxis={
            "title": "odds ratio of adopting (95% Wald interval, log scale)",
            "type": "log",
            "tickvals": ODDS_TICKS,
            "ticktext": [f"{t:g}" for t in ODDS_TICKS],
        },
        yaxis={"automargin": True},
        height=560,
    )
    groups = []
    for cutoff in sorted(by_cutoff):
        factors = by_cutoff[cutoff]
        fig.add_trace(
            go.Scatter(
                x=[f[1] for f in factors],
                y=[f[0] for f in factors],
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [f[3] - f[1] for f in factors],
                    "arrayminus": [f[1] - f[2] for f in factors],
                },
                customdata=[[f[2], f[3], f[4], f[5]] for f in factors],
                mode="markers",
                marker={
                    "color": [
                        PALETTE[2] if f[2] > 1 else PALETTE[3] if f[3] < 1 else "#7f7f7f"
                        for f in factors
                    ],
                    "size": 8,
                },
                name=f"day {cutoff}",
                hovertemplate=(
                    "%{y}: OR %{x:.2f} [%{customdata[0]:.2f}, %{customdata[1]:.2f}]<br>"
                    "vs %{customdata[2]}; %{customdata[3]}<extra></extra>"
                ),
            )
        )
        groups.append((f"cut-off: day {cutoff} after signup", 1))
    fig.add_vline(x=1, line={"color": "#555555", "width": 1})
    fig.update_layout(showlegend=False)
    with_menu(fig, groups)
    first = min(by_cutoff)
    factors = by_cutoff[first]
    clear = [f for f in factors if f[2] > 1 or f[3] < 1]
    reading = (
        f"At day {first}: {len(clear)} of {len(factors)} odds-ratio intervals exclude 1 "
        "(green: more likely to adopt, red: less)"
    )
    up = [f for f in clear if f[2] > 1]
    down = [f for f in clear if f[3] < 1]
    if up:
        top = max(up, key=lambda f: f[1])
        reading += f"; strongest up: {top[0]} (OR {top[1]:.2f} [{top[2]:.2f}, {top[3]:.2f}])"
    if down:
        low = min(down, key=lambda f: f[1])
        reading += f"; strongest down: {low[0]} (OR {low[1]:.2f} [{low[2]:.2f}, {low[3]:.2f}])"
    return Drawn(fig, reading + ". Association, not cause.")


def aha_moments(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    chosen = wh.query(
        """
        select user_type, action, threshold, window_days, phi, phi_low, phi_high, users
        from marts.rpt_aha_moments
        where rank_in_user_type = 1
        """
    )
    if not chosen:
        raise NoData(
            "No aha candidate is rankable in this build (marts.rpt_aha_moments is empty or "
            "has too few users on a side of every candidate)."
        )
    holds_up = {}
    if wh.has("rpt_aha_validation"):
        holds_up = {
            tuple(key): held
            for *key, held in wh.query(
                "select user_type, action, threshold, window_days, holds_up "
                "from marts.rpt_aha_validation"
            )
        }
    fig = figure(
        xaxis={"title": "within the first d days (window)", "dtick": 1},
        yaxis={"title": "at least k times (threshold)", "dtick": 1},
    )
    groups, readings = [], []
    for user_type, action, k, d, phi, low, high, users in sorted(
        chosen, key=lambda row: (type_rank(row[0]), row[0])
    ):
        cells = wh.query(
            """
            select threshold, window_days, phi, precision, recall, reach, users
            from marts.rpt_aha_moments
            where user_type = ? and action = ? and is_rankable
            """,
            [user_type, action],
        )
        ks = sorted({c[0] for c in cells})
        ds = sorted({c[1] for c in cells})
        grid = {(c[0], c[1]): c for c in cells}
        z = [[grid[(kk, dd)][2] if (kk, dd) in grid else None for dd in ds] for kk in ks]
        custom = [
            [list(grid[(kk, dd)][3:7]) if (kk, dd) in grid else [None] * 4 for dd in ds]
            for kk in ks
        ]
        fig.add_trace(
            go.Heatmap(
                x=ds,
                y=ks,
                z=z,
                customdata=custom,
                colorscale="Viridis",
                colorbar={"title": "phi"},
                hovertemplate=(
                    "at least %{y} times in %{x} days: phi %{z:.3f}<br>precision "
                    "%{customdata[0]:.1%}, recall %{customdata[1]:.1%}, reach "
                    "%{customdata[2]:.1%} of %{customdata[3]} users<extra></extra>"
                ),
                name=action,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[d],
                y=[k],
                mode="markers+text",
                marker={
                    "symbol": "star",
                    "size": 18,
                    "color": "#ff4136",
                    "line": {"color": "white", "width": 1.5},
                },
                text=["aha"],
                textposition="top center",
                textfont={"color": "white"},
                name="the chosen moment",
                hovertemplate=(
                    f"the aha moment: {action} at least {k} times in {d} days, phi {phi:.3f} "
                    f"[{low:.3f}, {high:.3f}] over {users:,} users<extra></extra>"
                ),
            )
        )
        groups.append((f"{label(user_type)}: {action}", 2))
        held = holds_up.get((user_type, action, k, d))
        verdict = "" if held is None else (", holds up later" if held else ", not confirmed later")
        readings.append(
            f"{label(user_type)}: {action} ≥{k} times in {d} days (phi {phi:.2f}{verdict})"
        )
    with_menu(fig, groups)
    fig.update_layout(showlegend=False)
    return Drawn(fig, "The aha moments (star): " + "; ".join(readings) + ".")


def weekday_hours(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select level, group_value, view_weekday, view_hour, views
        from marts.rpt_view_weekday_hours
        order by case when level = 'customer' then 0 else 1 end, 1, 2
        """
    )
    if not rows:
        raise no_rows("rpt_view_weekday_hours")
    groups_data: dict[tuple[str, str], dict[tuple[int, int], int]] = defaultdict(dict)
    for level, group, weekday, hour, views in rows:
        groups_data[(level, group)][(weekday, hour)] = views
    fig = figure(
        xaxis={"title": "hour of the view", "dtick": 2},
        yaxis={"title": "", "autorange": "reversed"},
        height=420,
    )
    groups, peaks = [], []
    for level, group in groups_data:
        cells = groups_data[(level, group)]
        z = [[cells.get((wd, h), 0) for h in range(24)] for wd in range(1, 8)]
        fig.add_trace(
            go.Heatmap(
                x=list(range(24)),
                y=list(WEEKDAYS),
                z=z,
                colorscale="YlOrRd",
                colorbar={"title": "views"},
                hovertemplate="%{y} %{x}:00: %{z} views<extra></extra>",
                name=group,
            )
        )
        groups.append((f"{level}: {group}", 1))
        if level == "customer" and cells:
            (wd, h), _ = max(cells.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]))
            peaks.append(f"{group} {WEEKDAYS[wd - 1]} {h}:00")
    with_menu(fig, groups)
    reading = (
        f"Busiest hour of the week per customer: {', '.join(peaks)}."
        if peaks
        else f"{len(groups)} groups."
    )
    return Drawn(fig, reading)


def behaviour_differences(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select customer_code, dimension, effect_size, p_value, is_different, top_category,
            top_category_share, top_category_pooled_share
        from marts.rpt_customer_behaviour_differences
        order by 1, 2
        """
    )
    if not rows:
        raise no_rows("rpt_customer_behaviour_differences")
    customers = sorted({r[0] for r in rows})
    dimensions = sorted({r[1] for r in rows})
    cells = {(r[0], r[1]): r for r in rows}
    industries = {}
    if wh.has("dim_customers"):
        industries = dict(wh.query("select customer_code, industry from marts.dim_customers"))
    names = [f"{c} ({industries[c]})" if industries.get(c) else c for c in customers]

    def top(row) -> str:
        value = str(row[5])
        return f"{value}:00" if row[1] == "hour" else value

    z, text, custom = [], [], []
    for customer in customers:
        z.append([cells[(customer, d)][2] if (customer, d) in cells else None for d in dimensions])
        text.append(
            [
                (("✱ " if cells[(customer, d)][4] else "") + top(cells[(customer, d)]))
                if (customer, d) in cells
                else ""
                for d in dimensions
            ]
        )
        custom.append(
            [
                [
                    cells[(customer, d)][3],
                    cells[(customer, d)][6],
                    cells[(customer, d)][7],
                    "flagged" if cells[(customer, d)][4] else "not flagged",
                ]
                if (customer, d) in cells
                else [None] * 4
                for d in dimensions
            ]
        )
    fig = figure(
        xaxis_title="dimension of viewing behaviour",
        yaxis={"title": "customer (industry)", "autorange": "reversed", "automargin": True},
        height=120 + 50 * len(customers),
    )
    fig.add_trace(
        go.Heatmap(
            x=dimensions,
            y=names,
            z=z,
            text=text,
            texttemplate="%{text}",
            customdata=custom,
            zmin=0,
            colorscale="Purples",
            colorbar={"title": "distance"},
            hovertemplate=(
                "%{y} by %{x}: distance %{z:.2f} (%{customdata[3]}, p %{customdata[0]:.1e})"
                "<br>over-uses %{text}: %{customdata[1]:.1%} of its views vs "
                "%{customdata[2]:.1%} elsewhere<extra></extra>"
            ),
        )
    )
    flagged = [r for r in rows if r[4]]
    reading = (
        f"{len(flagged)} of {len(rows)} customer x dimension tests flagged (✱: Bonferroni and "
        "a minimum distance)"
    )
    if flagged:
        big = max(flagged, key=lambda r: r[2])
        reading += (
            f"; the largest: {big[0]} by {big[1]} (distance {big[2]:.2f}, over-uses {top(big)}: "
            f"{percent(big[6])} of its views vs {percent(big[7])} elsewhere)"
        )
    return Drawn(fig, reading + ".")


def time_to_first_view(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go

    rows = wh.query(
        """
        select customer_code, minutes_to_first_view
        from marts.fct_shares
        where not is_exact_duplicate and is_viewed
        """
    )
    if not rows:
        raise no_rows("fct_shares")
    known: dict[str, list[float]] = defaultdict(list)
    viewed: dict[str, int] = defaultdict(int)
    for customer, minutes in rows:
        viewed[customer] += 1
        if minutes is not None:
            known[customer].append(minutes)
    if not known:
        raise NoData("No viewed share links to a VIEW record: no latency is known.")
    fig = figure(
        xaxis={
            "title": "time from share to first view",
            "type": "log",
            "tickvals": [1, 10, 60, 360, 1440, 10080, 40320],
            "ticktext": ["1 min", "10 min", "1 h", "6 h", "1 day", "1 week", "4 weeks"],
        },
        yaxis={"title": "share of viewed shares (known latency)", "tickformat": ".0%"},
    )
    medians = {}
    for i, customer in enumerate(sorted(known)):
        minutes = sorted(known[customer])
        medians[customer] = quantile(minutes, 0.5)
        # The empirical distribution at each grid point: share first viewed by then.
        position, shares = 0, []
        for point in LATENCY_GRID:
            while position < len(minutes) and minutes[position] <= point:
                position += 1
            shares.append(position / len(minutes))
        fig.add_trace(
            go.Scatter(
                x=list(LATENCY_GRID),
                y=shares,
                name=f"{customer} ({count(len(minutes))})",
                mode="lines",
                line={"color": PALETTE[i % len(PALETTE)]},
                hovertemplate=f"{customer}: %{{y:.1%}} within %{{x:.0f}} min<extra></extra>",
            )
        )
    every = sorted(m for values in known.values() for m in values)
    within_hour = sum(m <= 60 for m in every) / len(every)
    within_day = sum(m <= 1440 for m in every) / len(every)
    slow = max(medians, key=medians.get)
    fast = min(medians, key=medians.get)
    reading = (
        f"Latency is known for {percent(len(every) / sum(viewed.values()))} of viewed shares; "
        f"of those {percent(within_hour)} were first viewed within an hour and "
        f"{percent(within_day)} within a day; median from {duration(medians[fast])} ({fast}) "
        f"to {duration(medians[slow])} ({slow})."
    )
    return Drawn(fig, reading)


def data_quality(wh: Warehouse) -> Drawn:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    listed = wh.query(
        """
        select source_name, source_file, raw_rows, staged_rows, rejected_rows,
            exact_duplicate_rows, is_landed, not_landed_reason
        from marts.rpt_landing_files
        order by 1, 2
        """
    )
    if not listed:
        raise no_rows("rpt_landing_files")
    files = [f for f in listed if f[6]]
    not_landed = Counter(f[7] for f in listed if not f[6])
    # A landing folder with no file is no row at all: named from the landing contract.
    empty_folders = sorted(set(SPECS) - {f[1].split("/")[0] for f in files})
    has_reasons = wh.has("rpt_landing_rejections")
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    if has_reasons:
        for source_file, reason, rejected in wh.query(
            "select source_file, rejection_reason, rejected_rows from marts.rpt_landing_rejections"
        ):
            reasons[reason][source_file] = rejected
    else:
        # Without the reasons mart, one bar of all rejected records.
        reasons["rejected (reasons not in this build)"] = {f[1]: f[4] for f in files}
    names = [f[1] for f in files]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("records per file", "per 1,000 records of the file"),
    )
    fig.update_layout(
        template="plotly_white",
        barmode="stack",
        # Room for every file's name and every reason's legend entry.
        height=180 + 36 * len(files) + 22 * len(reasons),
        margin={"l": 70, "r": 30, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.1, "yanchor": "top"},
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=[f[2] for f in files],
            orientation="h",
            name="records landed",
            marker={"color": PALETTE[0]},
            hovertemplate="%{y}: %{x:,} records<extra></extra>",
        ),
        row=1,
        col=1,
    )
    per_mille = [1000 / f[2] if f[2] else 0 for f in files]
    fig.add_trace(
        go.Bar(
            y=names,
            x=[f[5] * k for f, k in zip(files, per_mille, strict=True)],
            customdata=[f[5] for f in files],
            orientation="h",
            name="exact duplicates (staged, counted)",
            marker={"color": "#9ecae1"},
            hovertemplate="%{y}: %{customdata} exact duplicates (%{x:.1f} per 1,000)"
            "<extra></extra>",
        ),
        row=1,
        col=2,
    )
    from plotly.colors import qualitative

    for i, reason in enumerate(sorted(reasons)):
        rejected = [reasons[reason].get(f[1], 0) for f in files]
        fig.add_trace(
            go.Bar(
                y=names,
                x=[n * k for n, k in zip(rejected, per_mille, strict=True)],
                customdata=rejected,
                orientation="h",
                name=f"rejected: {reason}",
                marker={"color": qualitative.Alphabet[i % len(qualitative.Alphabet)]},
                hovertemplate=f"%{{y}}: %{{customdata}} rejected, {html.escape(reason)}"
                "<extra></extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(autorange="reversed", automargin=True, dtick=1)
    raw = sum(f[2] for f in files)
    rejected_total = sum(f[4] for f in files)
    duplicates = sum(f[5] for f in files)
    reading = (
        f"{count(len(files))} files landed, {count(raw)} records: "
        f"{count(raw - rejected_total)} staged ({count(duplicates)} exact duplicates among "
        f"them), {count(rejected_total)} rejected"
    )
    if has_reasons and reasons:
        totals = {reason: sum(by_file.values()) for reason, by_file in reasons.items()}
        worst = max(sorted(totals), key=totals.get)
        reading += (
            f" for {len(totals)} reasons, most often {worst!r} ({count(totals[worst])})"
            if len(totals) > 1
            else f", all for {worst!r}"
        )
    if not_landed:
        left_out = sum(not_landed.values())
        reasons_left = ", ".join(f"{count(n)} {why}" for why, n in sorted(not_landed.items()))
        reading += f"; {count(left_out)} file{'s' * (left_out != 1)} not landed ({reasons_left})"
    if empty_folders:
        reading += "; no file landed in " + ", ".join(f"{name}/" for name in empty_folders)
    return Drawn(fig, reading + ".")


CHARTS: tuple[Chart, ...] = (
    Chart(
        "retention-triangle",
        "Retention triangle: weekly cohorts x weeks since the cohort day",
        ("rpt_retention_cohorts",),
        retention_triangle,
    ),
    Chart(
        "retention-curves",
        "Retention curves by segment",
        ("rpt_retention_segments",),
        retention_curves,
    ),
    Chart(
        "active-users",
        "DAU, WAU, MAU and stickiness over time",
        ("rpt_daily_active_users",),
        active_users,
        ("rpt_weekly_active_days",),
    ),
    Chart(
        "adoption-by-cohort",
        "Adoption by signup cohort",
        ("fct_adoption",),
        adoption_by_cohort,
    ),
    Chart("days-to-adopt", "Days from signup to adoption", ("fct_adoption",), days_to_adopt),
    Chart(
        "how-soon",
        "How soon can we tell? Adoption ROC AUC by cut-off against the baseline",
        ("ml_adoption_metrics",),
        how_soon,
    ),
    Chart(
        "adoption-factors",
        "Factors of adoption: odds ratios with 95% intervals",
        ("ml_adoption_explanations",),
        adoption_factors,
    ),
    Chart(
        "aha-moments",
        "Aha moments: phi of 'at least k times in the first d days' against retention",
        ("rpt_aha_moments",),
        aha_moments,
        ("rpt_aha_validation",),
    ),
    Chart(
        "weekday-hours",
        "When content is viewed: weekday x hour, per customer and industry",
        ("rpt_view_weekday_hours",),
        weekday_hours,
    ),
    Chart(
        "behaviour-differences",
        "Customers that view differently from the others",
        ("rpt_customer_behaviour_differences",),
        behaviour_differences,
        ("dim_customers",),
    ),
    Chart(
        "time-to-first-view",
        "Time from share to first view, per customer",
        ("fct_shares",),
        time_to_first_view,
    ),
    Chart(
        "data-quality",
        "Data quality: files landed, records staged and rejected (and why)",
        ("rpt_landing_files",),
        data_quality,
        ("rpt_landing_rejections",),
    ),
)


def render_charts(wh: Warehouse, charts: Sequence[Chart] = CHARTS) -> list[Rendered]:
    rendered = []
    for chart in charts:
        missing = [name for name in chart.tables if not wh.has(name)]
        if missing:
            note = (
                "Not in this build: "
                + ", ".join(f"marts.{name}" for name in missing)
                + " (a build of some sources only, or a --select that left it out)."
            )
            rendered.append(Rendered(chart, None, note))
            continue
        extras = tuple(name for name in chart.extras if not wh.has(name))
        try:
            rendered.append(Rendered(chart, chart.draw(wh), "", extras))
        except NoData as empty:
            rendered.append(Rendered(chart, None, str(empty), extras))
    return rendered


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #222; background: #f6f7f9; }
header { background: #1f3b57; color: white; padding: 18px 32px; }
header h1 { margin: 0 0 6px 0; font-size: 24px; }
header p { margin: 2px 0; font-size: 13px; opacity: 0.85; }
nav { padding: 10px 32px; background: white; border-bottom: 1px solid #ddd; font-size: 13px; }
nav a { margin-right: 14px; color: #1f5f99; text-decoration: none; white-space: nowrap; }
main { padding: 8px 32px 32px 32px; max-width: 1200px; }
section { background: white; border: 1px solid #e1e4e8; border-radius: 6px;
          margin: 18px 0; padding: 14px 18px; }
section h2 { font-size: 18px; margin: 0 0 4px 0; }
p.reading { margin: 0 0 8px 0; font-size: 14px; color: #333; }
p.sources { margin: 6px 0 0 0; font-size: 11px; color: #888; }
div.absent { padding: 28px; background: #fafafa; border: 1px dashed #bbb; color: #666;
             font-size: 14px; }
"""


def render_html(rendered: Sequence[Rendered], source: str = "", published_at: str = "") -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    drawn = sum(r.drawn is not None for r in rendered)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>uptake report</title>",
        f"<style>{STYLE}</style>",
        # plotly.js, inlined once: the page makes no request.
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        "<header><h1>uptake: retention, adoption and engagement</h1>",
        f"<p>{drawn} of {len(rendered)} charts drawn"
        + (f" from {html.escape(source)}" if source else "")
        + (f", published {html.escape(published_at)} UTC" if published_at else "")
        + f"; written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by <code>uptake report</code>.</p>",
        "<p>Hover for values; the menus switch the user type, segment or group.</p></header>",
        "<nav>"
        + " ".join(
            f'<a href="#{r.chart.key}">{r.chart.key.replace("-", " ").capitalize()}</a>'
            for r in rendered
        )
        + "</nav>",
        "<main>",
    ]
    for r in rendered:
        state = "drawn" if r.drawn is not None else "absent"
        parts.append(f'<section id="{r.chart.key}" class="chart" data-state="{state}">')
        parts.append(f"<h2>{html.escape(r.chart.title)}</h2>")
        if r.drawn is not None:
            parts.append(f'<p class="reading">{html.escape(r.drawn.reading)}</p>')
            parts.append(
                pio.to_html(
                    r.drawn.figure,
                    include_plotlyjs=False,
                    full_html=False,
                    div_id=f"plot-{r.chart.key}",
                    config={"displaylogo": False, "responsive": True},
                )
            )
        else:
            parts.append(f'<div class="absent">{html.escape(r.note)}</div>')
        parts.append(
            '<p class="sources">From '
            + ", ".join(
                f"marts.{name}" + (" (not in this build)" if name in r.missing_extras else "")
                for name in r.chart.tables + r.chart.extras
            )
            + ".</p></section>"
        )
    parts += ["</main></body></html>"]
    return "\n".join(parts)


def render(conn: Any, source: str = "") -> str:
    """The report of the published marts behind ``conn`` (a DuckDB connection)."""
    wh = Warehouse(conn)
    published_at = ""
    if wh.has("_published", schema="main"):
        stamp = wh.query("select max(published_at) from main._published")[0][0]
        published_at = f"{stamp:%Y-%m-%d %H:%M}" if stamp else ""
    return render_html(render_charts(wh), source=source, published_at=published_at)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help="published file to read (default: $UPTAKE_PUBLISHED_PATH or target/published.duckdb)",
    )
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"HTML file to write (default: {DEFAULT_OUT})"
    )


def run(args: argparse.Namespace) -> int:
    from uptake.serving import connect_published, published_path

    path = Path(args.db) if args.db else published_path()
    with connect_published(path) as conn:
        page = render(conn, source=str(path))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out.resolve()} ({len(page) / 1e6:.1f} MB; open it in a browser)")
    return 0
