"""Where results go: Gradescope JSON (results.py), gradebooks, JUnit and the terminal (reporters.py),
HTML pages (html.py), each escaped for its format (text.py)."""
