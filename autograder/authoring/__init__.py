"""For exercise authors: the student files built from a single source (build.py), and a new pack
(new_exercise.py)."""
