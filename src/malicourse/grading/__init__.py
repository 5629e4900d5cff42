"""Grading on top of nbgrader: parallel, isolated, resumable. Modules, in the order a run uses them:

run        ``malicourse grade``: submissions, the ledger, the worker pool, progress, summary
worker     one long-lived worker: nbgrader's autograde of one submission at a time
execute    nbgrader's execution step, with the kernel in the sandbox and firmer limits
sandbox    the walls: namespaces, a private file-system view, a user id, resource limits
tamper     flags submissions that change what the tests call, for a person to review
gradebook  the single writer: records grades with nbgrader, keeps manual grades
reports    grades CSV, LMS import files, item analysis
"""
