"""Policy sweeps: a grid of scenario variants, each run for several seeds, on a Dask cluster.

``grid`` parses and resolves the axes, ``plan`` names every run, ``task`` is what a worker does,
``batch`` groups short runs into one Dask task, ``execute`` runs them on Dask, ``store`` keeps each result as it arrives (so a sweep resumes),
``results`` builds the tables and ``run`` ties them together.
"""
