"""The grader: ``python -m graphviz_autodiff grade`` (the TA's guide is ``docs/grading.md``).

One module per concern, in the order a submission meets them:

- :mod:`.command`: the command line (arguments, progress, exit codes);
- :mod:`.assignment`: what is required (the lecture's ops, ``assignment.toml``),
  read in the grader; the worker receives a plain-JSON plan;
- :mod:`.collect`: one submission per student in a course export (Moodle,
  Canvas, Gradescope or a plain folder), zips extracted safely, a notebook
  turned into a script with a map back to "cell 5, line 3";
- :mod:`.sandbox`: one untrusted worker under bubblewrap (or a documented
  fallback) with limits, capped output and a result pipe;
- :mod:`.worker`: runs *inside* the sandbox: executes the student's script,
  measures every op (:func:`graphviz_autodiff.debug.measure_call`), records
  the lecture graph and trains it, and sends raw numbers, never a verdict;
- :mod:`.protocol`: the framing of the result pipe (JSON header + raw NumPy
  arrays, never pickle);
- :mod:`.verdicts`: every verdict, from those numbers, in the grader (the
  debugger's :func:`~graphviz_autodiff.debug.judge`, plus the grader's checks
  of the inputs, of duplicated or missing reports and against a reference);
- :mod:`.replay`: the student's graph recorded again from its numbers with
  stand-in ops, so :mod:`viz` draws it without running the student's code;
- :mod:`.grader`: the loop over a class (a thread pool driving the sandbox);
- :mod:`.reporters`: ``report.json``, ``graph.svg``, ``summary.csv``,
  ``junit.xml``, Gradescope's ``results.json`` and ``index.html``;
- :mod:`.bundle`: the Gradescope autograder zip.

The single-file ``check`` command (:mod:`graphviz_autodiff.cli.check`) uses
the same worker, sandbox and verdicts.

Examples
--------
Grading from Python instead of the shell::

    from graphviz_autodiff.cli.grade.assignment import default_assignment
    from graphviz_autodiff.cli.grade.grader import GradeOptions, grade_class

    summary = grade_class("submissions/", "graded/", default_assignment(), GradeOptions(jobs=2, lang="ru"))
    print(summary.seconds, [r.status for r in summary.results])
"""
