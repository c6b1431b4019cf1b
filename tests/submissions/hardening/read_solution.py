# base: stubs
# max_score: 0
# expect: Landlock stays on where user namespaces are refused (its errors come from the syscall's
# return value, not a stale errno), so reading the solution is refused and this scores 0.
# Runs the reference solution, read from the repository, in place of the stubs: 100 wherever the
# worker may read solutions/.
# Today: under tests/unshare_refused.py with --allow-unsandboxed, 100/100 (Landlock reported
# unavailable: a stale EPERM).
exec(open("{{ROOT}}/solutions/induction_heads.py").read())
