"""Tests of the synthetic landing-data generator (uptake.generator)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from uptake.generator import CUSTOMERS, FOLDERS, add_arguments, generate, run

SCALE = 0.15
SEED = 7

SHARE_VIEW_COLUMNS = [
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
EXTRA_COLUMNS = {"User OS Share", "Viewing App Version"}
USERS_COLUMNS = [
    "object_id",
    "creation_time",
    "name",
    "email",
    "creation_source",
    "last_session_creation_time",
    "opted_in_to_mailing_list",
    "enabled_for_marketing_drip",
    "org_id",
    "invited_by_user_id",
]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample")
    summary = generate(out, seed=SEED, scale=SCALE, fmt="csv")
    return out, summary


def _decode(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _share_view(path: Path) -> tuple[list[str], pd.DataFrame, str]:
    """Header as written and a DataFrame with stripped names (unnamed → _extra0, _extra1)."""
    text, enc = _decode(path.read_bytes())
    rows = _csv_rows(text)
    header = rows[0]
    names = [h.strip() or f"_extra{i}" for i, h in enumerate(header)]
    assert all(len(r) == len(header) for r in rows[1:]), path.name
    df = pd.DataFrame(rows[1:], columns=names)
    df["customer"] = path.stem
    return header, df, enc


@pytest.fixture(scope="module")
def share_views(sample) -> dict[str, tuple[list[str], pd.DataFrame, str]]:
    out, _ = sample
    return {p.stem: _share_view(p) for p in sorted((out / "share_view").glob("*.csv"))}


@pytest.fixture(scope="module")
def users(sample) -> pd.DataFrame:
    out, _ = sample
    return pd.read_csv(
        out / "users" / "users.csv", dtype=str, keep_default_na=False, encoding="latin-1"
    )


@pytest.fixture(scope="module")
def logins(sample) -> pd.DataFrame:
    out, _ = sample
    return pd.read_csv(out / "logins" / "logins.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def pages(sample) -> pd.DataFrame:
    out, _ = sample
    return pd.read_csv(out / "page_events" / "page_events.csv", dtype=str, keep_default_na=False)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# ----------------------------------------------------------------------------- layout, determinism


def test_layout_and_summary(sample):
    out, summary = sample
    assert sorted(p.name for p in out.iterdir()) == sorted([*FOLDERS, "GENERATOR.json"])
    assert sorted(p.stem for p in (out / "share_view").iterdir()) == sorted(c[0] for c in CUSTOMERS)
    manifest = json.loads((out / "GENERATOR.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == SEED and manifest["scale"] == SCALE and manifest["fmt"] == "csv"
    for key in ("headline", "adoption", "early_signal", "share_view", "page_events"):
        assert key in manifest["effects"]
    headline = manifest["effects"]["headline"]
    assert headline["view_weekday_peak"] == {"customer": "EU", "weekday": "Thursday"}
    assert headline["return_predictive_first_day_page"] == "reports_builder"
    assert 2 <= headline["adoption_odds_ratios"]["invited"] <= 3
    for rel, n in manifest["files"].items():  # row counts = physical CSV records
        text, _ = _decode((out / rel).read_bytes())
        assert len(_csv_rows(text)) - 1 == n, rel
    assert summary["files"] == manifest["files"]
    assert sum(summary["rows"].values()) == sum(manifest["files"].values())


def test_same_seed_identical_bytes_other_seed_differs(sample, tmp_path):
    out, _ = sample
    again = tmp_path / "again"
    generate(again, seed=SEED, scale=SCALE, fmt="csv")
    assert _files(again) == _files(out)
    other = tmp_path / "other"
    generate(other, seed=SEED + 1, scale=SCALE, fmt="csv")
    a, b = _files(out), _files(other)
    for rel in ("logins/logins.csv", "users/users.csv", "page_events/page_events.csv"):
        assert a[rel] != b[rel]


def test_regenerate_replaces_old_output_and_protects_foreign_data(tmp_path):
    out = tmp_path / "d"
    generate(out, seed=1, scale=0.03, fmt="csv")
    generate(out, seed=1, scale=0.03, fmt="parquet")  # previous CSVs are removed
    assert not list(out.rglob("*.csv")) and list(out.rglob("*.parquet"))
    foreign = tmp_path / "foreign"
    (foreign / "logins").mkdir(parents=True)
    (foreign / "logins" / "mine.csv").write_text("x\n")
    with pytest.raises(FileExistsError):
        generate(foreign, seed=1, scale=0.03)
    assert (foreign / "logins" / "mine.csv").exists()


def test_cli_arguments_and_run(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    defaults = parser.parse_args([])
    assert (defaults.out, defaults.seed, defaults.scale, defaults.fmt) == (
        Path("data/sample"),
        42,
        1.0,
        "csv",
    )
    args = parser.parse_args(["--out", str(tmp_path / "x"), "--scale", "0.02", "--format", "csv"])
    assert run(args) == 0
    printed = capsys.readouterr().out
    assert "logins/logins.csv" in printed and "rows" in printed
    assert (tmp_path / "x" / "GENERATOR.json").is_file()


def test_default_scale_sizes(tmp_path):
    s = generate(tmp_path / "s1", seed=42, scale=1.0, fmt="parquet")
    assert 11_500 <= s["rows"]["users"] <= 12_500
    assert 170_000 <= s["rows"]["logins"] <= 230_000
    assert 80_000 <= s["rows"]["page_events"] <= 150_000
    per_customer = [n for rel, n in s["files"].items() if rel.startswith("share_view/")]
    assert len(per_customer) == 6 and all(5_000 <= n <= 15_000 for n in per_customer)
    assert s["effects"]["page_events"]["realized"]["users"] == 5_000
    assert 0.12 <= s["effects"]["adoption"]["realized"]["adoption_rate"] <= 0.20
    assert 0.25 <= s["effects"]["adoption"]["realized"]["never_logged_in_rate"] <= 0.35


# ----------------------------------------------------------------------------- share_view quirks


def test_share_view_contract_columns_and_quirks(share_views):
    leading_space = cp1252 = trailing = extras = 0
    for code, (header, df, enc) in share_views.items():
        names = [h.strip() for h in header if h.strip()]
        assert [n for n in names if n not in EXTRA_COLUMNS] == SHARE_VIEW_COLUMNS, code
        leading_space += any(h.startswith(" ") for h in header)
        extras += any(n in EXTRA_COLUMNS for n in names)
        cp1252 += enc == "cp1252"
        n_blank = sum(1 for h in header if not h.strip())
        if n_blank:
            trailing += 1
            stray = df[[c for c in df.columns if c.startswith("_extra")]].ne("").any(axis=1)
            assert stray.sum() >= 2, code  # stray text in a few rows of the unnamed columns
        assert set(df["Activity Type"]) == {"SHARE", "VIEW"}
        assert df.duplicated(subset=[c for c in df.columns]).sum() >= 1, code  # exact dups
        shares = df[df["Activity Type"] == "SHARE"]
        views = df[df["Activity Type"] == "VIEW"]
        assert shares["Shared Date"].str.fullmatch(r"\d{2}-[A-Z][a-z]{2}-2023").all()
        # A VIEW row carries no share fields, as in the real exports.
        for field in ("RM ID", "Shared Date", "Shared Time", "Share Channel", "User Groups"):
            assert (views[field] == "").all(), (code, field)
        assert df["Last Activity Time"].str.fullmatch(r"([1-9]|1\d|2[0-3]|0):[0-5]\d:[0-5]\d").all()
        assert df["Shared Time"].str.match(r"\d:").any()  # hour without a leading zero
        assert df["User Groups"].str.contains(",").any()
        assert (shares["User OS"] == "").all() and (views["User OS"] != "").mean() > 0.98
        assert set(shares["Viewed"]) == {"0", "1"}
        assert (views["Time Spent in Seconds"] == "").any() or len(views) < 300
        kinds = df["Title of Content"].str.extract(r"\.(pdf|pptx|mp4|docx|xlsx)$")[0]
        assert kinds.notna().mean() > 0.5
        assert df["Title of Content"].str.startswith("https://").any()
    assert leading_space >= 2 and cp1252 >= 1 and trailing >= 2 and extras >= 2


def test_share_view_encodings(sample):
    out, summary = sample
    encodings = summary["landing"]["encodings"]["share_view"]
    for path in (out / "share_view").glob("*.csv"):
        raw = path.read_bytes()
        if encodings[path.stem] == "cp1252":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            assert "\u2019" in raw.decode("cp1252") or "\u2013" in raw.decode("cp1252")
        else:
            raw.decode("utf-8")
    assert b'"All Users ' in (out / "share_view" / "NB.csv").read_bytes()


def test_share_row_rollups_consistent(share_views):
    _, df, _ = share_views["AC"]
    df = df.drop_duplicates()
    shares = df[df["Activity Type"] == "SHARE"]
    never = shares[shares["Viewed"] == "0"]
    assert (never["Time Spent in Seconds"] == "0").all()
    assert (never["Last Activity Date"] == never["Shared Date"]).all()
    viewed = shares[shares["Viewed"] == "1"]
    assert (viewed["Time Spent in Seconds"].astype(int) > 0).all()
    # Every view of a client was sent that title, or was not: both kinds occur, and
    # viewers outside the sharing records occur too (DESIGN.md: many views link to none).
    views = df[df["Activity Type"] == "VIEW"]
    sent = set(zip(shares["User ID"], shares["Title of Content"], strict=True))
    pairs = zip(views["User ID"], views["Title of Content"], strict=True)
    was_sent = [pair in sent for pair in pairs]
    assert 0.5 < np.mean(was_sent) < 0.9
    outside = ~views["User ID"].isin(set(shares["User ID"]))
    assert 0.05 < outside.mean() < 0.25


def test_view_link_coverage_is_as_planted(sample, share_views):
    """The link rule in plain Python (latest share of the same client and title at or
    before the view) links exactly the logged views of shared content; the views of
    titles never sent and of outside viewers link to nothing."""
    _, summary = sample
    for code, (_, df, _) in share_views.items():
        truth = summary["effects"]["share_view"]["customers"][code]
        df = df.drop_duplicates()
        shares = df[df["Activity Type"] == "SHARE"].assign(
            at=lambda d: pd.to_datetime(d["Shared Date"] + " " + d["Shared Time"])
        )
        views = df[df["Activity Type"] == "VIEW"].assign(
            at=lambda d: pd.to_datetime(d["Last Activity Date"] + " " + d["Last Activity Time"])
        )
        first_share = shares.groupby(["User ID", "Title of Content"])["at"].min()
        key = pd.MultiIndex.from_frame(views[["User ID", "Title of Content"]])
        linked = views["at"].to_numpy() >= first_share.reindex(key).to_numpy()
        origins = truth["view_rows_by_origin"]
        assert len(views) == truth["view_rows"] == sum(origins.values()), code
        assert linked.sum() == origins["share"], code
        assert truth["viewed_shares_with_a_logged_view"] < truth["viewed_shares"], code


# ------------------------------------------------------------------------ users / logins / pages


def test_users_file(sample, users):
    out, _ = sample
    raw = (out / "users" / "users.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Latin-1: accented names are single bytes
    assert list(users.columns) == USERS_COLUMNS
    assert users.name.str.contains("[À-ÿ]").any()
    ids = users.object_id.astype(int)
    assert (ids.to_numpy() == np.arange(1, len(users) + 1)).all()
    assert users.creation_time.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    assert users.creation_time.min() >= "2023-01-01" and users.creation_time.max() < "2024-07-01"
    inv = users.invited_by_user_id
    assert inv.str.fullmatch(r"(\d+\.0)?").all() and (inv != "").any()
    invited = users[inv != ""]
    assert invited.creation_source.isin(["ORG_INVITE", "GUEST_INVITE"]).all()
    assert (
        invited.invited_by_user_id.astype(float).astype(int) < invited.object_id.astype(int)
    ).all()
    assert set(users.creation_source) == {
        "ORG_INVITE",
        "GUEST_INVITE",
        "PERSONAL_PROJECTS",
        "SIGNUP",
        "SIGNUP_GOOGLE_AUTH",
    }
    assert (users.last_session_creation_time == "").mean() > 0.2
    assert users.email.str.contains("@gmail.com").any() and users.email.str.contains("[A-Z]").any()


def test_logins_file(logins, users):
    assert list(logins.columns) == ["time_stamp", "user_id", "visited"]
    assert (logins.visited == "1").all()
    full = logins.time_stamp.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
    bare = logins.time_stamp.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    assert (full | bare).all() and 0.01 < bare.mean() < 0.06
    assert logins.time_stamp.str[:10].max() <= "2024-06-30"
    dup = logins.duplicated()
    assert dup.sum() >= 1
    day_key = logins.user_id + "|" + logins.time_stamp.str[:10]
    assert not day_key[~dup].duplicated().any()  # one row per user and day, except exact dups
    signup = users.set_index("object_id").creation_time.str[:10]
    before = logins.time_stamp.str[:10] < logins.user_id.map(signup)
    assert 0 < before.mean() < 0.01  # the planted pre-signup quirk
    # last_session_creation_time = Unix seconds of the last (on/after-signup) login
    ok = logins[~before & full].copy()
    ok["unix"] = pd.to_datetime(ok.time_stamp).astype("int64") // 10**9
    last = ok.groupby("user_id").unix.max()
    u = users[users.last_session_creation_time != ""].set_index("object_id")
    common = u.index.intersection(last.index)
    recorded = u.loc[common].last_session_creation_time.astype(int)
    assert (recorded >= last.loc[common]).all()  # bare-date rows hide a few exact times
    assert (recorded == last.loc[common]).mean() > 0.9


def test_page_events_file(sample, pages):
    out, _ = sample
    first_line = (out / "page_events" / "page_events.csv").read_text().split("\n", 1)[0]
    assert first_line == ",ts,user_id,os,browser,plan,page"
    assert list(pages.columns) == ["Unnamed: 0", "ts", "user_id", "os", "browser", "plan", "page"]
    assert pages.ts.str.fullmatch(r"2024-0[1-6]-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}").all()
    ids = pages.user_id
    assert ids.str.fullmatch(r"[1-9]\d{38}").all()
    assert all(10**38 <= int(x) < 2**128 for x in ids.unique()[:50])
    # read through csv and through pandas-as-text: identical strings, never floats
    with open(out / "page_events" / "page_events.csv", newline="") as fh:
        raw_ids = [r[2] for r in list(csv.reader(fh))[1:]]
    assert raw_ids == ids.tolist()
    assert 0.02 < (pages.browser == "").mean() < 0.09
    assert 0.05 < (pages.plan == "").mean() < 0.16
    per_user = pages[pages.plan != ""].groupby("user_id").plan.nunique()
    assert (per_user == 1).all()  # plan constant per user when set
    assert pages.page.nunique() >= 10 and "reports_builder" in set(pages.page)
    assert pages.duplicated().sum() >= 1  # exact duplicate lines, index included


# ----------------------------------------------------------------------------- planted effects


def _adopted(logins: pd.DataFrame) -> set[str]:
    d = logins.assign(day=pd.to_datetime(logins.time_stamp.str[:10]))[["user_id", "day"]]
    d = d.drop_duplicates().sort_values(["user_id", "day"])
    d["third"] = d.groupby("user_id").day.shift(-2)
    return set(d[(d.third - d.day).dt.days <= 6].user_id)


def test_effect_invited_users_adopt_more(users, logins, sample):
    adopted = users.object_id.isin(_adopted(logins))
    invited = users.invited_by_user_id != ""
    p_inv, p_not = adopted[invited].mean(), adopted[~invited].mean()
    odds = (p_inv / (1 - p_inv)) / (p_not / (1 - p_not))
    assert p_inv > p_not and odds > 1.6
    assert 0.10 < adopted.mean() < 0.22
    by_source = adopted.groupby(users.creation_source).mean()
    assert by_source["PERSONAL_PROJECTS"] < by_source["SIGNUP_GOOGLE_AUTH"]
    truth = sample[1]["effects"]["adoption"]["realized"]
    assert truth["adopted"] == int(adopted.sum())  # GENERATOR.json truth matches the files


def test_effect_early_signal(users, logins):
    adopted = users.object_id.isin(_adopted(logins))
    signup = users.set_index("object_id").creation_time.str[:10]
    day = pd.to_datetime(logins.time_stamp.str[:10])
    since = (day - pd.to_datetime(logins.user_id.map(signup))).dt.days
    active = logins.assign(since=since).drop_duplicates(["user_id", "since"])
    first2 = active[active.since.between(0, 1)].groupby("user_id").size()
    n_first2 = users.object_id.map(first2).fillna(0)
    assert n_first2[adopted].mean() > 1.5 * n_first2[~adopted].mean()


def test_effect_eu_views_peak_on_thursday(share_views):
    views = pd.concat(
        [df[df["Activity Type"] == "VIEW"] for _, df, _ in share_views.values()], ignore_index=True
    )
    views["weekday"] = pd.to_datetime(views["Last Activity Date"], format="%d-%b-%Y").dt.dayofweek
    share = views.groupby("customer").weekday.value_counts(normalize=True).unstack(fill_value=0)
    assert share.loc["EU"].idxmax() == 3  # Thursday
    others = views[views.customer != "EU"].weekday.value_counts(normalize=True)
    assert share.loc["EU", 3] > others[3] + 0.07
    assert (others[[5, 6]] < 0.06).all()  # other customers: low weekends


def test_effect_industry_hours_devices_channels(share_views):
    frames = [df for _, df, _ in share_views.values()]
    df = pd.concat(frames, ignore_index=True)
    views = df[df["Activity Type"] == "VIEW"]
    hour = views["Last Activity Time"].str.split(":").str[0].astype(int)
    med = hour.groupby(views.customer).median()
    assert med["EU"] >= med["NB"] + 3  # education evenings vs banking business hours
    tablet = views["User OS"].str.contains("IPAD|TABLET").groupby(views.customer).mean()
    assert tablet["HL"] > 2 * tablet["NB"]
    windows = views["User OS"].str.startswith("WINDOWS").groupby(views.customer).mean()
    assert windows["NB"] > windows["EU"] + 0.2
    shares = df[df["Activity Type"] == "SHARE"].drop_duplicates()
    rate = (shares.Viewed == "1").groupby(shares["Share Channel"]).mean()
    assert rate["OUTLOOK"] > rate["WEB"] + 0.08


def test_effect_title_explains_time_spent(share_views):
    df = pd.concat([d for _, d, _ in share_views.values()], ignore_index=True)
    v = df[(df["Activity Type"] == "VIEW") & (df["Time Spent in Seconds"] != "")].copy()
    v["y"] = np.log(v["Time Spent in Seconds"].astype(float))
    v["title"] = v.customer + "|" + v["Title of Content"]
    rng = np.random.default_rng(0)
    train = rng.random(len(v)) < 0.5
    context = pd.get_dummies(v[["customer", "User OS", "Viewing App"]]).astype(float).to_numpy()
    context = np.c_[np.ones(len(v)), context]

    def r2(x: np.ndarray) -> float:
        beta = np.linalg.lstsq(x[train], v.y.to_numpy()[train], rcond=None)[0]
        resid = v.y.to_numpy()[~train] - x[~train] @ beta
        yt = v.y.to_numpy()[~train]
        return 1 - (resid**2).sum() / ((yt - yt.mean()) ** 2).sum()

    title_mean = v[train].groupby("title").y.mean()
    tm = v.title.map(title_mean).fillna(v.y[train].mean()).to_numpy()
    base, with_title = r2(context), r2(np.c_[context, tm])
    assert with_title > base + 0.25
    kind = v["Title of Content"].str.extract(r"\.(\w+)$")[0].fillna("url")
    med = v.groupby(kind).y.median()
    assert med["mp4"] > med["pdf"] > med["xlsx"]


def first_days_and_returns(pages) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Events (deduplicated, with each user's first day seen), the first day seen per
    user, and whether the user came back within 30 days of it."""
    p = pages.drop_duplicates().assign(day=pd.to_datetime(pages.ts.str[:10]))
    first = p.groupby("user_id").day.min().rename("first")
    p = p.join(first, on="user_id")
    later = p[(p.day > p["first"]) & (p.day <= p["first"] + pd.Timedelta(days=30))]
    return p, first, first.index.isin(later.user_id.unique())


BURN_IN_END = pd.Timestamp("2024-01-31")  # 30 days after the export's first day


def test_users_already_active_before_the_export_look_new_on_its_first_days(sample, pages):
    truth = sample[1]["effects"]["page_events"]
    already = truth["already_active"]["users"]
    assert already == round(600 * SCALE)
    _, first, returned = first_days_and_returns(pages)
    assert len(first) == truth["realized"]["users"] + already
    in_burn_in = (first < BURN_IN_END).to_numpy()
    # New users first seen in the first 30 days: about 8 % of them (exp(day / 120)
    # growth); the already active ones come on top, nearly all of them in those days.
    new_in_burn_in = in_burn_in.sum() - already
    assert 0 <= new_in_burn_in < 0.15 * truth["realized"]["users"]
    # and most of them "come back": far more often than the users first seen later
    assert returned[in_burn_in].mean() > returned[~in_burn_in].mean() + 0.2


def test_effect_reports_builder_first_day_return(pages):
    p, first, returned = first_days_and_returns(pages)
    # past the burn-in: a first day seen in the export's first 30 days may be an already
    # active user's
    eligible = ((first >= BURN_IN_END) & (first <= pd.Timestamp("2024-05-31"))).to_numpy()
    day1 = p[p.day == p["first"]]
    rb = first.index.isin(day1[day1.page == "reports_builder"].user_id.unique())
    hlp = first.index.isin(day1[day1.page == "help"].user_id.unique())
    r_rb, r_no = returned[eligible & rb].mean(), returned[eligible & ~rb].mean()
    assert r_rb > 0.55 and r_no < 0.45 and r_rb - r_no > 0.2
    assert returned[eligible & hlp].mean() < returned[eligible & ~hlp].mean()
    plan = p.groupby("user_id").plan.max().reindex(first.index)  # "" < monthly < yearly
    yearly, monthly = (plan == "yearly").to_numpy(), (plan == "monthly").to_numpy()
    assert returned[eligible & yearly].mean() > returned[eligible & monthly].mean()


# ----------------------------------------------------------------------------- parquet


def test_parquet_same_columns_and_content(tmp_path):
    csv_dir, pq_dir = tmp_path / "c", tmp_path / "p"
    generate(csv_dir, seed=3, scale=0.05, fmt="csv")
    s = generate(pq_dir, seed=3, scale=0.05, fmt="parquet")
    assert all(rel.endswith(".parquet") for rel in s["files"])
    for rel, n in s["files"].items():
        t = pq.read_table(pq_dir / rel)
        assert t.num_rows == n
        assert all(str(f.type) == "string" for f in t.schema)
        csv_rel = rel.replace(".parquet", ".csv")
        text, _ = _decode((csv_dir / csv_rel).read_bytes())
        rows = _csv_rows(text)
        header = rows[0]
        expected = [h if h else f"Unnamed: {i}" for i, h in enumerate(header)]
        assert t.column_names == expected, rel
        got = t.to_pandas().fillna("").astype(str).to_numpy().tolist()
        assert got == rows[1:], rel  # same values; cp1252/Latin-1 text becomes proper Unicode
    again = tmp_path / "p2"
    generate(again, seed=3, scale=0.05, fmt="parquet")
    assert _files(again) == _files(pq_dir)


def test_page_ids_concatenate_when_pyarrow_chunks_them():
    # pyarrow returns a ChunkedArray for a large NumPy array (the default benchmark size);
    # the generator joins such id arrays with pa.concat_arrays, which takes Arrays only.
    import pyarrow as pa

    from uptake.generator._pages import one_array

    chunked = pa.chunked_array([pa.array(["1", "2"]), pa.array(["3"])])
    with pytest.raises(TypeError):
        pa.concat_arrays([chunked, pa.array(["4"])])
    joined = pa.concat_arrays([one_array(chunked), one_array(pa.array(["4"]))])
    assert joined.to_pylist() == ["1", "2", "3", "4"]
