"""Content-sharing marts against the raw exports counted in plain Python, and the
planted weekday effect recovered by the behaviour-difference table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict

import pytest
from conftest import assert_same_rows, query

COLUMNS = [
    "activity_type",
    "user_id",
    "rm_id",
    "user_os",
    "viewing_app",
    "user_groups",
    "shared_date",
    "shared_time",
    "title",
    "channel",
    "viewed",
    "time_spent",
    "last_activity_date",
    "last_activity_time",
]
CONTRACT = [
    "Activity Type",
    "User ID",
    "RM ID",
    "User OS",
    "Viewing App",
    "User Groups",
    "Shared Date",
    "Shared Time",
    "Title of Content",
    "Share Channel",
    "Viewed",
    "Time Spent in Seconds",
    "Last Activity Date",
    "Last Activity Time",
]


def export_rows(path) -> list[dict]:
    """The records of one export, keyed by contract column, read with csv alone."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    position = {name: header.index(name) for name in CONTRACT}
    return [
        {short: row[position[name]].strip() for short, name in zip(COLUMNS, CONTRACT, strict=True)}
        for row in reader
        if row
    ]


def month_of(text: str) -> dt.date:
    day = dt.datetime.strptime(text, "%d-%b-%Y").date()
    return day.replace(day=1)


def _figures(shares: list[dict], duplicate_shares: int, views: list[dict], duplicate_views: int):
    """The engagement figures of one group of records (exact duplicates already apart)."""
    return {
        # Senders: the RMs (the group is within one customer, whose export keys its RMs).
        "sharing_users": len({r["rm_id"] for r in shares if r["rm_id"]}),
        "share_recipients": len({r["user_id"] for r in shares if r["user_id"]}),
        "shares": len(shares),
        "exact_duplicate_shares": duplicate_shares,
        "viewed_shares": sum(r["viewed"] == "1" for r in shares),
        "views": len(views),
        "exact_duplicate_views": duplicate_views,
        "viewing_clients": len({r["user_id"] for r in views if r["user_id"]}),
    }


def hand_counts(sample_dir):
    """Per customer and per (customer, month: a share's send month, a view's own): the
    business figures,
    each exported record once (a record identical to an earlier one of the same export
    is an exact duplicate, counted apart; a re-send differs at least in its time), and
    the raw SHARE and VIEW rows per customer."""
    totals, monthly, raw = {}, {}, {}
    for path in sorted((sample_dir / "share_view").glob("*.csv")):
        code = path.stem
        seen = set()
        cells = defaultdict(lambda: {"SHARE": [], "VIEW": [], "dup SHARE": 0, "dup VIEW": 0})
        rows = export_rows(path)
        for r in rows:
            key = tuple(r.values())
            kind = r["activity_type"]
            # A share's month is the one it was sent in, a view's the one it happened in.
            sent = r["shared_date"] if kind == "SHARE" else ""
            for cell in ("all", month_of(sent or r["last_activity_date"])):
                if key in seen:
                    cells[cell][f"dup {kind}"] += 1
                else:
                    cells[cell][kind].append(r)
            seen.add(key)
        figures = {
            cell: _figures(c["SHARE"], c["dup SHARE"], c["VIEW"], c["dup VIEW"])
            for cell, c in cells.items()
        }
        totals[code] = figures.pop("all")
        monthly.update({(code, month): values for month, values in figures.items()})
        raw[code] = {
            kind: sum(r["activity_type"] == kind for r in rows) for kind in ("SHARE", "VIEW")
        }
    return totals, monthly, raw


FIGURES = list(_figures([], 0, [], 0))
RATIOS = ["shares_per_sharing_user", "share_view_through_rate", "views_per_share"]


def check_ratios(values: dict, ratios: dict) -> None:
    """The mart's ratios are those of its own counts (null when the divisor is 0)."""
    expected = {
        "shares_per_sharing_user": (values["shares"], values["sharing_users"]),
        "share_view_through_rate": (values["viewed_shares"], values["shares"]),
        "views_per_share": (values["views"], values["shares"]),
    }
    for name, (numerator, denominator) in expected.items():
        if denominator:
            assert ratios[name] == pytest.approx(numerator / denominator), name
        else:
            assert ratios[name] is None, name


def engagement_rows(sample_db, table: str, key: str) -> dict:
    rows = query(sample_db, f"select {key}, {', '.join(FIGURES + RATIOS)} from marts.{table}")
    width = len(key.split(","))
    return {
        (row[0] if width == 1 else row[:width]): (
            dict(zip(FIGURES, row[width : width + len(FIGURES)], strict=True)),
            dict(zip(RATIOS, row[width + len(FIGURES) :], strict=True)),
        )
        for row in rows
    }


def test_customer_engagement_reconciles_with_the_raw_exports(sample_dir, sample_db):
    expected, _, raw = hand_counts(sample_dir)
    marts = engagement_rows(sample_db, "rpt_customer_engagement", "customer_code")
    assert_same_rows({code: counts for code, (counts, _) in marts.items()}, expected)
    for code, (counts, ratios) in marts.items():
        check_ratios(counts, ratios)
        # Each exported row is a share or an exact duplicate of one: the raw count by hand.
        assert counts["shares"] + counts["exact_duplicate_shares"] == raw[code]["SHARE"]
        assert counts["views"] + counts["exact_duplicate_views"] == raw[code]["VIEW"]
    # The sample has what tells the definitions apart: duplicates of both kinds, and
    # fewer RMs who send than clients who receive.
    assert sum(c["exact_duplicate_shares"] for c in expected.values()) > 0
    assert sum(c["exact_duplicate_views"] for c in expected.values()) > 0
    assert all(c["sharing_users"] < c["share_recipients"] for c in expected.values())


def test_monthly_engagement_reconciles_with_the_raw_exports(sample_dir, sample_db):
    _, expected, _ = hand_counts(sample_dir)
    marts = engagement_rows(
        sample_db, "rpt_customer_monthly_engagement", "customer_code, activity_month"
    )
    assert_same_rows({key: counts for key, (counts, _) in marts.items()}, expected)
    for counts, ratios in marts.values():
        check_ratios(counts, ratios)
    assert sum(c["shares"] > 0 for c in expected.values()) >= 6 * 12
    assert sum(c["exact_duplicate_shares"] > 0 for c in expected.values()) > 0


def test_planted_weekday_peak_is_recovered_with_evidence(sample_dir, sample_db):
    truth = json.loads((sample_dir / "GENERATOR.json").read_text())["effects"]["headline"]
    peak = truth["view_weekday_peak"]
    rows = query(
        sample_db,
        "select customer_code, is_different, top_category, p_value, effect_size "
        "from marts.rpt_customer_behaviour_differences where dimension = 'weekday'",
    )
    by_customer = {row[0]: row[1:] for row in rows}
    is_different, top_category, p_value, effect_size = by_customer[peak["customer"]]
    assert is_different and top_category == peak["weekday"]
    assert p_value < 1e-6 and effect_size >= 0.05
    # The planted customer stands out more on weekdays than any other customer does.
    assert effect_size == max(values[3] for values in by_customer.values())


def hand_links(sample_dir):
    """The share/view link rule in plain Python, per export: a VIEW links to the latest
    SHARE of the same client and title sent at or before it (the first copy among
    shares sent at the same moment). Returns every view's link and every share's first
    linked non-duplicate view, keyed like the marts (file:line)."""

    def at(date: str, time: str) -> dt.datetime | None:
        if not date or not time:
            return None
        return dt.datetime.strptime(f"{date} {time}", "%d-%b-%Y %H:%M:%S")

    links, shares_by_id, duplicate_ids = {}, {}, set()
    for path in sorted((sample_dir / "share_view").glob("*.csv")):
        file = f"share_view/{path.name}"
        rows = [(f"{file}:{line}", r) for line, r in enumerate(export_rows(path), start=2)]
        seen = set()
        for record_id, r in rows:
            key = tuple(r.values())
            if key in seen:
                duplicate_ids.add(record_id)
            seen.add(key)
        sent = defaultdict(list)  # (client, title) -> [(shared_at, line order, share id)]
        for order, (record_id, r) in enumerate(rows):
            if r["activity_type"] == "SHARE":
                shares_by_id[record_id] = (path.stem, r)
                shared_at = at(r["shared_date"], r["shared_time"])
                if shared_at is not None:
                    sent[(r["user_id"], r["title"])].append((shared_at, order, record_id))
        for record_id, r in rows:
            if r["activity_type"] != "VIEW":
                continue
            viewed_at = at(r["last_activity_date"], r["last_activity_time"])
            candidates = [
                s for s in sent[(r["user_id"], r["title"])] if viewed_at and s[0] <= viewed_at
            ]
            latest = max((s[0] for s in candidates), default=None)
            first_copy = min((s for s in candidates if s[0] == latest), default=None)
            links[record_id] = (path.stem, first_copy[2] if first_copy else None, viewed_at)
    return links, shares_by_id, duplicate_ids


def test_views_link_to_shares_by_the_rule_and_coverage_is_reported(sample_dir, sample_db):
    links, shares, duplicates = hand_links(sample_dir)
    actual = dict(query(sample_db, "select view_id, share_id from marts.fct_views"))
    assert actual == {view: link for view, (_, link, _) in links.items()}
    assert 0 < sum(link is not None for _, link, _ in links.values()) < len(links)

    first_view, linked = {}, defaultdict(int)
    for view, (_, share, viewed_at) in links.items():
        if share is not None and view not in duplicates:
            linked[share] += 1
            first_view[share] = min(first_view.get(share, viewed_at), viewed_at)
    expected = defaultdict(lambda: defaultdict(int))
    for view, (code, share, _) in links.items():
        if view not in duplicates:
            expected[code]["views"] += 1
            expected[code]["linked_views"] += share is not None
    for share, (code, r) in shares.items():
        if share in duplicates:
            continue
        viewed = r["viewed"] == "1"
        expected[code]["viewed_shares"] += viewed
        expected[code]["shares_with_known_latency"] += viewed and share in first_view
        expected[code]["unviewed_shares_with_linked_views"] += not viewed and share in linked
    names = list(next(iter(expected.values())))
    rows = query(
        sample_db,
        f"select customer_code, {', '.join(names)}, view_link_rate, known_latency_rate "
        "from marts.rpt_share_latency_by_customer",
    )
    assert {row[0]: dict(zip(names, row[1:-2], strict=True)) for row in rows} == {
        code: {name: counts[name] for name in names} for code, counts in expected.items()
    }
    for row in rows:
        counts = dict(zip(names, row[1:-2], strict=True))
        assert row[-2] == pytest.approx(counts["linked_views"] / counts["views"])
        assert row[-1] == pytest.approx(
            counts["shares_with_known_latency"] / counts["viewed_shares"]
        )

    # Latency: from the share to its first linked view, for viewed shares only.
    latency = dict(
        query(
            sample_db,
            "select share_id, minutes_to_first_view from marts.fct_shares "
            "where minutes_to_first_view is not null",
        )
    )
    expected_latency = {}
    for share, viewed_at in first_view.items():
        _, r = shares[share]
        if r["viewed"] == "1":
            shared_at = dt.datetime.strptime(
                f"{r['shared_date']} {r['shared_time']}", "%d-%b-%Y %H:%M:%S"
            )
            expected_latency[share] = (viewed_at - shared_at).total_seconds() / 60
    assert latency.keys() == expected_latency.keys()
    assert all(latency[s] == pytest.approx(expected_latency[s]) for s in latency)


def test_share_features_count_what_came_strictly_before(sample_db):
    # int_share_view_features counts each key's history from a start time on plus what
    # came before it (so that an incremental run computes only the shares a new file
    # can change). Here every count is taken again the plain way: for each share, the
    # RM's, client's and title's shares and views strictly before it was sent.
    shares = query(
        sample_db,
        "select share_id, customer_code, relationship_manager_id, client_id, content_title, "
        "shared_at, first_view_at from intermediate.int_shares_deduplicated "
        "where shared_at is not null",
    )
    views = query(
        sample_db,
        "select customer_code, client_id, content_title, viewed_at "
        "from intermediate.int_views_deduplicated where viewed_at is not null",
    )
    by_rm, by_client, client_views, title_views = (defaultdict(list) for _ in range(4))
    for _, code, rm, client, _title, shared_at, first_view_at in shares:
        if rm is not None:
            viewed_at = None if first_view_at is None else max(shared_at, first_view_at)
            by_rm[code, rm].append((shared_at, viewed_at))
        if client is not None:
            by_client[code, client].append(shared_at)
    for code, client, title, viewed_at in views:
        if client is not None:
            client_views[code, client].append(viewed_at)
        if title is not None:
            title_views[code, title].append(viewed_at)

    expected = {}
    for share_id, code, rm, client, title, shared_at, _ in shares:
        rm_history = by_rm.get((code, rm), [])
        rm_shares = sum(sent < shared_at for sent, _ in rm_history)
        rm_viewed = sum(seen is not None and seen < shared_at for _, seen in rm_history)
        expected[share_id] = (
            rm_shares,
            rm_viewed / rm_shares if rm_shares else None,
            sum(sent < shared_at for sent in by_client.get((code, client), [])),
            sum(seen < shared_at for seen in client_views.get((code, client), [])),
            sum(seen < shared_at for seen in title_views.get((code, title), [])),
        )
    actual = query(
        sample_db,
        "select share_id, rm_prior_shares, rm_prior_view_through_rate, client_prior_shares, "
        "client_prior_views, title_prior_views from intermediate.int_share_view_features",
    )
    assert len(actual) == len(expected)
    assert sum(row[1] > 0 and row[4] > 0 for row in actual) > 10
    for share_id, *counts in actual:
        assert tuple(counts) == pytest.approx(expected[share_id]), share_id
