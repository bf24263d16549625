# Sourced by the other scripts: makes .venv with the pinned stack and the project's
# package, reinstalling only when requirements.lock or pyproject.toml changed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
    for candidate in "${UPTAKE_PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    echo "uptake needs Python 3.11 (set UPTAKE_PYTHON to its path)" >&2
    return 1
}

stamp=".venv/.uptake-installed"
wanted="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    python="$(find_python)"
    echo "==> installing the pinned stack into .venv (Python: $python)"
    [ -x .venv/bin/python ] || "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip==26.3
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$wanted" > "$stamp"
fi

export PATH="$PWD/.venv/bin:$PATH"
export DBT_PROFILES_DIR="${DBT_PROFILES_DIR:-$PWD}"
export DBT_SEND_ANONYMOUS_USAGE_STATS=False
