"""Deterministic, vectorised synthetic landing data for uptake.

``generate(out_dir, seed=42, scale=1.0, fmt="csv")`` writes the four landing folders of the
landing contract (``share_view/``, ``users/``, ``logins/``, ``page_events/``) plus
``GENERATOR.json`` (row counts and the planted-effect truth) next to them. The same seed,
scale and format always give byte-identical files. See ``docs/generator.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from . import _accounts, _pages, _shareview
from ._common import LandingWriter

__all__ = ["FOLDERS", "CUSTOMERS", "generate", "add_arguments", "run"]

FOLDERS = ("share_view", "users", "logins", "page_events")
CUSTOMERS = tuple((c.code, c.name, c.industry) for c in _shareview.CUSTOMERS)
MANIFEST = "GENERATOR.json"
DEFAULT_OUT = Path("data/sample")
FORMAT_VERSION = 1

# Independent random streams: default_rng([seed, STREAM]) per component (and per customer),
# so that one component's draws never shift another's.
_STREAM_ACCOUNTS, _STREAM_PAGES, _STREAM_SHARE_VIEW = 1, 2, 3


def _prepare(out_dir: Path) -> None:
    """Create the landing folders; clear data files of a previous generator run.

    Files are only removed when ``out_dir`` holds a ``GENERATOR.json`` (i.e. it is generator
    output). A non-empty landing folder without it is left alone and raises an error.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ours = (out_dir / MANIFEST).is_file()
    for folder in FOLDERS:
        path = out_dir / folder
        path.mkdir(exist_ok=True)
        existing = [p for p in path.iterdir() if p.is_file()]
        if existing and not ours:
            raise FileExistsError(
                f"{path} already holds files and {out_dir / MANIFEST} is missing; "
                "refusing to overwrite data the generator did not write"
            )
        for p in existing:
            if p.suffix in (".csv", ".parquet"):
                p.unlink()
    (out_dir / MANIFEST).unlink(missing_ok=True)


def _plain(obj):
    """JSON-ready copy: numpy scalars → Python, floats rounded for stable text."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def generate(
    out_dir: Path,
    *,
    seed: int = 42,
    scale: float = 1.0,
    fmt: str = "csv",
    accounts_scale: float | None = None,
    events_scale: float | None = None,
) -> dict:
    """Write the landing folders under ``out_dir`` and return the summary (also in GENERATOR.json).

    seed: any non-negative integer. scale: 1.0 = the default sample (about 12,000 accounts,
    200,000 logins, 5,000 page-tool users, 6 share/view exports); row counts grow linearly.
    fmt: "csv" (exports as described in the landing contract) or "parquet" (same columns, all
    strings, empty values as nulls; logins and page_events split into parts at large scale).
    accounts_scale: scale of users and logins; events_scale: scale of page events and the
    share/view exports. Each defaults to ``scale``; the components draw from independent
    random streams, so a component's files depend only on the seed and its own scale.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if not (isinstance(seed, int | np.integer) and seed >= 0):
        raise ValueError("seed must be a non-negative integer")
    accounts_scale = scale if accounts_scale is None else accounts_scale
    events_scale = scale if events_scale is None else events_scale
    for name, value in (
        ("scale", scale),
        ("accounts_scale", accounts_scale),
        ("events_scale", events_scale),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be positive")
    seed, scale = int(seed), float(scale)
    accounts_scale, events_scale = float(accounts_scale), float(events_scale)
    out_dir = Path(out_dir)
    started = time.perf_counter()
    _prepare(out_dir)
    writer = LandingWriter(out_dir, fmt)

    sv_truth = {"shared": _shareview.shared_truth(), "customers": {}}
    for i, c in enumerate(_shareview.CUSTOMERS):
        f = _shareview.generate_customer(
            np.random.default_rng([seed, _STREAM_SHARE_VIEW, i]), c, events_scale
        )
        _shareview.write_customer(f, writer)
        sv_truth["customers"][c.code] = f.truth
        del f

    acc = _accounts.generate_accounts(
        np.random.default_rng([seed, _STREAM_ACCOUNTS]), accounts_scale
    )
    _accounts.write_users(acc, writer)
    _accounts.write_logins(acc, writer)
    acc_truth = acc.truth
    del acc

    pe = _pages.generate_pages(
        np.random.default_rng([seed, _STREAM_PAGES]),
        events_scale,
        already_active_rng=np.random.default_rng([seed, _STREAM_PAGES, 1]),
    )
    _pages.write_pages(pe, writer)
    pe_truth = pe.truth
    del pe

    rows = {folder: 0 for folder in FOLDERS}
    for rel, n in writer.files.items():
        rows[rel.split("/")[0]] += n
    summary = {
        "generator": "uptake.generator",
        "format_version": FORMAT_VERSION,
        "seed": seed,
        "scale": scale,
        # Only when a component scale differs from scale, so that existing calls keep
        # byte-identical output.
        **(
            {"component_scales": {"accounts": accounts_scale, "events": events_scale}}
            if (accounts_scale, events_scale) != (scale, scale)
            else {}
        ),
        "fmt": fmt,
        "rows": rows,
        "files": dict(sorted(writer.files.items())),
        "landing": {
            "date_ranges": {
                "users.creation_time": ["2023-01-01", "2024-06-30"],
                "logins.time_stamp": ["2023-01-01", "2024-06-30"],
                "share_view": ["2023-01-01", "2023-12-31"],
                "page_events.ts": ["2024-01-01", "2024-06-30"],
            },
            "customers": [
                {"code": c.code, "name": c.name, "industry": c.industry}
                for c in _shareview.CUSTOMERS
            ],
            "encodings": {
                "users": "latin-1",
                "logins": "utf-8 (ASCII)",
                "page_events": "utf-8 (ASCII)",
                "share_view": {c.code: c.encoding for c in _shareview.CUSTOMERS},
            }
            if fmt == "csv"
            else "parquet strings are UTF-8",
        },
        "effects": {
            "headline": _headline(acc_truth, sv_truth, pe_truth),
            "adoption": acc_truth["adoption"],
            "early_signal": acc_truth["early_signal"],
            "logins": acc_truth["logins_quirks"],
            "share_view": sv_truth,
            "page_events": pe_truth,
        },
    }
    summary = _plain(summary)
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST).write_text(text, encoding="utf-8")
    return {**summary, "seconds": round(time.perf_counter() - started, 3)}


def _headline(acc: dict, sv: dict, pe: dict) -> dict:
    """The main planted facts in one place (details in the other ``effects`` sections)."""
    model = acc["adoption"]["latent_model"]
    customers = sv["customers"]
    return {
        "adoption_rule": "logged in on >= 3 distinct days within 7 consecutive days",
        "adoption_odds_ratios": {
            "invited": model["invited_odds_ratio"],
            **{
                f"creation_source={k}": round(math.exp(v), 4)
                for k, v in model["creation_source_log_odds"].items()
            },
            "opted_in_to_mailing_list": round(
                math.exp(model["opted_in_to_mailing_list_log_odds"]), 4
            ),
            "enabled_for_marketing_drip": 1.0,
        },
        "adoption_null_effect": "enabled_for_marketing_drip",
        "adoption_org_random_effect_sd": model["org_random_effect_sd"],
        "view_weekday_peak": {"customer": "EU", "weekday": "Thursday"},
        "realized_peak_view_weekday": {
            code: c["realized"]["peak_view_weekday"] for code, c in customers.items()
        },
        "view_probability_best_channel": "OUTLOOK",
        "time_spent_driver": "title (kind = file extension, plus a per-title effect)",
        "return_predictive_first_day_page": "reports_builder",
        "return_negative_first_day_page": "help",
        "return_better_plan": "yearly",
        "return_rate_reports_builder_vs_not": [
            pe["realized"]["return_rate_reports_builder_first_day"],
            pe["realized"]["return_rate_no_reports_builder_first_day"],
        ],
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``uptake generate``."""
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="size multiplier; 1.0 ≈ 12k accounts, 200k logins (default: 1.0)",
    )
    parser.add_argument(
        "--accounts-scale",
        type=float,
        default=None,
        help="scale of users and logins only (default: --scale)",
    )
    parser.add_argument(
        "--events-scale",
        type=float,
        default=None,
        help="scale of page events and share/view exports only (default: --scale)",
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=("csv", "parquet"),
        default="csv",
        help="file format (default: csv)",
    )


def run(args: argparse.Namespace) -> int:
    """Entry point of ``uptake generate``: generate and print a short summary."""
    fmt = getattr(args, "fmt", None) or getattr(args, "format", "csv")
    s = generate(
        Path(args.out),
        seed=args.seed,
        scale=args.scale,
        fmt=fmt,
        accounts_scale=getattr(args, "accounts_scale", None),
        events_scale=getattr(args, "events_scale", None),
    )
    scales = f"scale={s['scale']}"
    if "component_scales" in s:
        c = s["component_scales"]
        scales += f" (accounts {c['accounts']}, events {c['events']})"
    print(f"uptake generate: seed={s['seed']} {scales} format={s['fmt']} → {args.out}")
    for rel, n in s["files"].items():
        print(f"  {rel:<32} {n:>12,} rows")
    total = sum(s["rows"].values())
    print(f"  {len(s['files'])} files, {total:,} rows in {s['seconds']:.1f} s")
    print(f"  truth: {Path(args.out) / MANIFEST}")
    return 0
