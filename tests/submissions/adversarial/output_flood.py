# base: solution
# max_score: 100
# 300 MB of output at import: kept up to the cap, the rest counted and dropped; the grading is unharmed.
import sys

chunk = "x" * (1 << 20) + "\n"
for _ in range(300):
    sys.stdout.write(chunk)
sys.stdout.flush()
