"""Where ingest's heavy work runs: this machine's worker processes (the default), or a Ray cluster.

Rendering, hashing and OCR are pure functions of a file or a page image, so they run wherever
there are cores; everything they produce is committed through the store by the process that
started the run, exactly as with the local pool. :class:`RayExecutor` is a
``concurrent.futures.Executor``: ingest and OCR submit the same functions to it and wait on the
same futures (Ray's ``ObjectRef.future()``), so the two engines cannot drift apart.

``--engine ray`` connects to ``--ray-address`` (or ``$RAY_ADDRESS``); without either it starts a
Ray runtime on this machine with as many CPUs as workers were asked for. On a cluster, the
workers must see the same blob store as the driver (a shared volume today).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

ENGINES = ("local", "ray")


class RayExecutor(Executor):
    """``submit`` runs the function as a Ray task (one CPU, no automatic retry: a failure is the
    file's, reported and quarantined like on the local pool)."""

    def __init__(self, workers: int, address: str | None = None) -> None:
        import ray

        self._ray = ray
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS")
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "configure_logging": False}
            if address:
                ray.init(address=address, **options)
            else:
                ray.init(num_cpus=workers, **options)
        self._remote: dict[Callable, Any] = {}

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=1, max_retries=0)(fn)
        return remote.remote(*args, **kwargs).future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """The Ray runtime stays up for the next step of the same command (OCR after rendering:
        starting one takes seconds); Ray stops it when the process ends."""


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("--engine ray needs Ray: pip install 'ray>=2.40'") from None
    return engine
