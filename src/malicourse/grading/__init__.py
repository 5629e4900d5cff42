"""Grading on top of nbgrader: parallel, isolated, resumable. Modules, in the order a run uses them:

run        ``malicourse grade``: submissions, the ledger, the worker pool, progress, summary
worker     one long-lived worker: nbgrader's autograde of one submission at a time
execute    nbgrader's execution step in two rooms: student cells in the sandbox, tests outside
sandbox    the walls (bubblewrap): namespaces, an allow-listed file system, a user id, limits
channel    the data-only channel from the sandbox: plain values and tables, never objects
trusted    the trusted test runner: hidden tests on exported values, never beside student code
sanitize   student HTML cleaned before any page shows it; CSV cells safe from formulas
gradebook  the single writer: records grades with nbgrader, keeps manual grades
reports    grades CSV, LMS import files, item analysis
"""
