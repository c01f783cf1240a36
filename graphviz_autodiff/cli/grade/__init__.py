"""The ``grade`` command's engine-independent parts: sandbox, result protocol, submissions, reports.

- :mod:`.sandbox` runs one untrusted worker under bubblewrap (or a documented
  fallback) with limits, capped output and a result pipe;
- :mod:`.protocol` is the framing of that pipe (JSON header + raw NumPy arrays, never pickle);
- :mod:`.collect` finds one submission per student in a course export (Moodle,
  Canvas, Gradescope or a plain folder) and turns notebooks into scripts;
- :mod:`.reporters` writes the per-student and class reports.

Nothing here imports the student's code or the debugger: the worker and the
verdicts live elsewhere and use these modules.
"""
