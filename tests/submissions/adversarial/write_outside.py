# base: solution
# max_score: 100
# Tries to write outside its scratch directory; every attempt must fail.
import os
from pathlib import Path

for target in ["{{MARKER}}/written", "{{ROOT}}/written-by-student", os.path.expanduser("~/written-by-student"),
               "/tmp/written-by-student-{{TAG}}", "{{RESULTS}}/written-by-student.json"]:
    try:
        Path(target).write_text("pwned")
        print("WROTE", target)
    except OSError as error:
        print("refused", target, type(error).__name__)
