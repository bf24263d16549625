"""The glue between dbt's Python models and the package: settings read from a model's
config meta, and the refit cadence that reads the model's own stored table.

Every setting comes from a dbt var in dbt_project.yml, handed to the model as config
meta in python_models/ (``"{{ var('ml_seed') }}"``: dbt renders a var to text, so the
values here are parsed). A key that is missing is an error naming it: the package keeps
no second default.

This is the one module that talks to dbt (``dbt.config``, ``dbt.is_incremental``,
``dbt.this``, ``session``); the rest of the package takes plain values and frames.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pandas as pd

from uptake import frames
from uptake.ml.spec import Settings


class MissingSetting(KeyError):
    """A config meta key that a Python model needs is not set."""

    def __str__(self) -> str:
        return str(self.args[0])


class Meta(Mapping):
    """A Python model's config meta, read key by key as the type the package needs."""

    def __init__(self, values: Mapping | None, model: object = "this model"):
        """``values``: ``dbt.config.get("meta")``, called in the model file itself (dbt
        hands a Python model only the config keys its own code asks for); ``model``:
        ``dbt.this``, named in errors."""
        self._values = dict(values or {})
        self._model = str(model)

    def __getitem__(self, key: str):
        value = self._values.get(key)
        if value is None or value == "":
            raise MissingSetting(
                f"{self._model}: config meta has no {key!r}. Python models read their "
                "settings from dbt vars (dbt_project.yml) through config meta: set it in "
                "the model's YAML or its folder's +meta."
            )
        return value

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def int(self, key: str) -> int:
        return int(self[key])

    def float(self, key: str) -> float:
        return float(self[key])

    def list(self, key: str) -> list:
        """A list, where a var renders as text ("[0, 1, 3]")."""
        value = self[key]
        return json.loads(value) if isinstance(value, str) else list(value)


def settings_from_meta(meta: Meta) -> Settings:
    """The fit settings from a model's config meta (each key set from its var: see the
    +meta of python_models/fits in dbt_project.yml)."""
    low, high = (float(q) for q in meta.list("on_the_fence_quantiles"))
    return Settings(
        seed=meta.int("seed"),
        test_fraction=meta.float("test_fraction"),
        bootstrap_samples=meta.int("bootstrap_samples"),
        max_train_rows=meta.int("max_train_rows"),
        cv_folds=meta.int("cv_folds"),
        max_importance_rows=meta.int("max_importance_rows"),
        max_bootstrap_rows=meta.int("max_bootstrap_rows"),
        max_eval_rows=meta.int("max_eval_rows"),
        auc_bootstrap_samples=meta.int("auc_bootstrap_samples"),
        fence_quantiles=(low, high),
    )


def is_refit_due(data_end, fitted_on, refit_after_days: int) -> bool:
    """Whether what was computed on data ending ``fitted_on`` must be computed again
    now that the data ends ``data_end``: when nothing was stored, or the data has moved
    on by at least ``refit_after_days`` days."""
    if pd.isna(fitted_on):
        return True
    return (data_end - fitted_on).days >= refit_after_days


def on_refit_cadence(
    dbt,
    session,
    data_ends: pd.DataFrame,
    scope: str,
    compute: Callable[[], pd.DataFrame],
    *,
    refit_after_days: int,
) -> pd.DataFrame:
    """Fit (or cross-validate) only when due; otherwise keep what the last build stored.

    A full build (or ``--full-refresh``) always computes. An incremental build computes
    again only once the newest day of the data (``data_ends``: int_user_type_data_ends_computed) is
    at least ``refit_after_days`` (var ml_refit_after_days) past the day the stored
    rows were computed on (:func:`is_refit_due`); until then it returns the stored rows,
    which the model's delete+insert on ``fit_scope`` writes back unchanged. Scoring
    models still score every row on every build, with the stored fit. Adds ``fit_scope``
    and ``fitted_data_end``: null while the data has no day at all, and then every build
    computes (at no cost, without rows).
    """
    data_end = pd.to_datetime(data_ends["data_end_date"]).max()
    if dbt.is_incremental and pd.notna(data_end):
        stored = session.execute(f"select * from {dbt.this}").df()
        fitted_on = pd.to_datetime(stored["fitted_data_end"]).max()
        if not is_refit_due(data_end, fitted_on, refit_after_days):
            # Read back as a timestamp: written back as the date it was.
            stored["fitted_data_end"] = pd.to_datetime(stored["fitted_data_end"]).dt.date
            return stored
    frame = compute().copy()
    frame.insert(0, "fit_scope", scope)
    frame["fitted_data_end"] = data_end
    return frames.cast(frame, {"fit_scope": "varchar", "fitted_data_end": "date"})
