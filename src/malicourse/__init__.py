"""Mali, 2012-2025: intervention, coups and accountability - the course package.

Modules, in the order data flows through them:

    course     where the course lives on disk, and its map of lessons and exercise sets
    data       load(name): a validated, typed table from data/ (the only module that reads it)
    analysis   pure functions over the tables: presence, spending, coups, chronology, claims
    figures    Chart = figure + one-sentence description + sources, colour-blind-safe
    widgets    explorers: controls wired to an analysis function and a figure
    feedback   hints instead of tracebacks; 'check your understanding' questions
    answers    widget answers saved to a file beside the notebook
    lesson     start(): what the first cell of every lesson calls
    doctor     the environment check behind notebook 00 and ``malicourse doctor``
    notebooks  headless notebook execution with errors that name notebook and cell
    exercises  the exercise sets: regenerated from solutions/, reference submissions
    grading    ``malicourse grade``: parallel, sandboxed, resumable autograding on nbgrader
    release    the student bundle, and hiding the instructor's tools in a student install
    cli        the ``malicourse`` command
"""

__version__ = "0.1.0"
