"""`make bench`: the pipeline measured against the floor and the usual alternative (docs/benchmarks.md).

Not part of the product: a harness that generates the demo company at a few sizes, runs the
pipeline and its comparisons in subprocesses, and writes ``bench/results.json`` and
``docs/benchmarks.md``. Everything it writes besides those two files goes to ``bench/work/``.
"""
