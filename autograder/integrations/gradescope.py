"""Gradescope: `autograder gradescope-zip OUT.zip` writes an autograder bundle that works as it is.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once to build the image, then
`run_autograder` for each submission, which calls `run()` here: it picks the student's file in
/autograder/submission (hidden folders and notebook checkpoints skipped, the exercise's name first),
grades it on the inputs drawn from the bundle's secret, and writes /autograder/results/results.json,
whose output says which file was graded. The container forbids user namespaces, so grading runs
with `--allow-unsandboxed`: the student's code still runs in a separate process, under Landlock and
seccomp where the kernel has them, and the container isolates the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

from autograder.engine.files import ROOT
from autograder.engine.pack import Pack

ENTRIES = ("autograder", "solutions", "exercises", "pyproject.toml", "README.md")
SECRET_FILE = "secret.txt"


def write_zip(pack: Pack, out: Path, secret: str | None) -> Path:
    """The bundle: the project (the reference included: it never reaches a student), the secret,
    and Gradescope's two scripts at the zip's root."""
    if not secret:
        raise ValueError("a Gradescope bundle grades on secret inputs: give --secret or --secret-file")
    if not pack.solution.exists():
        raise ValueError(f"{pack.solution} is missing: a bundle is built from the instructor's repository")
    out = Path(out)
    templates = Path(__file__).parent / "templates"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for entry in ENTRIES:
            path = ROOT / entry
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                if "__pycache__" not in file.parts and file.suffix != ".pyc":
                    bundle.write(file, str(file.relative_to(ROOT)))
        _script(
            bundle, "setup.sh", (templates / "gradescope-setup.sh").read_text().replace("{name}", pack.name)
        )
        _script(
            bundle, "run_autograder", (templates / "gradescope-run").read_text().replace("{name}", pack.name)
        )
        bundle.writestr(SECRET_FILE, secret + "\n")
        bundle.write(templates / "release-setup.sh", "project-setup.sh")
    return out


def _script(bundle: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16  # executable once unzipped
    bundle.writestr(info, text)


def run(argv: list[str] | None = None) -> int:
    """run_autograder's work: one submission graded into results.json, whatever happens."""
    parser = argparse.ArgumentParser(prog="autograder.integrations.gradescope")
    parser.add_argument("--exercise", required=True)
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("GRADESCOPE_ROOT", "/autograder")))
    args = parser.parse_args(argv)
    from autograder.engine import pack as packs
    from autograder.engine.grader import Grader
    from autograder.engine.secret import WeakSecret
    from autograder.engine.secret import check as check_secret
    from autograder.engine.submission import load, pick
    from autograder.output.results import Result

    pack = packs.get(args.exercise)
    results = args.root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    chosen = pick_submission(args.root / "submission", pack.name, pick)
    if chosen is None:
        found = ", ".join(p.name for p in _candidates(args.root / "submission")) or "none"
        Result(
            "submission",
            [],
            f"No file to grade: submit {pack.name}.py or {pack.name}.ipynb (found: {found}).",
            status="not imported",
        ).write(results)
        return 0
    secret_file = args.root / "source" / SECRET_FILE
    try:  # never the public inputs: a bundle without its secret is broken, and says so
        secret = check_secret(secret_file.read_text(), f"the bundle's {SECRET_FILE}")
    except (OSError, WeakSecret) as error:
        print(
            f"error: cannot grade: {error}; rebuild the bundle with `autograder gradescope-zip`",
            file=sys.stderr,
        )
        return 2
    with Grader(pack, secret=secret, require_isolation=False) as grader:
        result = grader.grade(load(chosen, prefer=pack.name))
    graded = f"Graded {chosen.relative_to(args.root / 'submission')}."
    result.output = graded + ("\n\n" + result.output if result.output else "")
    result.write(results)
    print(f"{graded} {result.score:g}/{result.max_score:g} ({result.status})")
    return 0


def _candidates(folder: Path) -> list[Path]:
    from autograder.engine.submission import _files_in

    return _files_in(folder) if folder.is_dir() else []


def pick_submission(folder: Path, name: str, pick) -> Path | None:
    """The file to grade: NAME.py or NAME.ipynb anywhere in the submission (the shallowest), else
    the only .py or .ipynb file, else the most recently changed one."""
    files = _candidates(folder)
    named = sorted((p for p in files if p.stem == name), key=lambda p: (len(p.parts), p.suffix != ".py"))
    if named:
        return named[0]
    return pick(files, name) or (max(files, key=lambda p: p.stat().st_mtime) if files else None)


if __name__ == "__main__":
    sys.exit(run())
