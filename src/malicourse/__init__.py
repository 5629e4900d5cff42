"""Mali, 2012-2025: intervention, coups and accountability - the course package.

Modules, in the order data flows through them:

    course     where the course lives on disk, and its map of lessons and exercise sets
    doctor     the environment check behind notebook 00 and ``malicourse doctor``
    notebooks  headless notebook execution with errors that name notebook and cell
    cli        the ``malicourse`` command
"""

__version__ = "0.1.0"
