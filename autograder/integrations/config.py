"""A course's settings, in TOML, read by every command; flags given on the command line win.

The file is `autograder.toml` in the working folder (or the one `--config` or `$AUTOGRADER_CONFIG`
names). Every key is optional:

    exercise = "induction_heads"     # the pack to grade with
    workers = 4
    timeout = 10                     # seconds per call of a student's function
    memory = 4                       # GiB per submission
    secret_file = "secret.txt"       # graded inputs are drawn from its contents (grade only)
    results_dir = "results"
    html = "results/html"
    junit = "results/junit.xml"
    fail_under = 100
    scheduler = "tcp://10.0.0.5:8786"  # a Dask scheduler to grade on
"""

from __future__ import annotations

import os
from pathlib import Path

FILENAME = "autograder.toml"
KEYS = {
    "exercise": str,
    "workers": int,
    "timeout": (int, float),
    "memory": (int, float),
    "secret_file": str,
    "results_dir": str,
    "html": str,
    "junit": str,
    "fail_under": (int, float),
    "scheduler": str,
    "allow_unsandboxed": bool,
}
PATHS = ("secret_file", "results_dir", "html", "junit")


class ConfigError(ValueError):
    """The course's settings file cannot be used: the message names the problem and the fix."""


def find(explicit: str | None = None) -> Path | None:
    named = explicit or os.environ.get("AUTOGRADER_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"no settings file {path}: give an existing TOML file (or no --config)")
        return path
    path = Path.cwd() / FILENAME
    return path if path.is_file() else None


def load(explicit: str | None = None) -> dict:
    """The settings, checked: unknown keys and wrong types are errors; paths are taken relative to
    the file's folder."""
    path = find(explicit)
    if path is None:
        return {}
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        settings = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    for key, value in settings.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(KEYS))}")
        if not isinstance(value, KEYS[key]) or isinstance(value, bool) and KEYS[key] is not bool:
            raise ConfigError(f"{path}: {key} = {value!r} has the wrong type")
    for key in PATHS:
        if key in settings:
            settings[key] = str((path.parent / settings[key]).resolve())
    return settings
