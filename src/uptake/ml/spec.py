"""What a model learns from (:class:`Spec`), the settings it is fitted with
(:class:`Settings`), what a fit stores (:class:`FittedModel`), and the specs of the
adoption and return models (the share/view spec is in :mod:`uptake.share_models`).

:func:`prepare` turns a feature table into the frame every pipeline reads: each column
typed by its role in the spec.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import pandas as pd
from sklearn.pipeline import Pipeline

import uptake

LOGISTIC = "l1_logistic_regression"
BOOSTED = "gradient_boosted_trees"
FAMILIES = (LOGISTIC, BOOSTED)  # fitted on every fit, in this order
FITTED = "fitted"  # the status of a model that was fitted
SCORING_MODEL = LOGISTIC  # per-user factors are exact for a linear model


@dataclass(frozen=True)
class Spec:
    """What a model learns from: the feature table's columns and their roles."""

    name: str
    key: tuple[str, ...]
    label: str
    time_column: str
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    binary: tuple[str, ...] = ()
    baseline: str | None = None  # a column whose value alone is the baseline score
    # a column that breaks the baseline's ties (e.g. a signup attribute where activity is
    # still all 0): the baseline ranks by baseline first, then by this
    baseline_tiebreak: str | None = None
    group: str | None = None  # fit one model per value of this column (e.g. cut-off)
    known: str | None = None  # rows whose outcome is already known (not fitted, not scored)
    # rows whose outcome the data cannot observe yet (e.g. a window still open): with it,
    # the metrics split the unlabelled rows into open_rows and unknown_label_rows (closed,
    # yet the data cannot say the outcome; left out of training rather than guessed)
    censored: str | None = None
    # an unlabelled row whose outcome the data already shows (e.g. adopted after the
    # cut-off, before the end of the data): decided, so never scored
    decided: str | None = None
    # when a row's label is settled (its horizon ends): a row trains only when this is
    # before the test period starts (an embargo of one horizon), see
    # :func:`uptake.ml.split.split_group`
    horizon_end: str | None = None
    # SQL types of the key columns in the scored table (not part of the model version)
    key_types: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def features(self) -> list[str]:
        return [*self.categorical, *self.numeric, *self.binary]

    @property
    def columns(self) -> list[str]:
        """Every feature-table column a fit reads (key, group, label, times, flags,
        baseline, features), each once: what a fit's worker process receives."""
        named = [
            *self.key,
            self.group,
            self.label,
            self.time_column,
            self.horizon_end,
            self.known,
            self.censored,
            self.decided,
            self.baseline,
            self.baseline_tiebreak,
            *self.features,
        ]
        return list(dict.fromkeys(c for c in named if c))


@dataclass(frozen=True)
class Settings:
    """How a model is fitted and evaluated. No defaults here: every value comes from a dbt
    var (dbt_project.yml, via the model's config meta: :mod:`uptake.dbt_runtime`), and a
    test states the values it fits with."""

    seed: int
    test_fraction: float  # the share of the latest labelled rows that test
    bootstrap_samples: int
    max_train_rows: int  # a seeded sample of this many rows beyond it fits
    cv_folds: int
    max_importance_rows: int  # test rows that permutation importances re-predict
    max_bootstrap_rows: int
    max_eval_rows: int  # test rows behind the AUC intervals (and per transfer test group)
    auc_bootstrap_samples: int  # paired bootstrap resamples behind the AUC intervals
    fence_quantiles: tuple[float, float]  # the on-the-fence band of the test probabilities


@dataclass
class FittedModel:
    """One family fitted for one group (or not, saying why in ``metrics['status']``):
    what a *_fit table stores (with skops: :mod:`uptake.ml.storage`), and what the
    metrics, calibration, explanation and score tables read back."""

    model_name: str
    model_version: str
    group_value: object
    pipeline: Pipeline | None
    metrics: dict
    explanations: list[dict] = field(default_factory=list)
    # the reliability table: one dict per bin of test rows (see tables.calibration_frame)
    calibration: list[dict] = field(default_factory=list)
    # what it learnt from: the tables that read the fit need no spec of their own
    spec: Spec | None = None


def model_version(spec: Spec, settings: Settings) -> str:
    """Changes when the package, the features or the settings change."""
    described = {k: v for k, v in asdict(spec).items() if k != "key_types"}
    payload = json.dumps([uptake.__version__, described, asdict(settings)], sort_keys=True)
    return f"{uptake.__version__}+{hashlib.sha1(payload.encode()).hexdigest()[:8]}"


def spec_of(fitted: list[FittedModel]) -> Spec:
    """The spec the models were fitted with (one fit: one spec)."""
    specs = {model.spec for model in fitted}
    if None in specs:
        raise ValueError(
            "a stored fit has no spec (it was stored by an earlier version of the package): "
            "rebuild its *_fit model with --full-refresh"
        )
    if len(specs) != 1:
        raise ValueError(f"expected the models of one fit, got {len(specs)} specs")
    return specs.pop()


def prepare(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """The spec's feature columns as the pipelines read them: categoricals as text
    ("missing" for null), numerics as floats (null stays null, for the imputer), binaries
    as 0.0/1.0 (null is false)."""
    x = frame[spec.features].copy()
    for column in spec.categorical:
        x[column] = x[column].astype("object").where(x[column].notna(), "missing").astype(str)
    for column in spec.numeric:
        x[column] = pd.to_numeric(x[column], errors="coerce").astype(float)
    for column in spec.binary:
        x[column] = x[column].fillna(False).astype(float)
    return x


def labels(frame: pd.DataFrame, spec: Spec):
    """The label column of labelled rows as 0/1 integers."""
    return frame[spec.label].astype(int).to_numpy()


ADOPTION = Spec(
    name="adoption",
    key=("user_id", "cutoff_days"),
    label="adopts_within_horizon",
    time_column="signup_date",
    categorical=("creation_source", "email_domain_group"),
    numeric=(
        "org_members_before_cutoff",
        "org_adoption_rate_before_cutoff",
        "active_days_before_cutoff",
        "active_days_in_last_window",
        "logins_before_cutoff",
        "days_since_last_active",
        "signup_hour",
        "signup_weekday",
    ),
    binary=(
        "is_invited",
        "is_inviter_adopted",
        "is_opted_in_to_mailing_list",
        "is_enabled_for_marketing_drip",
    ),
    baseline="active_days_before_cutoff",
    baseline_tiebreak="is_invited",
    group="cutoff_days",
    known="is_adopted_before_cutoff",
    decided="is_adopted_so_far",
    horizon_end="horizon_end_date",
    key_types={"user_id": "bigint", "cutoff_days": "integer"},
)


def return_spec(columns: list[str]) -> Spec:
    """The return model's spec, from the columns of int_return_features: its page columns
    (page_<page>_events) are the pages in the data (the model pivots them at compile
    time), so the spec is built from the feature table when fitting, and stored with the
    fit for every table that reads it."""
    pages = tuple(c for c in columns if c.startswith("page_") and c.endswith("_events"))
    return Spec(
        name="return",
        key=("user_id",),
        label="returns_within_horizon",
        time_column="first_active_date",
        categorical=("os_family", "browser_family", "device_type", "plan"),
        numeric=(
            "first_event_hour",
            "first_event_weekday",
            "first_day_events",
            "first_day_distinct_pages",
            *pages,
        ),
        baseline="first_day_events",
        decided="has_returned_so_far",
        horizon_end="horizon_end_date",
        key_types={"user_id": "varchar"},
    )
