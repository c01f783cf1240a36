"""The ``grade`` command's engine-independent parts: sandbox, result protocol, submissions, reports.

- :mod:`.collect` finds one submission per student in a course export (Moodle,
  Canvas, Gradescope or a plain folder), extracts zips safely and turns a
  notebook into a script with a map back to "cell 5, line 3";
- :mod:`.sandbox` runs one untrusted worker under bubblewrap (or a documented
  fallback) with limits, capped output and a result pipe;
- :mod:`.protocol` is the framing of that pipe (JSON header + raw NumPy arrays, never pickle);
- :mod:`.reporters` writes the per-student and class reports.

Nothing here imports a student's code or the debugger. The grader ties them
together like this (the worker module and the verdicts are built on top)::

    import sys
    from graphviz_autodiff.cli.grade import collect, reporters, sandbox

    results = []
    for submission in collect.collect(folder).submissions:
        try:
            prepared = collect.prepare(submission)
        except collect.SubmissionError as error:
            results.append(reporters.StudentResult(submission.student, submission.display_name, "error",
                                                   0, max_score, notes=(error.message(lang),)))
            continue
        run = sandbox.run_sandboxed(
            [sys.executable, "-m", "graphviz_autodiff.cli.grade.worker", prepared.main],
            files=prepared.files, timeout=timeout, limits=sandbox.Limits(memory_mb=memory_mb),
        )
        # run.frames: what the worker sent (protocol.open_channel() + Channel.send in the worker);
        # the grader computes each op's verdict from those numbers, never from the worker's opinion.
        # A line number of prepared.main maps back with prepared.locate(line, lang).
        ops = ...  # one reporters.OpResult per required op
        results.append(reporters.StudentResult(
            submission.student, submission.display_name, status, score, max_score, ops,
            isolation=run.isolation.description, isolated=run.isolation.isolated,
            seconds=run.wall_seconds, notes=run.notes + tuple(n.text(lang) for n in prepared.notes),
        ))
    reporters.write_reports(results, out, lang=lang, gradescope=gradescope)

``run_sandboxed`` is thread-safe: run ``--jobs N`` submissions from a thread
pool (each run gets its own uid when the grader is root).
"""
