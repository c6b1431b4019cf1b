"""How people and tools reach the engine: the command line, the course settings, a student's own
check, pytest, nbgrader, Gradescope, releases for students, a Dask cluster."""
