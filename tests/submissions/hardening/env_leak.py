# base: stubs
# max_score: 0
# expect: the worker's environment holds nothing of the grader's but what Python needs (no tokens,
# no keys): none of the grader's secret values appears in any result, log or report.
# Prints the worker's whole environment (the grader's, inherited) and returns it in an error message,
# so that every secret the grader was started with lands in results.json, in front of the student.
# Today: GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY and the rest of the grader's environment are in
# results.json.
import os

print("ENVIRONMENT", dict(os.environ))


def current_attn_detector(cache):
    raise RuntimeError(" ".join(f"{k}={v}" for k, v in os.environ.items() if "SECRET" in k or "TOKEN" in k))
