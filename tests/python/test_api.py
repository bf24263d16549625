"""`uptake serve`: the scores API, started as a real uvicorn process on a free localhost
port over a file published from the generated sample build, and called on every route.
Each answer is checked against the published mart's rows read directly and aggregated in
plain Python (never the API's SQL again); then the 404 and 422 cases, paging, a new
publish served without a restart, the 503 while there is no published file, and that no
name or email of the landing data comes back."""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import reuse_rm_ids_across_customers

from uptake import serving
from uptake.api.serve import free_port, local_server

UPTAKE = Path(sys.executable).with_name("uptake")


# --- a server of the test's own ------------------------------------------------------


def call(base: str, path: str) -> tuple[int, object]:
    """(status, JSON body) of a GET; bodies of errors too."""
    try:
        with urllib.request.urlopen(base + path, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def published(sample_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("api") / "published.duckdb"
    serving.publish(sample_db, out)
    # Two customers' exports use the same RM IDs, as real ones may: the API must key an
    # RM by its customer.
    assert reuse_rm_ids_across_customers(out) >= 2
    return out


@pytest.fixture(scope="module")
def api(published):
    with local_server(published) as base:
        yield base


@functools.cache
def rows(published: Path, table: str) -> list[dict]:
    """Every row of a published mart, as dicts (read directly, not through the API; read
    once per file: do not change them)."""
    with duckdb.connect(str(published), read_only=True) as conn:
        cursor = conn.execute(f"select * from marts.{table}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def walk(base: str, path: str) -> tuple[int, list]:
    """Every item of a paged route, following its next links; (total, items)."""
    items, url, totals = [], base + path, set()
    for _ in range(10_000):
        status, body = call("", url)
        assert status == 200, body
        totals.add(body["total"])
        items += body.get("items", body.get("points"))
        if body["next"] is None:
            break
        assert body["next"].startswith(base)
        url = body["next"]
    assert len(totals) == 1
    return totals.pop(), items


def same_number(actual, expected) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return abs(actual - expected) <= 1e-9 * max(1.0, abs(expected))


def factors_text(factors: list[dict]) -> str | None:
    """The mart's top_factors text back from the API's list (the format of
    uptake.ml.explain.top_factors)."""
    text = "; ".join(f"{f['factor']} (+{f['contribution']:.2f})" for f in factors)
    return text or None


def assert_same_score(body: dict, expected: dict) -> None:
    """A scored row of the API against the mart's row."""
    assert same_number(body["probability"], expected["probability"])
    assert body["decile"] == expected["decile"]
    assert body["is_on_the_fence"] == expected["is_on_the_fence"]
    assert body["model_name"] == expected["model_name"]
    assert body["model_version"] == expected["model_version"]
    assert factors_text(body["top_factors"]) == expected["top_factors"]


# --- the routes ------------------------------------------------------------------------


def test_openapi_docs_list_every_route(api):
    status, schema = call(api, "/openapi.json")
    assert status == 200
    assert set(schema["paths"]) == {
        "/health",
        "/accounts/{user_id}/adoption-score",
        "/adoption-scores",
        "/web-users/{user_id}/page-recommendations",
        "/shares/{share_id}/view-probability",
        "/share-view-scores",
        "/metrics",
        "/metrics/{name}",
    }
    # The docs pages load their scripts from the API itself (no CDN): they open offline.
    for page in ("/docs", "/redoc"):
        with urllib.request.urlopen(api + page, timeout=30) as response:
            html = response.read().decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert any(asset.endswith(".js") for asset in assets), html
        for asset in assets:
            assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
            with urllib.request.urlopen(api + asset, timeout=30) as response:
                assert response.status == 200 and response.read()


def test_health_says_what_was_published(api, published):
    with duckdb.connect(str(published), read_only=True) as conn:
        marts = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()[0]
    status, health = call(api, "/health")
    assert status == 200 and health["status"] == "ok"
    assert health["relations"] == marts and health["total_rows"] > 0


def test_adoption_score_of_an_account(api, published):
    scores = {row["user_id"]: row for row in rows(published, "ml_adoption_scores")}
    bands = {
        (row["model_name"], row["cutoff_days"]): (row["on_the_fence_low"], row["on_the_fence_high"])
        for row in rows(published, "ml_adoption_metrics")
    }
    assert scores, "the sample build scored no account"
    ordered = sorted(scores)
    fence = [u for u in ordered if scores[u]["is_on_the_fence"]][:3]
    for user_id in {ordered[0], ordered[-1], ordered[len(ordered) // 2], *fence}:
        expected = scores[user_id]
        status, body = call(api, f"/accounts/{user_id}/adoption-score")
        assert status == 200, body
        assert body["user_id"] == user_id
        assert_same_score(body, expected)
        assert body["cutoff_days"] == expected["cutoff_days"]
        low, high = bands[(expected["model_name"], expected["cutoff_days"])]
        assert same_number(body["on_the_fence_low"], low)
        assert same_number(body["on_the_fence_high"], high)
        if body["is_on_the_fence"]:
            assert low <= body["probability"] <= high

    accounts = {row["user_id"] for row in rows(published, "dim_accounts")}
    decided = min(accounts - scores.keys())
    status, body = call(api, f"/accounts/{decided}/adoption-score")
    assert status == 404 and "decided" in body["detail"]
    status, body = call(api, f"/accounts/{max(accounts) + 1000}/adoption-score")
    assert status == 404 and "no account" in body["detail"]
    status, body = call(api, "/accounts/abc/adoption-score")
    assert status == 422 and body["detail"][0]["loc"] == ["path", "user_id"]


def test_adoption_scores_are_paged(api, published):
    scores = rows(published, "ml_adoption_scores")
    expected = [
        row["user_id"] for row in sorted(scores, key=lambda r: (-r["probability"], r["user_id"]))
    ]
    total, items = walk(api, "/adoption-scores?limit=37")
    assert total == len(scores)
    assert [item["user_id"] for item in items] == expected

    top = sorted(
        (r for r in scores if r["decile"] == 10 and r["is_on_the_fence"]),
        key=lambda r: (-r["probability"], r["user_id"]),
    )
    total, items = walk(api, "/adoption-scores?decile=10&on_the_fence=true&limit=5")
    assert total == len(top)
    assert [item["user_id"] for item in items] == [r["user_id"] for r in top]

    status, body = call(api, f"/adoption-scores?offset={len(scores) + 5}")
    assert status == 200 and body["items"] == [] and body["total"] == len(scores)
    assert body["next"] is None
    for bad in ["limit=0", "limit=1001", "offset=-1", "decile=11", "on_the_fence=maybe"]:
        status, body = call(api, f"/adoption-scores?{bad}")
        assert status == 422, (bad, body)
        assert body["detail"][0]["loc"][0] == "query"


def test_page_recommendations_of_a_web_user(api, published):
    recommended = defaultdict(list)
    for row in rows(published, "ml_page_recommendations"):
        recommended[row["user_id"]].append(row)
    assert recommended, "the sample build recommended no page"
    users = sorted(recommended)
    for user_id in users[:3] + users[-2:]:
        status, body = call(api, f"/web-users/{user_id}/page-recommendations")
        assert status == 200, body
        expected = sorted(recommended[user_id], key=lambda r: r["recommendation_rank"])
        assert [(r["rank"], r["page"]) for r in body["recommendations"]] == [
            (r["recommendation_rank"], r["page"]) for r in expected
        ]
        assert all(
            same_number(a["score"], e["score"])
            for a, e in zip(body["recommendations"], expected, strict=True)
        )
    web_users = {r["user_id"] for r in rows(published, "dim_users") if r["user_type"] == "web_user"}
    for user_id in sorted(web_users - recommended.keys())[:1]:
        status, body = call(api, f"/web-users/{user_id}/page-recommendations")
        assert status == 200 and body["recommendations"] == []
    status, body = call(api, "/web-users/12345678901234567890/page-recommendations")
    assert status == 404 and "no web-tool user" in body["detail"]
    status, body = call(api, "/web-users/not-a-number/page-recommendations")
    assert status == 422


def test_view_probability_of_an_open_share(api, published):
    scores = {row["share_id"]: row for row in rows(published, "ml_share_view_scores")}
    shares = {row["share_id"]: row for row in rows(published, "fct_shares")}
    bands = {
        row["model_name"]: (row["on_the_fence_low"], row["on_the_fence_high"])
        for row in rows(published, "ml_share_view_metrics")
    }
    assert scores, "the sample build scored no open share"
    ordered = sorted(scores)
    for share_id in {ordered[0], ordered[-1], ordered[len(ordered) // 2]}:
        expected, share = scores[share_id], shares[share_id]
        for encoded in (share_id, urllib.parse.quote(share_id, safe="")):
            status, body = call(api, f"/shares/{encoded}/view-probability")
            assert status == 200, body
            assert body["share_id"] == share_id
            assert_same_score(body, expected)
            assert body["customer_code"] == share["customer_code"]
            assert body["share_channel"] == share["share_channel"]
            low, high = bands[expected["model_name"]]
            assert same_number(body["on_the_fence_low"], low)
    closed = min(shares.keys() - scores.keys())
    status, body = call(api, f"/shares/{closed}/view-probability")
    assert status == 404 and "not open" in body["detail"]
    status, body = call(api, "/shares/share_view/NOPE.csv:1/view-probability")
    assert status == 404 and "no share" in body["detail"]

    customer = shares[ordered[0]]["customer_code"]
    expected_ids = [
        r["share_id"]
        for r in sorted(scores.values(), key=lambda r: (-r["probability"], r["share_id"]))
        if shares[r["share_id"]]["customer_code"] == customer
    ]
    total, items = walk(api, f"/share-view-scores?customer={customer}&limit=7")
    assert total == len(expected_ids)
    assert [item["share_id"] for item in items] == expected_ids
    total, _ = walk(api, "/share-view-scores?limit=1000")
    assert total == len(scores)


# --- metric series against plain Python --------------------------------------------


def period_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on monday
    if grain == "month":
        return day.replace(day=1)
    return day


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def expected_series(published: Path, name: str, grain: str, dimension: str | None, period=1):
    """{(period_start, dimension value as text or None): value}, computed in Python from the
    mart's rows."""

    def text(value):
        if value is None:
            return None
        return str(value).lower() if isinstance(value, bool) else str(value)

    groups = defaultdict(list)

    def medians(column):
        return {key: statistics.median(r[column] for r in rs) for key, rs in groups.items()}

    def group(table, date_column, dimensions, keep=lambda row: True):
        for row in rows(published, table):
            if keep(row):
                key_value = text(row[dimensions[dimension]]) if dimension else None
                groups[(period_start(row[date_column], grain), key_value)].append(row)

    daily = {"user_type": "user_type"}
    share_dims = {
        "customer": "customer_code",
        "industry": "industry",
        "share_channel": "share_channel",
    }
    signup_dims = {"creation_source": "creation_source", "is_invited": "is_invited"}
    if name in {"daily_active_users", "weekly_active_users", "monthly_active_users"}:
        group("rpt_daily_active_users", "calendar_date", daily)
        return {
            key: sum(r[name] for r in rs) / len({r["calendar_date"] for r in rs})
            for key, rs in groups.items()
        }
    if name == "stickiness":
        group("rpt_daily_active_users", "calendar_date", daily)
        return {
            key: _ratio(
                sum(r["daily_active_users"] for r in rs), sum(r["monthly_active_users"] for r in rs)
            )
            for key, rs in groups.items()
        }
    if name == "active_users":
        industries = {r["customer_code"]: r["industry"] for r in rows(published, "dim_customers")}
        for row in rows(published, "fct_user_days"):
            value = {
                "user_type": row["user_type"],
                "customer": row["customer_code"],
                "industry": industries.get(row["customer_code"]),
            }
            key_value = text(value[dimension]) if dimension else None
            groups[(period_start(row["activity_date"], grain), key_value)].append(row)
        return {key: len({r["user_key"] for r in rs}) for key, rs in groups.items()}
    if name == "signups":
        group("fct_adoption", "signup_date", signup_dims)
        return {key: len(rs) for key, rs in groups.items()}
    if name == "adoption_rate":
        group("fct_adoption", "signup_date", signup_dims)
        return {key: sum(r["is_adopted"] for r in rs) / len(rs) for key, rs in groups.items()}
    if name == "median_days_to_adopt":
        group("fct_adoption", "signup_date", signup_dims, lambda r: r["is_adopted"])
        return medians("days_from_signup_to_adoption")
    if name == "retention_rate":
        group(
            "rpt_retention_cohorts",
            "cohort_start_date",
            daily,
            lambda r: (
                r["cohort_grain"] == grain
                and r["period_unit"] == grain
                and r["period_number"] == period
            ),
        )
        return {
            key: _ratio(
                sum(r["retained_users"] for r in rs), sum(r["observable_users"] for r in rs)
            )
            for key, rs in groups.items()
        }
    if name in {
        "shares",
        "sharing_users",
        "share_recipients",
        "shares_per_sharing_user",
        "view_through_rate",
    }:
        group("fct_shares", "shared_date", share_dims, lambda r: not r["is_exact_duplicate"])

        def senders(rs):  # an RM ID is unique only within its customer's export
            return {
                (r["customer_code"], r["relationship_manager_id"])
                for r in rs
                if r["relationship_manager_id"] is not None
            }

        if name == "shares":
            return {key: len(rs) for key, rs in groups.items()}
        if name == "view_through_rate":
            return {key: sum(r["is_viewed"] for r in rs) / len(rs) for key, rs in groups.items()}
        if name == "sharing_users":
            return {key: len(senders(rs)) for key, rs in groups.items()}
        if name == "share_recipients":
            return {
                key: len({(r["customer_code"], r["client_id"]) for r in rs if r["client_id"]})
                for key, rs in groups.items()
            }
        return {key: _ratio(len(rs), len(senders(rs))) for key, rs in groups.items()}
    if name == "median_minutes_to_first_view":
        group(
            "fct_shares",
            "shared_date",
            share_dims,
            lambda r: not r["is_exact_duplicate"] and r["minutes_to_first_view"] is not None,
        )
        return medians("minutes_to_first_view")
    if name == "views":
        group(
            "fct_views",
            "viewed_date",
            {"customer": "customer_code", "industry": "industry", "device_type": "device_type"},
            lambda r: not r["is_exact_duplicate"],
        )
        return {key: len(rs) for key, rs in groups.items()}
    raise AssertionError(f"no plain-Python twin for metric {name}: add one to this test")


def test_every_metric_series_matches_plain_python(api, published):
    status, catalogue = call(api, "/metrics")
    assert status == 200
    assert {m["name"] for m in catalogue} >= {
        "daily_active_users",
        "weekly_active_users",
        "monthly_active_users",
        "stickiness",
        "signups",
        "adoption_rate",
        "median_days_to_adopt",
        "retention_rate",
        "sharing_users",
        "share_recipients",
        "shares_per_sharing_user",
        "view_through_rate",
        "median_minutes_to_first_view",
    }
    checked = 0
    for metric in catalogue:
        for grain in metric["grains"]:
            for dimension in [None, *metric["dimensions"]]:
                query = f"/metrics/{metric['name']}?grain={grain}&limit=1000"
                if dimension:
                    query += f"&dimension={dimension}"
                total, points = walk(api, query)
                actual = {
                    (date.fromisoformat(p["period_start"]), p["dimension_value"]): p["value"]
                    for p in points
                }
                assert total == len(points) == len(actual)
                expected = expected_series(published, metric["name"], grain, dimension)
                assert actual.keys() == expected.keys(), (query, actual.keys() ^ expected.keys())
                wrong = [k for k in expected if not same_number(actual[k], expected[k])]
                assert not wrong, (query, [(k, actual[k], expected[k]) for k in wrong[:3]])
                assert expected, f"{query}: an empty series checks nothing"
                checked += 1
    assert checked >= 40


def test_share_series_add_up_to_the_engagement_mart(api, published):
    """Shares, views and the view-through rate mean the same in the API as in the mart a
    BI tool reads (exact duplicates left out): each customer's monthly series add up to
    its row of rpt_customer_engagement."""

    def by_month_and_customer(name: str) -> dict:
        _, points = walk(api, f"/metrics/{name}?grain=month&dimension=customer&limit=1000")
        return {(p["period_start"], p["dimension_value"]): p["value"] for p in points}

    shares, views = by_month_and_customer("shares"), by_month_and_customer("views")
    rates = by_month_and_customer("view_through_rate")
    totals = defaultdict(lambda: defaultdict(float))
    for (_, code), value in shares.items():
        totals[code]["shares"] += value
    for (_, code), value in views.items():
        totals[code]["views"] += value
    for key, rate in rates.items():
        totals[key[1]]["viewed_shares"] += rate * shares[key]
    mart = {row["customer_code"]: row for row in rows(published, "rpt_customer_engagement")}
    assert totals.keys() == mart.keys() and len(mart) >= 3
    for code, row in mart.items():
        assert totals[code]["shares"] == row["shares"], code
        assert totals[code]["views"] == row["views"], code
        assert same_number(totals[code]["viewed_shares"], row["viewed_shares"]), code
        assert same_number(
            totals[code]["viewed_shares"] / totals[code]["shares"], row["share_view_through_rate"]
        ), code


def test_metric_series_filters_pages_and_rejects_bad_parameters(api, published):
    expected = expected_series(published, "retention_rate", "week", "user_type", period=4)
    first = min(key[0] for key in expected)
    start, end = first + timedelta(weeks=2), first + timedelta(weeks=10)
    total, points = walk(
        api,
        f"/metrics/retention_rate?grain=week&dimension=user_type&period=4"
        f"&start={start}&end={end}&limit=3",
    )
    window = {k: v for k, v in expected.items() if start <= k[0] <= end}
    assert total == len(window) == len(points)
    keys = [(date.fromisoformat(p["period_start"]), p["dimension_value"]) for p in points]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1] or ""))
    assert all(same_number(p["value"], window[k]) for p, k in zip(points, keys, strict=True))

    status, body = call(api, "/metrics/no_such_metric")
    assert status == 404 and "daily_active_users" in body["detail"]
    for bad, parameter in [
        ("/metrics/signups?grain=year", "grain"),
        ("/metrics/retention_rate?grain=day", "grain"),
        ("/metrics/signups?dimension=email", "dimension"),
        ("/metrics/signups?period=2", "period"),
        ("/metrics/signups?start=2024-02-01&end=2024-01-01", "end"),
        ("/metrics/signups?start=yesterday", "start"),
        ("/metrics/signups?limit=5000", "limit"),
    ]:
        status, body = call(api, bad)
        assert status == 422, (bad, body)
        assert body["detail"][0]["loc"] == ["query", parameter], (bad, body)


def test_no_name_or_email_in_any_answer(api, published, sample_dir):
    personal = set()
    for path in (sample_dir / "users").glob("*.csv"):
        with open(path, encoding="latin-1", newline="") as handle:
            for row in csv.DictReader(handle):
                personal.update(v for v in (row.get("name"), row.get("email")) if v)
    assert personal
    answers = [call(api, "/adoption-scores?limit=1000")[1], call(api, "/metrics")[1]]
    answers.append(call(api, "/share-view-scores?limit=1000")[1])
    for item in answers[0]["items"][:20]:
        answers.append(call(api, f"/accounts/{item['user_id']}/adoption-score")[1])
    for dimension in ["creation_source", "is_invited"]:
        answers.append(call(api, f"/metrics/signups?dimension={dimension}&limit=1000")[1])
    strings, keys = set(), set()

    def collect(value) -> None:
        if isinstance(value, dict):
            keys.update(value)
            strings.update(value)
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, str):
            strings.add(value)

    collect(answers)
    assert not strings & personal
    assert not [text for text in strings if "@" in text]
    assert not keys & {"email", "email_domain", "customer_name", "user_name"}


# --- publishing while it runs ------------------------------------------------------------


def _build(path: Path, probability: float, with_recommendations: bool = True) -> None:
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.dim_accounts as select 7::bigint as user_id")
        conn.execute(
            "create table marts.ml_adoption_scores as select 7::bigint as user_id,"
            f" 3 as cutoff_days, {probability}::double as probability,"
            " 'is_invited (+0.50)' as top_factors, 'l1_logistic_regression' as model_name,"
            " 'v' as model_version, 4::bigint as decile, false as is_on_the_fence,"
            " timestamp '2024-01-01' as scored_at"
        )
        conn.execute(
            "create table marts.ml_adoption_metrics as select 'l1_logistic_regression' as"
            " model_name, 3::bigint as cutoff_days, 0.2 as on_the_fence_low,"
            " 0.4 as on_the_fence_high"
        )
        if with_recommendations:
            conn.execute(
                "create table marts.ml_page_recommendations as select '42' as user_id,"
                " 'search' as page, 0.5 as score, 1::bigint as recommendation_rank,"
                " 'item_cosine' as model_name"
            )


def test_a_new_publish_is_served_without_restart(tmp_path):
    published = tmp_path / "published.duckdb"
    build = tmp_path / "build.duckdb"
    with local_server(published) as api:
        # No published file yet: a JSON 503 that says what to do, and the server lives on.
        status, body = call(api, "/accounts/7/adoption-score")
        assert status == 503 and "scripts/build.sh" in body["detail"]
        status, body = call(api, "/health")
        assert status == 503

        _build(build, 0.25)
        serving.publish(build, published)
        status, body = call(api, "/accounts/7/adoption-score")
        assert status == 200 and body["probability"] == 0.25
        assert body["top_factors"] == [{"factor": "is_invited", "contribution": 0.5}]
        status, body = call(api, "/health")
        first_publish = body["published_at"]

        _build(build, 0.75, with_recommendations=False)
        serving.publish(build, published)
        status, body = call(api, "/accounts/7/adoption-score")
        assert status == 200 and body["probability"] == 0.75
        assert call(api, "/health")[1]["published_at"] > first_publish
        # A table the published build lacks: 503 for the route that reads it.
        status, body = call(api, "/web-users/42/page-recommendations")
        assert status == 503 and "ml_page_recommendations" in body["detail"]

        published.unlink()
        status, body = call(api, "/accounts/7/adoption-score")
        assert status == 503 and "no published file" in body["detail"]


def test_serve_refuses_the_build_file(tmp_path):
    build = tmp_path / "uptake.duckdb"
    _build(build, 0.5)
    result = subprocess.run(
        [str(UPTAKE), "serve", "--db", str(build), "--port", str(free_port())],
        env={**os.environ, "UPTAKE_DB_PATH": str(build)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is the build file" in result.stderr and "Traceback" not in result.stderr


def test_the_exposure_lists_the_marts_the_api_reads():
    project = Path(__file__).resolve().parents[2]
    code = "".join(path.read_text() for path in (project / "src/uptake/api").glob("*.py"))
    read = set(re.findall(r"\bmarts\.([a-z0-9_]+)", code))
    exposures = yaml.safe_load((project / "models/exposures.yml").read_text())["exposures"]
    (api,) = [exposure for exposure in exposures if exposure["name"] == "scores_api"]
    declared = {re.fullmatch(r"ref\('([a-z0-9_]+)'\)", ref)[1] for ref in api["depends_on"]}
    assert declared == read


def test_requests_during_publishes_see_one_build_or_the_next(tmp_path):
    """Readers hammer the API while the file is published over five times: every answer is
    a 200 from one complete build, never an error or a mixture."""
    import threading

    published, build = tmp_path / "published.duckdb", tmp_path / "build.duckdb"
    _build(build, 0.1)
    serving.publish(build, published)
    published_values = {0.1}
    answers, stop = [], threading.Event()

    with local_server(published) as api:

        def reader() -> None:
            while not stop.is_set() and len(answers) < 5000:
                answers.append(call(api, "/accounts/7/adoption-score"))

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for thread in threads:
            thread.start()
        for probability in (0.2, 0.3, 0.4, 0.5, 0.6):
            # Let the readers answer a while from the current build, then publish over it.
            wanted, deadline = len(answers) + 30, time.monotonic() + 30
            while len(answers) < wanted and time.monotonic() < deadline:
                time.sleep(0.01)
            _build(build, probability)
            serving.publish(build, published)
            published_values.add(probability)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        final = call(api, "/accounts/7/adoption-score")
    assert answers
    assert {status for status, _ in answers} == {200}
    seen = {body["probability"] for _, body in answers}
    assert seen <= published_values
    assert len(seen) >= 4, f"the readers saw too few of the builds: {sorted(seen)}"
    assert final == (200, final[1]) and final[1]["probability"] == 0.6


def test_old_builds_are_closed_once_replaced(tmp_path):
    """In-process: each publish opens one new generation and closes the one before once
    its last reader is done, so no replaced file stays open."""
    from uptake.api.database import PublishedDatabase

    published, build = tmp_path / "published.duckdb", tmp_path / "build.duckdb"
    database = PublishedDatabase(published)
    for round_number in range(1, 4):
        _build(build, round_number / 10)
        serving.publish(build, published)
        with database.read() as first, database.read() as second:
            value = "select probability from marts.ml_adoption_scores"
            assert first.cursor.execute(value).fetchone() == (round_number / 10,)
            assert second.cursor.execute(value).fetchone() == (round_number / 10,)
    assert database.opened == 3
    if Path("/proc/self/fd").is_dir():
        deleted = []
        for fd in list(Path("/proc/self/fd").iterdir()):
            with contextlib.suppress(OSError):  # the listing's own descriptor is gone
                target = os.readlink(fd)
                if str(tmp_path) in target and "(deleted)" in target:
                    deleted.append(target)
        assert not deleted, f"replaced published files still open: {deleted}"
    database.close()
