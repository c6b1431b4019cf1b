#!/usr/bin/env bash
# Creates .venv and installs the exercise's grader into it (no reference solution is in it).
# Idempotent: when nothing changed since the last run it only checks a stamp and returns.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
stamp=.venv/.installed
want=$(cat pyproject.toml setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# The CPU build of torch comes first: otherwise a CUDA build of several GB would be pulled in.
# TORCH_INDEX_URL (e.g. https://download.pytorch.org/whl/cpu) picks where it comes from.
.venv/bin/python -m pip install --quiet "torch==2.13.0" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
    2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install --quiet -e . 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import autograder, torch, transformer_lens" 2>/dev/null
echo "$want" > "$stamp"
