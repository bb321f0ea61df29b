"""The OpenMP threads scikit-learn's gradient boosting may use: one.

The pipeline shares its cores (dbt, other runs, other jobs). OpenMP threads meet at a barrier at
every split of every tree; when the machine is busy one of them is descheduled and the others
spin waiting for it. On the shared two-core machine a win-probability fit on 45k rows took 15.6 s
with two threads and 2.3 s with one (and a fit's result does not depend on the thread count).
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

THREADS = 1


def boosting_threads() -> threadpool_limits:
    """A context in which OpenMP (scikit-learn's histogram gradient boosting) runs THREADS threads."""
    return threadpool_limits(limits=THREADS, user_api="openmp")
