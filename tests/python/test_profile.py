"""The DuckDB settings of profiles.yml survive a spill to disk.

dbt-duckdb opens the database once with the profile's config_options and runs
`SET key = value` for each of its settings on every new cursor (one per model or
test). DuckDB refuses to move temp_directory once it has spilled there, even to the
same folder, so a temp_directory among the settings failed every node after the first
spill of a large build. The test opens the database the way dbt-duckdb does, forces a
spill, then opens a cursor the way dbt-duckdb does for the next node."""

from __future__ import annotations

import duckdb
import jinja2
import yaml
from conftest import PROJECT_DIR


def profile_output(environment: dict[str, str]) -> dict:
    """The dev output of profiles.yml, rendered with the given environment."""

    def env_var(name: str, default: str | None = None) -> str:
        return environment.get(name, default)

    text = jinja2.Template((PROJECT_DIR / "profiles.yml").read_text()).render(env_var=env_var)
    return yaml.safe_load(text)["uptake"]["outputs"]["dev"]


def test_settings_survive_a_spill(tmp_path):
    db_path = tmp_path / "spill.duckdb"
    output = profile_output({"UPTAKE_DB_PATH": str(db_path), "UPTAKE_DUCKDB_MEMORY_LIMIT": "100MB"})
    config = {key: str(value) for key, value in (output.get("config_options") or {}).items()}
    assert config["temp_directory"] == f"{db_path}.tmp"

    with duckdb.connect(str(db_path), config=config) as conn:
        conn.execute(
            "create table sorted as select md5(cast(i as varchar)) as text "
            "from range(4000000) as numbers(i) order by text"
        )
        assert (tmp_path / "spill.duckdb.tmp").is_dir(), "the sort did not spill"

        cursor = conn.cursor()
        for key, value in (output.get("settings") or {}).items():
            cursor.execute(f"set {key} = '{value}'")
        setting = cursor.execute("select current_setting('temp_directory')").fetchone()[0]
        assert setting == f"{db_path}.tmp"
