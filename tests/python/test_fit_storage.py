"""Fits are stored with skops (uptake.ml.storage), which loads without running code: a
stored fit gives the same predictions and tables as the fit itself, and a pickle (as
uptake stored fits before, or a malicious one), a type outside the trusted list, a changed
or cut blob is refused with a message naming the table and the fit, before anything in
it runs; in a build, the scoring model stops with that message and no stack trace."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import zipfile

import duckdb
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from conftest import FIXTURES, run_dbt
from test_ml import FAST, GROUPED, grouped

from uptake import ml
from uptake.ml import storage


@pytest.fixture(scope="module")
def fitted():
    # Cut-offs 0 and 7 fitted, 14 without rows (stored not fitted).
    return ml.fit(grouped(1200, seed=5), GROUPED, FAST, groups=[0, 7, 14])


class RunsCode:
    """A pickle payload: loading it runs a command (here: makes a marker file)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def test_a_stored_fit_predicts_and_reads_as_the_fit_itself(fitted):
    frame = grouped(1200, seed=5)
    stored = ml.artifacts_frame(fitted)
    assert all(zipfile.is_zipfile(io.BytesIO(blob)) for blob in stored["artifact"])
    loaded = ml.load_artifacts(stored, "ml_test_fit")
    assert [(m.model_name, m.group_value) for m in loaded] == [
        (m.model_name, m.group_value) for m in fitted
    ]
    assert sum(m.pipeline is not None for m in loaded) == 4
    for ours, back in zip(fitted, loaded, strict=True):
        assert back.spec == ours.spec and back.spec.key_types == ours.spec.key_types
        assert back.metrics.keys() == ours.metrics.keys()
        if ours.pipeline is None:
            assert back.pipeline is None
            continue
        x = ml.prepare(frame[frame["cutoff_days"] == ours.group_value], GROUPED)
        expected = ours.pipeline.predict_proba(x)
        np.testing.assert_array_equal(back.pipeline.predict_proba(x), expected)
    pd.testing.assert_frame_equal(ml.metrics_frame(loaded), ml.metrics_frame(fitted))
    pd.testing.assert_frame_equal(ml.calibration_frame(loaded), ml.calibration_frame(fitted))
    pd.testing.assert_frame_equal(ml.explanations_frame(loaded), ml.explanations_frame(fitted))
    stamp, still_open = pd.Timestamp("2024-06-01"), frame.assign(label=None)
    pd.testing.assert_frame_equal(
        ml.score_latest(still_open, loaded, scored_at=stamp),
        ml.score_latest(still_open, fitted, scored_at=stamp),
    )


def refused(stored: pd.DataFrame, row: int, blob: bytes) -> str:
    stored = stored.copy()
    stored.loc[row, "artifact"] = blob
    with pytest.raises(storage.FitRefused) as caught:
        ml.load_artifacts(stored, "ml_test_fit")
    message = str(caught.value)
    # The table, the fit (family, version, group) and what to do.
    name, version, group = stored.loc[row, ["model_name", "model_version", "cutoff_days"]]
    assert message.startswith(f"ml_test_fit: the stored fit {name} {version}, cutoff_days {group}")
    assert "`dbt build --full-refresh --select ml_test_fit+`" in message
    return message


def test_a_pickle_is_refused_without_running_it(fitted, tmp_path):
    stored = ml.artifacts_frame(fitted)
    marker = tmp_path / "ran"
    message = refused(stored, 2, pickle.dumps(RunsCode(marker)))
    assert "is a pickle" in message and not marker.exists()
    # A fit as uptake stored it before (a pickled FittedModel) is refused alike.
    assert "is a pickle" in refused(stored, 0, pickle.dumps(fitted[0], protocol=5))
    pickle.loads(pickle.dumps(RunsCode(marker)))
    assert marker.exists()  # the payload does run when unpickled


def test_a_type_outside_the_trusted_list_is_refused(fitted):
    stored = ml.artifacts_frame(fitted)
    payload = sio.loads(stored.loc[1, "artifact"], trusted=list(storage.TRUSTED_TYPES))
    for planted in (os.system, RunsCode("x"), pd.Timestamp("2024-01-01")):
        blob = sio.dumps({**payload, "pipeline": planted})
        assert "not trusted" in refused(stored, 1, blob)
    # A trusted estimator where the pipeline belongs loads nothing either.
    other = sio.dumps({**payload, "pipeline": payload["pipeline"].steps[-1][1]})
    assert "not a Pipeline" in refused(stored, 1, other)


def test_a_changed_or_cut_blob_is_refused(fitted):
    stored = ml.artifacts_frame(fitted)
    blob = bytes(stored.loc[3, "artifact"])
    assert "not a skops file" in refused(stored, 3, blob[: len(blob) // 2])
    assert "not a skops file" in refused(stored, 3, b"uptake")
    # One byte changed inside the compressed state: the zip's checksum no longer holds.
    middle = len(blob) // 3
    flipped = blob[:middle] + bytes([blob[middle] ^ 0xFF]) + blob[middle + 1 :]
    assert "cannot be read" in refused(stored, 3, flipped)
    # A skops file that is not a fit.
    assert "not a fit stored as" in refused(stored, 3, sio.dumps({"format": "other"}))


def test_a_pickled_fit_in_a_build_stops_scoring_with_a_message(fixtures_db, tmp_path):
    db = tmp_path / "tampered.duckdb"
    shutil.copy(fixtures_db, db)
    marker = tmp_path / "ran"
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "update ml.ml_adoption_fit set artifact = ? "
            "where model_name = 'l1_logistic_regression' and cutoff_days = 7",
            [pickle.dumps(RunsCode(marker))],
        )
    result = run_dbt(["run", "--select", "ml_adoption_scores"], FIXTURES, db)
    assert result.returncode == 1, result.stdout[-3000:]
    assert (
        "ml_adoption_fit: the stored fit l1_logistic_regression" in result.stdout
        and "cutoff_days 7 is refused: it is a pickle" in result.stdout
        and "`dbt build --full-refresh --select ml_adoption_fit+`" in result.stdout
    ), result.stdout[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert not marker.exists()
