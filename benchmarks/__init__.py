"""The benchmark of the uptake project: the project at scale, on one machine, in one run.

Not part of the product package (``src/uptake``) nor of the test suite. Run it from the
repository root with ``python -m benchmarks`` (``--help`` for its options; see
docs/benchmarks.md). The modules:

- :mod:`benchmarks.run`: the command and its steps (generate, hold back a day, full and
  incremental dbt builds, the adoption rule three ways), the raw figures;
- :mod:`benchmarks.measure`: wall time and peak memory of one child process;
- :mod:`benchmarks.landing`: hold back the last day of each landing source, append it;
- :mod:`benchmarks.adoption`: the adoption rule in pandas (vectorised and per-user
  rolling), timed against the project's model as dbt builds it;
- :mod:`benchmarks.report`: the targets and the Markdown report (BENCHMARKS.md).
"""
