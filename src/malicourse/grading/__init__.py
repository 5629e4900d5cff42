"""Grading on top of nbgrader: isolated, parallel, resumable."""
