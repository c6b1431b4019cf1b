#!/usr/bin/env bash
# Creates .venv and installs the project into it. Idempotent: when nothing changed since the
# last run it only checks a stamp and returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

# The browser test of the HTML report needs Chromium and its driver (Debian's packages).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
            || echo "setup: could not install chromium; the browser test will be skipped" >&2
    else
        echo "setup: chromium/chromedriver missing; the browser test will be skipped" >&2
    fi
fi

stamp=.venv/.installed
want=$(cat pyproject.toml setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# The CPU build of torch comes first: with no torch installed, the range in pyproject.toml would
# otherwise pull a CUDA build of several GB.
# TORCH_INDEX_URL (e.g. https://download.pytorch.org/whl/cpu) picks where it comes from elsewhere.
.venv/bin/python -m pip install --quiet "torch==2.13.0" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
    2>&1 | grep -v "^WARNING: Location" || true
# setuptools warns every editable install about folders named like the package (a banner, meant for
# layouts where that can bite; here the package is the folder): not something the user did wrong.
PYTHONWARNINGS="ignore:Editable installation" \
    .venv/bin/python -m pip install --quiet -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import autograder, torch, transformer_lens" 2>/dev/null
echo "$want" > "$stamp"
