"""The table of figures, ratios and targets."""

from __future__ import annotations

from common import (
    REPEATS,
    TARGETS,
)


def targets(report: dict) -> list[dict]:
    ours, nbgrader, check = report["ours"], report.get("nbgrader"), report["check"]
    rows = [
        ("per-submission cost, steady state (s)", ours["steady_per_submission_s"], "<=", "per_submission_s"),
        ("student check cold / bare import", check["ratio"], "<=", "check_vs_import"),
        ("peak memory, PSS of the tree (GiB)", ours["peak_pss_bytes"] / 2**30, "<", "peak_pss_gib"),
    ]
    for name, other in report.get("packs", {}).items():
        what = f"per-submission cost, steady state, pack {name} (s)"
        rows.insert(1, (what, other["steady_per_submission_s"], "<=", "per_submission_s"))
    if real := report.get("real"):
        rows.insert(
            1,
            (
                "extra cost of a real-shaped submission (s)",
                real["extra_per_real_s"],
                "<=",
                "extra_per_real_s",
            ),
        )
    if nbgrader:
        ratio = ours["throughput_per_s"] / nbgrader["throughput_per_s"]
        rows.insert(1, ("throughput vs nbgrader autograde (x)", ratio, ">=", "throughput_vs_nbgrader"))
    if cluster := report.get("cluster"):
        name = "per-submission cost, cluster / local pool (x)"
        rows.insert(1, (name, cluster["ratio"], "<=", "cluster_vs_local"))
    met = {"<=": float.__le__, "<": float.__lt__, ">=": float.__ge__}
    return [
        {"target": name, "measured": value, "goal": f"{op} {goal:g}", "met": met[op](value, goal)}
        for name, value, op, key in rows
        for goal in [TARGETS[key]]
    ]


def agreement(ours: dict, baseline: dict) -> str:
    """Full marks given by the baseline (and by ours) on its K, and on how many the verdicts agree."""
    theirs = baseline["full_marks_by_student"]
    mine = {student: ours["scores"][student][0] == ours["scores"][student][1] for student in theirs}
    same = sum(mine[student] == full for student, full in theirs.items())
    return f"{sum(theirs.values())} ({sum(mine.values())}), {same}/{len(theirs)}"


def _spread(measured: dict, key: str = "per_submission_estimates_s") -> str:
    return f"runs: {', '.join(f'{e:.3f}' for e in measured[key])}"


def table(report: dict) -> str:
    ours, n = report["ours"], report["config"]["n"]
    workers = report["config"]["workers"]
    first = ours["first_run_with_reference_s"]
    rows = [
        ("ours: first run ever (reference computed, cached)", f"{first:.1f} s", ""),
        (f"ours: one-time start and shutdown ({workers} workers)", f"{ours['start_s']:.2f} s", ""),
        (f"ours: wall time, {n} submissions", f"{ours['wall_s']:.1f} s", ""),
        (f"ours: per-submission cost beyond the start (median of {REPEATS})",
         f"{ours['per_submission_s']:.3f} s", _spread(ours)),
        (f"ours: per-submission cost, steady state between results (median of {REPEATS})",
         f"{ours['steady_per_submission_s']:.3f} s", _spread(ours, "steady_estimates_s")),
        ("ours: throughput", f"{ours['throughput_per_s']:.2f} /s", "1"),
        ("ours: peak memory, PSS summed over the tree", f"{ours['peak_pss_bytes'] / 2**30:.2f} GiB", ""),
        ("ours: (the same with RSS, shared pages counted per process)",
         f"{ours['peak_rss_bytes'] / 2**30:.2f} GiB", ""),
    ]  # fmt: skip
    for name, other in report.get("packs", {}).items():
        rows += [
            (f"pack {name}: {n} submissions, one-time start, wall time",
             f"{other['start_s']:.1f} s, {other['wall_s']:.1f} s", ""),
            (f"pack {name}: per-submission cost beyond the start (median of {REPEATS})",
             f"{other['per_submission_s']:.3f} s", _spread(other)),
            (f"pack {name}: per-submission cost, steady state (median of {REPEATS})",
             f"{other['steady_per_submission_s']:.3f} s", _spread(other, "steady_estimates_s")),
        ]  # fmt: skip
    if real := report.get("real"):
        middle, workers_ = real["median_run"], real["workers"]
        rows += [
            (f"real-shaped class: {real['real']} submissions ({real['real_bytes'] / 2**20:.1f} MiB, "
             f"largest {real['largest_real_bytes'] / 2**20:.1f} MiB) beside {real['clean']} clean",
             f"{middle['wall_s']:.1f} s", "wall time of a run"),
            (f"real-shaped: extra cost per real submission (median of {len(real['runs'])})",
             f"{real['extra_per_real_s']:.3f} s", _spread(real, "extra_estimates_s")),
            ("real-shaped: clean per submission (worker seconds / workers)",
             f"{real['clean_per_submission_s']:.3f} s", ""),
        ]  # fmt: skip
        for kind in ("real", "clean"):
            phases = middle[f"{kind}_phases"]
            total = sum(phases.values()) or 1.0
            shares = ", ".join(
                f"{name} {seconds / workers_:.3f} s ({seconds / total:.0%})"
                for name, seconds in phases.items()
            )
            rows.append((f"  {kind}: per submission, by phase", "", shares))
    mine = ours["throughput_per_s"]
    if cluster := report.get("cluster"):
        local, remote, big = cluster["local"], cluster["cluster"], cluster["large_n"]
        rows += [
            (f"cluster ({workers} Dask workers) vs local pool, run alternately", "", ""),
            ("  local pool: one-time start, per submission",
             f"{local['start_s']:.1f} s, {local['per_submission_s']:.3f} s", ""),
            ("  cluster: one-time start, per submission",
             f"{remote['start_s']:.1f} s, {remote['per_submission_s']:.3f} s", f"{cluster['ratio']:.2f}x"),
            (f"  wall time, {n} submissions: local, cluster",
             f"{local['wall_s']:.1f} s, {remote['wall_s']:.1f} s", ""),
            ("  steady state, between results: local, cluster",
             f"{local['steady_per_submission_s']:.3f} s, {remote['steady_per_submission_s']:.3f} s",
             f"{remote['steady_per_submission_s'] / local['steady_per_submission_s']:.2f}x"),
            ("  same scores and statuses", f"{cluster['same_scores_and_statuses']}/{n}", ""),
        ]  # fmt: skip
        if big:
            rows += [
                (f"  wall time, {big} submissions: local, cluster",
                 f"{local['wall_large_s']:.1f} s, {remote['wall_large_s']:.1f} s", ""),
                (f"  per submission over {big}: local, cluster",
                 f"{local['per_submission_large_s']:.3f} s, {remote['per_submission_large_s']:.3f} s",
                 f"{cluster['ratio_large']:.2f}x"),
                (f"  steady state over {big}: local, cluster",
                 f"{local['steady_per_submission_large_s']:.3f} s, "
                 f"{remote['steady_per_submission_large_s']:.3f} s",
                 f"{remote['steady_per_submission_large_s'] / local['steady_per_submission_large_s']:.2f}x"),
            ]  # fmt: skip
    if nb := report.get("nbgrader"):
        rows += [
            (f"nbgrader autograde: {nb['k']} notebooks", f"{nb['wall_k_s']:.1f} s", ""),
            ("nbgrader: fixed cost", f"{nb['fixed_s']:.1f} s", ""),
            ("nbgrader: per notebook", f"{nb['per_notebook_s']:.2f} s", ""),
            (f"nbgrader: throughput (est. for {n})", f"{nb['throughput_per_s']:.3f} /s",
             f"{mine / nb['throughput_per_s']:.1f}x"),
            ("nbgrader: full marks (ours), same verdict", agreement(ours, nb), ""),
        ]  # fmt: skip
    if py := report.get("pytest"):
        rows += [
            (f"pytest per submission: {py['k']}, {py['parallel']} at a time", f"{py['wall_k_s']:.1f} s", ""),
            ("pytest: median process", f"{py['median_process_s']:.2f} s", ""),
            ("pytest: throughput", f"{py['throughput_per_s']:.3f} /s",
             f"{mine / py['throughput_per_s']:.1f}x"),
            ("pytest: full marks (ours), same verdict", agreement(ours, py), ""),
        ]  # fmt: skip
    check = report["check"]
    rows += [
        ("student check --only prev_attn_detector, cold (median)", f"{check['check_s']:.2f} s", ""),
        ('python -c "import transformer_lens" (median)', f"{check['import_s']:.2f} s", ""),
        ("check / import", f"{check['ratio']:.2f}", ""),
    ]
    rows += [
        (f"TARGET {t['target']}", f"{t['measured']:.3g} ({t['goal']})", "PASS" if t["met"] else "FAIL")
        for t in report["targets"]
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measurement':<{width}}  {'figure':>22}  ours vs it", "-" * (width + 38)]
    lines += [f"{name:<{width}}  {figure:>22}  {ratio}" for name, figure, ratio in rows]
    if n < 100:
        lines.append(f"(the targets are set for a class of 100: in one of {n}, the start weighs more)")
    return "\n".join(lines)
