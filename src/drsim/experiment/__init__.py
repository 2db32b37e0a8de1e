"""Experiments: one DR scenario run many times — replications, sweeps, design comparisons.

* :mod:`~drsim.experiment.runner` — one run (scenario, replication) → metrics, never raises;
* :mod:`~drsim.experiment.executors` — in-process, local process pool, Dask cluster;
* :mod:`~drsim.experiment.batch` — many runs through an executor, results streamed back;
* :mod:`~drsim.experiment.design` — sweep points: grid, zip, Latin hypercube;
* :mod:`~drsim.experiment.store` — a sweep directory that never loses a finished run;
* :mod:`~drsim.experiment.sweep` — sweeps with resume; :mod:`~drsim.experiment.compare` —
  designs on the same traffic (common random numbers) with paired differences.

Submodules are imported on use, so that worker processes stay light.
"""
