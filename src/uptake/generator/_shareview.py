"""share_view/: content shared by relationship managers (RMs) and viewed by their clients.

One file per customer. Every file carries its own export quirks (see ``CUSTOMERS``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._common import (
    DAY,
    WEEKDAYS,
    LandingWriter,
    blank_where,
    clock,
    day_of,
    dmy_date,
    expand,
    geometric0,
    int_text,
    normalise,
    sample_conditional,
    sample_p,
    sample_seconds_of_day,
    take,
    weekday,
    with_duplicates,
)

ACTIVITY_START = day_of("2023-01-01")
ACTIVITY_END = day_of("2023-12-31")
END_TS = (ACTIVITY_END + 1) * DAY - 1

BASE_COLUMNS = (
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
)

CHANNELS = ("WEB", "OUTLOOK", "IOS", "ANDROID")
CHANNEL_LOG_ODDS = (0.0, 0.7, 0.35, 0.15)  # view probability of a share, vs WEB
RM_SD = 0.7  # RM-level random effect on the view log-odds
EXTRA_SESSIONS_MEAN = 0.7  # viewed shares: 1 + Geometric(mean 0.7) viewing sessions
FAST_VIEW_P = (0.20, 0.40, 0.45, 0.40)  # by channel: view within minutes/hours of the share
FAST_LATENCY_MEDIAN_S = 900.0
FAST_LATENCY_SIGMA = 1.3
SLOW_DAYS_MEDIAN = 1.0  # other views: floor(lognormal) days later, snapped to a weekday
SLOW_DAYS_SIGMA = 1.1
SAME_DEVICE_P = 0.85  # a view uses the client's usual device

OS_NAMES = (
    "WINDOWS_7",
    "WINDOWS_10",
    "MAC_OS_X",
    "LINUX",
    "MAC_OS_X_IPHONE",
    "iOS8_1_IPHONE",
    "iOS10_3_IPHONE",
    "iOS10_3_IPAD",
    "ANDROID6_TABLET",
    "ANDROID7_PHONE",
)
DEVICE_CLASSES = ("desktop", "phone", "tablet")
OS_CLASS = (0, 0, 0, 0, 1, 1, 1, 2, 2, 1)
APPS = (
    "CHROME51",
    "CHROME58",
    "EDGE14",
    "IE11",
    "FIREFOX47",
    "SAFARI10",
    "APPLE_WEB_KIT",
    "OUTLOOK",
)
APP_VERSIONS = (
    "51.0.2704.103",
    "58.0.3029.110",
    "14.14393",
    "11.0.9600",
    "47.0.1",
    "10.1.1",
    "603.1.30",
    "16.0.4549",
)
APP_GIVEN_OS = (  # CHROME51 CHROME58 EDGE14 IE11 FIREFOX47 SAFARI10 APPLE_WEB_KIT OUTLOOK
    (0.35, 0.00, 0.00, 0.35, 0.15, 0.00, 0.00, 0.15),
    (0.00, 0.45, 0.25, 0.00, 0.10, 0.00, 0.00, 0.20),
    (0.00, 0.35, 0.00, 0.00, 0.10, 0.45, 0.00, 0.10),
    (0.00, 0.60, 0.00, 0.00, 0.40, 0.00, 0.00, 0.00),
    (0.00, 0.00, 0.00, 0.00, 0.00, 0.25, 0.60, 0.15),
    (0.00, 0.00, 0.00, 0.00, 0.00, 0.30, 0.70, 0.00),
    (0.00, 0.00, 0.00, 0.00, 0.00, 0.30, 0.50, 0.20),
    (0.00, 0.00, 0.00, 0.00, 0.00, 0.50, 0.35, 0.15),
    (0.70, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.30),
    (0.00, 0.70, 0.00, 0.00, 0.00, 0.00, 0.00, 0.30),
)
SENDER_OS_GIVEN_CHANNEL = np.zeros((4, len(OS_NAMES)))  # "User OS Share" of SHARE rows
SENDER_OS_GIVEN_CHANNEL[0, [1, 2]] = (0.6, 0.4)
SENDER_OS_GIVEN_CHANNEL[1, [0, 1]] = (0.3, 0.7)
SENDER_OS_GIVEN_CHANNEL[2, [6, 7]] = (0.6, 0.4)
SENDER_OS_GIVEN_CHANNEL[3, [8, 9]] = (0.2, 0.8)

KINDS = ("pdf", "pptx", "mp4", "docx", "xlsx", "url")
KIND_EXT = (".pdf", ".pptx", ".mp4", ".docx", ".xlsx", "")
KIND_MEDIAN_S = (150.0, 110.0, 240.0, 85.0, 35.0, 55.0)
TITLE_SD = 0.5  # per-title effect on log seconds
SESSION_SD = 0.6  # per-session noise on log seconds
DEVICE_LOG_EFFECT = (0.0, -0.25, 0.10)  # desktop, phone, tablet
MAX_SECONDS = 4 * 3600
VARIANTS = ("", " v2", " v3", " (1)", " - copy", " updated", " FINAL", " draft")

# Views the export has but no share explains, and sessions it never logged (the landing
# contract, docs/definitions.md: many real views link to no share). Per customer, as
# fractions of the logged views of shared content: views of a title the client was never
# sent, and views by viewers outside the sharing records (OUTSIDE_VIEWERS_FRAC of the
# clients' number of them).
UNLOGGED_SESSION_P = 0.10  # a viewing session of a share with no VIEW row (rolled up still)
DIRECT_VIEW_FRAC = 0.25
OUTSIDE_VIEW_FRAC = 0.15
OUTSIDE_VIEWERS_FRAC = 0.10
VIEW_TIME_MISSING = 0.01
VIEW_DEVICE_MISSING = 0.005
DUP_FRAC = 0.005
STRAY_FRAC = 0.004
STRAY_TEXT = ("see comments", "x", "#N/A", "dup?", "checked", "n/a", "follow up, pls")


def _profile(base: float, *peaks: tuple[float, float, float]) -> tuple[float, ...]:
    h = np.arange(24)
    w = np.full(24, base)
    for centre, width, height in peaks:
        d = np.minimum(np.abs(h - centre), 24 - np.abs(h - centre))
        w = w + height * np.exp(-0.5 * (d / width) ** 2)
    return tuple(round(float(x), 6) for x in normalise(w))


HOURS = {
    "banking": _profile(0.02, (10, 1.8, 1.0), (14.5, 1.8, 0.9)),
    "healthcare": _profile(0.05, (7.5, 1.3, 1.0), (12.5, 1.5, 0.6), (19.5, 2.0, 0.45)),
    "solar energy": _profile(0.02, (8.5, 1.5, 0.8), (15.5, 2.0, 1.0)),
    "legal services": _profile(0.03, (11, 2.2, 1.0), (18, 1.8, 0.7)),
    "semiconductors": _profile(0.04, (10, 2.2, 1.0), (15, 1.8, 0.8), (2.5, 1.8, 0.35)),
    "education": _profile(0.03, (20.5, 1.6, 1.0), (16, 1.4, 0.6), (10, 1.8, 0.35)),
}
BUSINESS_WEEK = (1.0, 1.03, 1.05, 1.0, 0.85, 0.15, 0.12)
CARE_WEEK = (1.0, 1.02, 1.04, 0.98, 0.95, 0.35, 0.30)
THURSDAY_WEEK = (0.75, 0.80, 0.85, 2.10, 0.70, 0.30, 0.38)


@dataclass(frozen=True)
class Customer:
    code: str
    name: str
    industry: str
    shares: int  # SHARE rows at scale 1
    titles: int  # titles at scale 1 (grows with sqrt(scale))
    share_week: tuple[float, ...]
    view_week: tuple[float, ...]
    os_mix: tuple[float, ...]
    channel_mix: tuple[float, ...]
    view_intercept: float
    kind_mix: tuple[float, ...]
    groups: tuple[str, ...]
    topics: tuple[str, ...]
    qualifiers: tuple[str, ...]
    url_prefix: str
    leading_space: bool = False
    extra: tuple[str, ...] = ()
    trailing: int = 0
    encoding: str = "utf-8"
    newline: str = "\n"


CUSTOMERS = (
    Customer(
        code="NB",
        name="Northbank Private",
        industry="banking",
        shares=6000,
        titles=110,
        share_week=BUSINESS_WEEK,
        view_week=BUSINESS_WEEK,
        os_mix=(0.30, 0.30, 0.09, 0.01, 0.07, 0.03, 0.08, 0.06, 0.01, 0.05),
        channel_mix=(0.30, 0.45, 0.15, 0.10),
        view_intercept=-0.2,
        kind_mix=(0.40, 0.20, 0.10, 0.10, 0.10, 0.10),
        groups=(
            "All Users ",
            "FA - NCR 2 ",
            "FA - NCR 1 ",
            "PB - West ",
            "PB - East",
            "Wealth Advisors ",
            "Team Lead",
        ),
        topics=(
            "Market Outlook",
            "Wealth Planning Guide",
            "Portfolio Review",
            "Fixed Income Update",
            "Estate Planning Checklist",
            "Tax Strategies",
            "Retirement Income",
            "Equity Insights",
            "Currency Watch",
            "Private Credit Primer",
            "ESG Investing",
            "Family Office Briefing",
            "Rates, Inflation and You",
            "Alternative Assets",
            "Trust Services Overview",
            "CIO Letter",
        ),
        qualifiers=(
            "Q1 2023",
            "Q2 2023",
            "Q3 2023",
            "Q4 2023",
            "2023",
            "Client Edition",
            "Summary",
            "Deep Dive",
            "Webinar",
            "One-Pager",
            "Highlights",
            "for Advisors",
        ),
        url_prefix="https://www.northbankprivate.com/insights/",
        leading_space=True,
        extra=("Viewing App Version",),
    ),
    Customer(
        code="HL",
        name="Helix Health",
        industry="healthcare",
        shares=3500,
        titles=80,
        share_week=CARE_WEEK,
        view_week=CARE_WEEK,
        os_mix=(0.12, 0.14, 0.05, 0.01, 0.06, 0.03, 0.09, 0.28, 0.13, 0.09),
        channel_mix=(0.35, 0.25, 0.25, 0.15),
        view_intercept=0.0,
        kind_mix=(0.35, 0.15, 0.20, 0.15, 0.05, 0.10),
        groups=("All Users ", "Oncology Reps ", "Cardio - North ", "Key Accounts", "MSL Team "),
        topics=(
            "Patient\u2019s Guide to Telehealth",
            "Formulary Update",
            "Clinical Trial Results",
            "Cardiology Pathway",
            "Oncology Care Plan",
            "Cost\u2013Benefit Analysis",
            "Na\u00efve Patient Onboarding",
            "Care Team Prot\u00e9g\u00e9 Program",
            "Dosing Reference",
            "Post-Op Recovery, Step by Step",
            "Diabetes Management",
            "Nurse Briefing",
            "Hospital R\u00e9sum\u00e9 of Services",
            "Reimbursement FAQ",
        ),
        qualifiers=(
            "2023",
            "Q1",
            "Q2",
            "Q3",
            "Q4",
            "\u2013 Summary",
            "for Clinicians",
            "Patient Edition",
            "Slides",
            "v1",
            "Training",
            "Overview",
        ),
        url_prefix="https://helixhealth.org/resources/",
        extra=("User OS Share",),
        trailing=1,
        encoding="cp1252",
    ),
    Customer(
        code="GS",
        name="Gridstone Solar",
        industry="solar energy",
        shares=2800,
        titles=70,
        share_week=BUSINESS_WEEK,
        view_week=BUSINESS_WEEK,
        os_mix=(0.15, 0.22, 0.08, 0.03, 0.07, 0.03, 0.10, 0.10, 0.06, 0.16),
        channel_mix=(0.40, 0.25, 0.15, 0.20),
        view_intercept=-0.4,
        kind_mix=(0.30, 0.20, 0.15, 0.10, 0.15, 0.10),
        groups=("All Users ", "Residential Sales ", "Commercial - TX ", "Installers", "Partners "),
        topics=(
            "Residential Solar Proposal",
            "Commercial PPA Overview",
            "Panel Spec Sheet",
            "Battery Storage Guide",
            "Net Metering Explained",
            "Installation Checklist",
            "Financing Options, Loans and Leases",
            "Warranty Terms",
            'The "Green" Home Guide',
            "ROI Calculator",
            "Site Survey Template",
            "Inverter Comparison",
            "Tax Credit Update",
            "Customer Case Study",
        ),
        qualifiers=(
            "Texas",
            "California",
            "Arizona",
            "2023",
            "Q2",
            "Q3",
            "Homeowners",
            "Installers",
            "Summary",
            "Full",
            "Spanish",
            "Draft",
        ),
        url_prefix="https://gridstonesolar.com/docs/",
        leading_space=True,
        trailing=2,
    ),
    Customer(
        code="LX",
        name="Lexicon Legal",
        industry="legal services",
        shares=3000,
        titles=90,
        share_week=BUSINESS_WEEK,
        view_week=BUSINESS_WEEK,
        os_mix=(0.25, 0.30, 0.14, 0.01, 0.07, 0.03, 0.08, 0.06, 0.01, 0.05),
        channel_mix=(0.25, 0.55, 0.12, 0.08),
        view_intercept=-0.1,
        kind_mix=(0.45, 0.05, 0.05, 0.35, 0.05, 0.05),
        groups=("All Users ", "Litigation ", "Corporate - M&A ", "IP Group", "Associates "),
        topics=(
            "Client\u2019s Guide to Probate",
            "Engagement Letter",
            "2023\u20132024 Regulatory Update",
            "Case Law R\u00e9sum\u00e9",
            "M&A Due Diligence Checklist",
            "Employment Law Briefing",
            "IP Licensing Primer",
            "Litigation Hold Notice",
            "Data Privacy, GDPR and CCPA",
            "Fee Schedule",
            "Contract Templates",
            "Arbitration Overview",
            "Estate Planning FAQ",
            "Partner\u2019s Memo",
        ),
        qualifiers=(
            "v1",
            "v2",
            "Final",
            "Redline",
            "Summary",
            "Client Copy",
            "Q1 2023",
            "Q3 2023",
            "Annotated",
            "\u00a7 1\u201312",
            "Signed",
            "Short Form",
        ),
        url_prefix="https://lexiconlegal.com/library/",
        leading_space=True,
        extra=("User OS Share", "Viewing App Version"),
        encoding="cp1252",
        newline="\r\n",
    ),
    Customer(
        code="AC",
        name="Arcway Chips",
        industry="semiconductors",
        shares=2700,
        titles=60,
        share_week=BUSINESS_WEEK,
        view_week=BUSINESS_WEEK,
        os_mix=(0.18, 0.30, 0.14, 0.12, 0.05, 0.02, 0.07, 0.04, 0.02, 0.06),
        channel_mix=(0.45, 0.35, 0.10, 0.10),
        view_intercept=-0.3,
        kind_mix=(0.35, 0.25, 0.10, 0.05, 0.20, 0.05),
        groups=("All Users ", "FAE - APAC ", "Design Wins ", "Distribution", "Sales - EMEA "),
        topics=(
            "Product Brief",
            "Datasheet",
            "Reference Design",
            "Roadmap Update",
            "Design Win Playbook",
            "Errata Sheet",
            "Application Note",
            "Thermal Guide",
            "Packaging Options",
            "Pricing Sheet",
            "Silicon Validation Report",
            "Competitive Analysis",
            "Power Budget Model",
            "Customer Webinar",
        ),
        qualifiers=(
            "AX7",
            "AX9",
            "RX200",
            "N5",
            "N3",
            "Rev A",
            "Rev B",
            "Rev C",
            "2023",
            "Q4",
            "EMEA",
            "APAC",
        ),
        url_prefix="https://arcwaychips.com/support/",
    ),
    Customer(
        code="EU",
        name="Eduvia",
        industry="education",
        shares=4500,
        titles=100,
        share_week=BUSINESS_WEEK,
        view_week=THURSDAY_WEEK,
        os_mix=(0.08, 0.15, 0.16, 0.02, 0.12, 0.05, 0.15, 0.09, 0.04, 0.14),
        channel_mix=(0.45, 0.15, 0.22, 0.18),
        view_intercept=0.1,
        kind_mix=(0.25, 0.20, 0.30, 0.10, 0.05, 0.10),
        groups=("All Users ", "K-12 Advisors ", "Higher Ed ", "Admissions", "Tutors - Online "),
        topics=(
            "Course Catalog",
            "Student Success Guide",
            "Financial Aid Explained",
            "Online Learning Tips",
            "Campus Tour",
            "\u00c9l\u00e8ve Progress Report",
            "Scholarship Overview",
            "Exam Prep Kit",
            "Teacher Resource Pack",
            "Career Pathways",
            "Caf\u00e9 Learning Series",
            "Enrollment Checklist",
            "Parent Handbook",
            "STEM Workshop",
        ),
        qualifiers=(
            "Fall 2023",
            "Spring 2023",
            "Summer 2023",
            "Grades 6\u20138",
            "K-12",
            "Higher Ed",
            "Week 1",
            "Week 2",
            "Module 3",
            "Intro",
            "Recap",
            "Lecture",
        ),
        url_prefix="https://eduvia.edu/learn/",
        leading_space=True,
        trailing=1,
    ),
)


@dataclass
class ShareViewFile:
    customer: Customer
    titles: pa.Array
    groups: pa.Array
    cols: dict[str, np.ndarray]  # per-row arrays in file order before duplicates
    rows: np.ndarray
    truth: dict


def _titles(rng: np.random.Generator, c: Customer, scale: float):
    nq, nv = len(c.qualifiers), len(VARIANTS)
    space = len(c.topics) * nq * nv
    n = min(space, max(12, round(c.titles * math.sqrt(scale))))
    pick = rng.choice(space, size=n, replace=False)
    t_i, rest = np.divmod(pick, nq * nv)
    q_i, v_i = np.divmod(rest, nv)
    kind = sample_p(rng, c.kind_mix, n)
    kind[: len(KINDS)] = np.arange(len(KINDS))  # every kind present in every file
    topic = np.asarray(c.topics, dtype=object)[t_i]
    base = topic + " " + np.asarray(c.qualifiers, dtype=object)[q_i]
    base = base + np.asarray(VARIANTS, dtype=object)[v_i]
    slug = pc.utf8_trim(
        pc.replace_substring_regex(pc.utf8_lower(pa.array(base, pa.string())), "[^a-z0-9]+", "-"),
        "-",
    )
    url = pc.binary_join_element_wise(c.url_prefix, slug, "")
    named = pa.array(base + np.asarray(KIND_EXT, dtype=object)[kind], pa.string())
    title = pc.if_else(pa.array(kind == KINDS.index("url")), url, named)
    _, first = np.unique(np.asarray(title.to_numpy(zero_copy_only=False)), return_index=True)
    keep = np.sort(first)  # drop the rare slug collisions
    title, kind = pc.take(title, pa.array(keep)), kind[keep]
    n = len(keep)
    mu = np.log(np.asarray(KIND_MEDIAN_S))[kind] + TITLE_SD * rng.standard_normal(n)
    popularity = 1.0 / (1.0 + rng.permutation(n)) ** 0.9
    if c.encoding != "utf-8":  # fail early if a title cannot be written in the file encoding
        "\n".join(title.to_pylist()).encode(c.encoding)
    return title, kind, mu, popularity


def generate_customer(rng: np.random.Generator, c: Customer, scale: float) -> ShareViewFile:
    n_sh = max(30, round(c.shares * scale))
    n_rm = max(4, round(n_sh / 60))
    n_cl = max(12, round(n_sh / 4))
    titles, kind, mu, popularity = _titles(rng, c, scale)

    # RMs: id, share volume, view-through effect, user groups.
    rm_id = 100_000 + rng.choice(900_000, size=n_rm, replace=False)
    rm_w = np.exp(rng.standard_normal(n_rm))
    rm_eff = RM_SD * rng.standard_normal(n_rm)
    n_groups = len(c.groups) - 1
    g1 = 1 + rng.integers(0, n_groups, n_rm)
    g2 = 1 + (g1 - 1 + 1 + rng.integers(0, max(1, n_groups - 1), n_rm)) % n_groups
    how_many = sample_p(rng, (0.25, 0.5, 0.25), n_rm)
    grp = np.asarray(c.groups, dtype=object)
    rm_groups = np.where(how_many >= 1, grp[0] + "," + grp[g1], grp[0])
    rm_groups = np.where(how_many >= 2, rm_groups + "," + grp[g2], rm_groups)
    groups = pa.array(list(rm_groups) + [""], pa.string())  # index n_rm → empty (VIEW rows)

    # Clients: id, their RM, their usual device.
    cl_id = 1_000_000 + rng.choice(9_000_000, size=n_cl, replace=False)
    cl_rm = np.concatenate([np.arange(n_rm), sample_p(rng, np.sqrt(rm_w), n_cl - n_rm)])
    cl_os = sample_p(rng, c.os_mix, n_cl)
    cl_app = sample_conditional(rng, cl_os, np.asarray(APP_GIVEN_OS))
    by_rm = np.argsort(cl_rm, kind="stable")
    rm_count = np.bincount(cl_rm, minlength=n_rm)
    rm_first = np.cumsum(rm_count) - rm_count

    # Shares.
    rm = sample_p(rng, rm_w, n_sh)
    client = by_rm[rm_first[rm] + np.floor(rng.random(n_sh) * rm_count[rm]).astype(np.int64)]
    title = sample_p(rng, popularity, n_sh)
    channel = sample_p(rng, c.channel_mix, n_sh)
    days = np.arange(ACTIVITY_START, ACTIVITY_END + 1)
    season = 1.0 + 0.15 * np.cos(2 * np.pi * (days - 45) / 365.0)  # busier in Q1/Q4
    s_day = days[sample_p(rng, np.asarray(c.share_week)[weekday(days)] * season, n_sh)]
    s_ts = s_day * DAY + sample_seconds_of_day(rng, HOURS[c.industry], n_sh)

    # Which shares get viewed, and their viewing sessions.
    eta = c.view_intercept + np.asarray(CHANNEL_LOG_ODDS)[channel] + rm_eff[rm]
    viewed_latent = rng.random(n_sh) < 1.0 / (1.0 + np.exp(-eta))
    n_sess = np.where(viewed_latent, 1 + geometric0(rng, EXTRA_SESSIONS_MEAN, n_sh), 0)
    sh, _ = expand(n_sess)
    m = len(sh)
    fast_lat = np.maximum(
        5, np.exp(math.log(FAST_LATENCY_MEDIAN_S) + FAST_LATENCY_SIGMA * rng.standard_normal(m))
    ).astype(np.int64)
    fast = rng.random(m) < np.asarray(FAST_VIEW_P)[channel[sh]]
    k = np.floor(
        np.exp(math.log(SLOW_DAYS_MEDIAN) + SLOW_DAYS_SIGMA * rng.standard_normal(m))
    ).astype(np.int64)
    target_wd = sample_p(rng, c.view_week, m)
    v_day = s_day[sh] + k
    v_day = v_day + (target_wd - weekday(v_day)) % 7
    slow_ts = v_day * DAY + sample_seconds_of_day(rng, HOURS[c.industry], m)
    v_ts = np.where(fast | (slow_ts <= s_ts[sh]), s_ts[sh] + fast_lat, slow_ts)
    same = rng.random(m) < SAME_DEVICE_P
    v_os = np.where(same, cl_os[client[sh]], sample_p(rng, c.os_mix, m))
    v_app = np.where(
        same, cl_app[client[sh]], sample_conditional(rng, v_os, np.asarray(APP_GIVEN_OS))
    )
    log_s = (
        mu[title[sh]]
        + np.asarray(DEVICE_LOG_EFFECT)[np.asarray(OS_CLASS)[v_os]]
        + SESSION_SD * rng.standard_normal(m)
    )
    secs = np.clip(np.rint(np.exp(log_s)), 1, MAX_SECONDS).astype(np.int64)
    keep = v_ts <= END_TS  # views after the export period are not in the file
    sh, v_ts, v_os, v_app, secs = sh[keep], v_ts[keep], v_os[keep], v_app[keep], secs[keep]

    # Roll-ups on the SHARE rows: every session, logged or not.
    viewed = np.bincount(sh, minlength=n_sh) > 0
    total = np.bincount(sh, weights=secs, minlength=n_sh).astype(np.int64)
    last_ts = s_ts.copy()
    np.maximum.at(last_ts, sh, v_ts)

    # VIEW rows: the logged sessions of shares, then views no share explains.
    logged = rng.random(len(sh)) >= UNLOGGED_SESSION_P
    sh, v_ts, v_os, v_app, secs = (
        sh[logged],
        v_ts[logged],
        v_os[logged],
        v_app[logged],
        secs[logged],
    )
    n_logged = len(sh)
    unlinked = _unlinked_views(
        rng,
        c,
        n_logged,
        client=client,
        title=title,
        cl_id=cl_id,
        cl_os=cl_os,
        cl_app=cl_app,
        popularity=popularity,
        mu=mu,
    )
    v_user = np.r_[cl_id[client[sh]], unlinked["user"]]
    v_title = np.r_[title[sh], unlinked["title"]]
    v_ts = np.r_[v_ts, unlinked["ts"]]
    v_os = np.r_[v_os, unlinked["os"]]
    v_app = np.r_[v_app, unlinked["app"]]
    secs = np.r_[secs, unlinked["secs"]]
    n_v = len(v_ts)

    # Rows: shares then views, ordered by the time of the row's own activity. A VIEW row
    # carries no share fields (share_of -1): the export says nothing of its share.
    is_view = np.r_[np.zeros(n_sh, bool), np.ones(n_v, bool)]
    share_of = np.r_[np.arange(n_sh), np.full(n_v, -1)]
    row_user = np.r_[cl_id[client], v_user]
    row_title = np.r_[title, v_title]
    act_ts = np.r_[s_ts, v_ts]
    order = np.lexsort((is_view, act_ts))
    is_view, share_of, act_ts = is_view[order], share_of[order], act_ts[order]
    row_user, row_title = row_user[order], row_title[order]
    of = np.maximum(share_of, 0)  # a safe index; view rows' share values are masked
    vi = np.r_[np.full(n_sh, -1), np.arange(n_v)][order]  # index into view arrays
    n_rows = len(order)
    v_missing_time = rng.random(n_rows) < VIEW_TIME_MISSING
    v_missing_dev = rng.random(n_rows) < VIEW_DEVICE_MISSING
    row_os = np.where(is_view, v_os[np.maximum(vi, 0)] if n_v else -1, -1)
    row_app = np.where(is_view, v_app[np.maximum(vi, 0)] if n_v else -1, -1)
    row_os = np.where(is_view & v_missing_dev, -1, row_os)
    row_app = np.where(is_view & v_missing_dev, -1, row_app)
    row_secs = np.where(is_view, secs[np.maximum(vi, 0)] if n_v else -1, total[of])
    row_secs = np.where(is_view & v_missing_time, -1, row_secs)
    last = np.where(is_view, act_ts, last_ts[of])
    sender_os = sample_conditional(rng, channel[of], SENDER_OS_GIVEN_CHANNEL)
    stray_p = STRAY_FRAC * (np.arange(c.trailing) + 1.0) ** -1.5
    stray = [
        np.where(rng.random(n_rows) < p, rng.integers(0, len(STRAY_TEXT), n_rows), -1)
        for p in stray_p
    ]
    for s_ in stray:  # at least two rows with stray text in files that have these columns
        if (s_ >= 0).sum() < 2:
            s_[rng.choice(n_rows, 2, replace=False)] = 0
    cols = {
        "act": is_view.astype(np.int64),
        "user": row_user,
        "rm": np.where(is_view, -1, rm_id[rm[of]]),
        "os": row_os,
        "os_share": np.where(is_view, -1, sender_os),
        "app": row_app,
        "groups": np.where(is_view, n_rm, rm[of]),
        "s_day": np.where(is_view, -1, s_ts[of] // DAY),
        "s_sod": np.where(is_view, -1, s_ts[of] % DAY),
        "title": row_title,
        "channel": np.where(is_view, -1, channel[of]),
        "viewed": np.where(is_view, 1, viewed[of].astype(np.int64)),
        "secs": row_secs,
        "l_day": last // DAY,
        "l_sod": last % DAY,
        **{f"stray{i}": s_ for i, s_ in enumerate(stray)},
    }
    rows, n_dups = with_duplicates(rng, n_rows, DUP_FRAC)
    truth = _truth(
        c,
        n_sh=n_sh,
        n_v=n_v,
        n_rows=len(rows),
        n_dups=n_dups,
        stray=stray,
        channel=channel,
        viewed=viewed,
        v_ts=v_ts,
        v_os=v_os,
        secs=secs,
        v_title=v_title,
        view_origins={
            "share": n_logged,
            "title_never_sent": unlinked["direct_views"],
            "outside_viewer": unlinked["outside_views"],
        },
        viewed_with_logged_view=int((np.bincount(sh, minlength=n_sh) > 0).sum()),
        outside_viewers=unlinked["outside_viewers"],
        kind=kind,
        titles=titles,
        mu=mu,
        rm_id=rm_id,
        rm_eff=rm_eff,
        n_cl=n_cl,
    )
    return ShareViewFile(c, titles, groups, cols, rows, truth)


def _unlinked_views(rng: np.random.Generator, c: Customer, n_logged: int, **k: np.ndarray) -> dict:
    """VIEW rows that no share explains: clients viewing a title they were never sent,
    and viewers outside the sharing records. Their times, devices and time spent follow
    the same customer profiles as the views of shares (weekday, hour, device, title)."""
    client, title, cl_id = k["client"], k["title"], k["cl_id"]
    n_cl, n_titles = len(cl_id), len(k["mu"])
    # Clients viewing titles they were never sent (pairs ever shared are dropped).
    n_direct = round(DIRECT_VIEW_FRAC * n_logged)
    d_client = rng.integers(0, n_cl, n_direct)
    d_title = sample_p(rng, k["popularity"], n_direct)
    never_sent = ~np.isin(d_client * n_titles + d_title, client * n_titles + title)
    d_client, d_title = d_client[never_sent], d_title[never_sent]
    # Viewers outside the sharing records: ids no client has.
    n_out = max(3, round(OUTSIDE_VIEWERS_FRAC * n_cl))
    candidates = 1_000_000 + rng.choice(9_000_000, size=n_cl + n_out, replace=False)
    out_id = candidates[~np.isin(candidates, cl_id)][:n_out]
    n_outside = round(OUTSIDE_VIEW_FRAC * n_logged)
    o_viewer = rng.integers(0, n_out, n_outside)
    o_title = sample_p(rng, k["popularity"], n_outside)
    o_os = sample_p(rng, c.os_mix, n_out)
    o_app = sample_conditional(rng, o_os, np.asarray(APP_GIVEN_OS))

    user = np.r_[cl_id[d_client], out_id[o_viewer]]
    view_title = np.r_[d_title, o_title]
    usual_os = np.r_[k["cl_os"][d_client], o_os[o_viewer]]
    usual_app = np.r_[k["cl_app"][d_client], o_app[o_viewer]]
    m = len(user)
    day = rng.integers(ACTIVITY_START, ACTIVITY_END + 1, m)
    day = day + (sample_p(rng, c.view_week, m) - weekday(day)) % 7
    ts = day * DAY + sample_seconds_of_day(rng, HOURS[c.industry], m)
    same = rng.random(m) < SAME_DEVICE_P
    os_ = np.where(same, usual_os, sample_p(rng, c.os_mix, m))
    app = np.where(same, usual_app, sample_conditional(rng, os_, np.asarray(APP_GIVEN_OS)))
    log_s = (
        k["mu"][view_title]
        + np.asarray(DEVICE_LOG_EFFECT)[np.asarray(OS_CLASS)[os_]]
        + SESSION_SD * rng.standard_normal(m)
    )
    secs = np.clip(np.rint(np.exp(log_s)), 1, MAX_SECONDS).astype(np.int64)
    keep = ts <= END_TS
    n_direct_kept = int(keep[: len(d_client)].sum())
    return {
        "user": user[keep],
        "title": view_title[keep],
        "ts": ts[keep],
        "os": os_[keep],
        "app": app[keep],
        "secs": secs[keep],
        "direct_views": n_direct_kept,
        "outside_views": int(keep.sum()) - n_direct_kept,
        "outside_viewers": len(np.unique(o_viewer[keep[len(d_client) :]])),
    }


def _r2(y: np.ndarray, g: np.ndarray) -> float:
    """R² of predicting y by its group mean (in sample)."""
    if len(y) < 2:
        return 0.0
    cnt = np.bincount(g)
    means = np.bincount(g, weights=y) / np.maximum(cnt, 1)
    sst = ((y - y.mean()) ** 2).sum()
    return round(float(1.0 - ((y - means[g]) ** 2).sum() / sst), 4)


def _truth(c: Customer, **k) -> dict:
    channel, viewed, v_ts, v_os = k["channel"], k["viewed"], k["v_ts"], k["v_os"]
    wd = np.bincount(weekday(v_ts // DAY), minlength=7) / max(1, len(v_ts))
    hours = (v_ts % DAY) // 3600
    cls = np.asarray(OS_CLASS)[v_os]
    y = np.log(k["secs"])
    return {
        "code": c.code,
        "name": c.name,
        "industry": c.industry,
        "quirks": {
            "encoding": c.encoding,
            "line_ending": "CRLF" if c.newline == "\r\n" else "LF",
            "header_leading_space": c.leading_space,
            "extra_columns": list(c.extra),
            "trailing_unnamed_columns": c.trailing,
            "stray_text_rows": [int((s >= 0).sum()) for s in k["stray"]],
            "duplicate_rows": k["n_dups"],
        },
        "rows": k["n_rows"],
        "share_rows": k["n_sh"],
        "view_rows": k["n_v"],
        "view_rows_by_origin": k["view_origins"],
        "viewed_shares": int(viewed.sum()),
        "viewed_shares_with_a_logged_view": k["viewed_with_logged_view"],
        "outside_viewers": k["outside_viewers"],
        "rms": len(k["rm_id"]),
        "clients": k["n_cl"],
        "titles": len(k["kind"]),
        "params": {
            "view_intercept": c.view_intercept,
            "channel_mix": dict(zip(CHANNELS, c.channel_mix, strict=True)),
            "share_weekday_weights": dict(zip(WEEKDAYS, c.share_week, strict=True)),
            "view_weekday_weights": dict(zip(WEEKDAYS, c.view_week, strict=True)),
            "hour_profile": list(HOURS[c.industry]),
            "os_mix": dict(zip(OS_NAMES, c.os_mix, strict=True)),
            "kind_mix": dict(zip(KINDS, c.kind_mix, strict=True)),
        },
        "realized": {
            "view_rate": round(float(viewed.mean()), 4),
            "view_rate_by_channel": {
                ch: round(float(viewed[channel == i].mean()), 4) if (channel == i).any() else None
                for i, ch in enumerate(CHANNELS)
            },
            "view_weekday_share": {
                d: round(float(x), 4) for d, x in zip(WEEKDAYS, wd, strict=True)
            },
            "peak_view_weekday": WEEKDAYS[int(np.argmax(wd))],
            "median_view_hour": float(np.median(hours)) if len(hours) else None,
            "view_device_class_share": {
                d: round(float((cls == i).mean()), 4) for i, d in enumerate(DEVICE_CLASSES)
            },
            "windows_share_of_views": round(float(np.isin(v_os, (0, 1)).mean()), 4),
            "r2_log_seconds_by_kind": _r2(y, k["kind"][k["v_title"]]),
            "r2_log_seconds_by_title": _r2(y, k["v_title"]),
        },
        "rm_view_log_odds": {
            str(r): round(float(e), 4) for r, e in zip(k["rm_id"], k["rm_eff"], strict=True)
        },
        "title_median_seconds": {
            t: {"kind": KINDS[kd], "median_seconds": round(float(math.exp(m)), 1)}
            for t, kd, m in zip(k["titles"].to_pylist(), k["kind"], k["mu"], strict=True)
        },
    }


def header(c: Customer) -> tuple[list[str], str, list[str]]:
    """Column names (contract names, extra columns inserted), header line and Parquet names."""
    names = list(BASE_COLUMNS)
    if "User OS Share" in c.extra:
        names.insert(names.index("User OS") + 1, "User OS Share")
    if "Viewing App Version" in c.extra:
        names.insert(names.index("Viewing App") + 1, "Viewing App Version")
    line = (", " if c.leading_space else ",").join(names) + "," * c.trailing
    shown = [names[0]] + [(" " + n if c.leading_space else n) for n in names[1:]]
    pq_names = shown + [f"Unnamed: {len(names) + i}" for i in range(c.trailing)]
    return names, line, pq_names


def write_customer(f: ShareViewFile, writer: LandingWriter) -> None:
    c = f.customer
    names, line, pq_names = header(c)
    os_t = pa.array(list(OS_NAMES) + [""])
    app_t = pa.array(list(APPS) + [""])
    ver_t = pa.array(list(APP_VERSIONS) + [""])
    stray_t = pa.array(list(STRAY_TEXT) + [""])
    col = f.cols

    def idx(a: np.ndarray, empty: int) -> np.ndarray:
        return np.where(a < 0, empty, a)

    def chunk(a: int, b: int) -> list[pa.Array]:
        r = f.rows[a:b]
        g = {k: v[r] for k, v in col.items()}
        secs = g["secs"]
        out = {
            "Activity Type": take(["SHARE", "VIEW"], g["act"]),
            "User ID": int_text(g["user"]),
            "RM ID": blank_where(int_text(np.maximum(g["rm"], 0)), g["rm"] < 0),
            "User OS": take(os_t, idx(g["os"], len(OS_NAMES))),
            "User OS Share": take(os_t, idx(g["os_share"], len(OS_NAMES))),
            "Viewing App": take(app_t, idx(g["app"], len(APPS))),
            "Viewing App Version": take(ver_t, idx(g["app"], len(APPS))),
            "User Groups": take(f.groups, g["groups"]),
            "Shared Date": blank_where(
                dmy_date(np.maximum(g["s_day"], ACTIVITY_START)), g["s_day"] < 0
            ),
            "Shared Time": blank_where(
                clock(np.maximum(g["s_sod"], 0), pad_hour=False), g["s_sod"] < 0
            ),
            "Title of Content": take(f.titles, g["title"]),
            "Share Channel": take(list(CHANNELS) + [""], idx(g["channel"], len(CHANNELS))),
            "Viewed": int_text(g["viewed"]),
            "Time Spent in Seconds": blank_where(int_text(np.maximum(secs, 0)), secs < 0),
            "Last Activity Date": dmy_date(g["l_day"]),
            "Last Activity Time": clock(g["l_sod"], pad_hour=False),
        }
        cols = [out[n] for n in names]
        cols += [take(stray_t, idx(g[f"stray{i}"], len(STRAY_TEXT))) for i in range(c.trailing)]
        return cols

    quote = [
        "always" if n == "User Groups" else "auto" if n == "Title of Content" else "never"
        for n in names
    ] + ["auto"] * c.trailing
    writer.write(
        "share_view",
        c.code,
        header_line=line,
        parquet_names=pq_names,
        quote=quote,
        n_rows=len(f.rows),
        chunk_fn=chunk,
        encoding=c.encoding,
        newline=c.newline,
        split=False,
    )


def shared_truth() -> dict:
    return {
        "activity_date_range": ["2023-01-01", "2023-12-31"],
        "view_row_share_fields": "empty: a VIEW row has no RM ID, Shared Date/Time or "
        "Share Channel, as in the real exports",
        "view_links": {
            "unlogged_session_prob": UNLOGGED_SESSION_P,
            "views_of_titles_never_sent_per_logged_share_view": DIRECT_VIEW_FRAC,
            "outside_viewer_views_per_logged_share_view": OUTSIDE_VIEW_FRAC,
            "outside_viewers_per_client": OUTSIDE_VIEWERS_FRAC,
        },
        "view_probability": {
            "model": "logistic per share",
            "channel_log_odds_vs_web": dict(zip(CHANNELS, CHANNEL_LOG_ODDS, strict=True)),
            "rm_random_effect_sd": RM_SD,
            "customer_intercepts": {c.code: c.view_intercept for c in CUSTOMERS},
        },
        "sessions_per_viewed_share": f"1 + Geometric(mean {EXTRA_SESSIONS_MEAN})",
        "latency": {
            "fast_view_prob_by_channel": dict(zip(CHANNELS, FAST_VIEW_P, strict=True)),
            "fast_latency_lognormal_median_seconds": FAST_LATENCY_MEDIAN_S,
            "fast_latency_lognormal_sigma": FAST_LATENCY_SIGMA,
            "slow_days_lognormal_median": SLOW_DAYS_MEDIAN,
            "slow_days_lognormal_sigma": SLOW_DAYS_SIGMA,
            "slow_views_weekday": "moved forward to a weekday drawn from the customer's "
            "view_weekday_weights (this plants EU's Thursday peak)",
        },
        "time_spent": {
            "model": "log(seconds) = log(kind median) + title effect + device effect + noise",
            "kind_median_seconds": dict(zip(KINDS, KIND_MEDIAN_S, strict=True)),
            "title_effect_sd": TITLE_SD,
            "session_noise_sd": SESSION_SD,
            "device_log_effect": dict(zip(DEVICE_CLASSES, DEVICE_LOG_EFFECT, strict=True)),
            "clip_seconds": [1, MAX_SECONDS],
        },
        "thursday_peak_customer": "EU",
        "missing": {
            "view_time_spent_empty": VIEW_TIME_MISSING,
            "view_os_and_app_empty": VIEW_DEVICE_MISSING,
        },
        "duplicate_row_frac": DUP_FRAC,
    }
