"""Engines: run one function over a stream of chunks, results in the order of the chunks.

- :class:`LocalEngine`: ``n_process`` worker processes of this machine; ``n_process=1``, or
  work that fits in one chunk (a small export, a re-run after a few new answers), runs in this
  process: starting workers that each load spaCy would cost more than it saves. Workers are
  forked (``config.WORKER_START_METHOD``, on Linux) after :meth:`Engine.warm`
  has loaded the pipeline in this process: its pages are shared by every worker instead of
  copied into each (the objects are frozen out of the garbage collector's reach, whose visits
  would copy them), about 0.4 GB less for two workers. With ``spawn``, each worker loads its
  own and is replaced after ``config.WORKER_MAX_CHUNKS`` chunks.
- :class:`DaskEngine`: the workers of a ``dask.distributed`` cluster: a ``LocalCluster`` of
  ``n_process`` single-threaded worker processes by default, or the scheduler at ``scheduler``
  (``tcp://host:8786``) of an existing cluster whose workers have the package and its French model.

Both keep at most ``2 x workers`` chunks in flight, so memory does not grow with the corpus.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

from .. import config

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")


def default_n_process() -> int:
    """The cores this process may run on (``sched_getaffinity``, else ``os.cpu_count``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Engine:
    """Runs ``fn(chunk, **kwargs)`` over chunks; use as a context manager."""

    name = "engine"
    workers = 1

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers this engine started."""

    def idle(self) -> None:
        """The workers are not needed for a while: stop those that take this machine's memory,
        when they can be started again (a local engine); others keep theirs."""

    def warm(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Before a :meth:`map` of several chunks: ``fn(*args, **kwargs)`` (load what every chunk
        needs) where the workers will inherit it; nothing for engines whose workers cannot. When
        ``fn`` returns a callable, :meth:`close` calls it (to release what ``fn`` loaded)."""

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` on one worker."""
        return fn(*args, **kwargs)

    def map(self, fn: Callable[..., Any], chunks: Iterable[Any], **kwargs: Any) -> Iterator[Any]:
        """``fn(chunk, **kwargs)`` of every chunk, in order."""
        for chunk in chunks:
            yield fn(chunk, **kwargs)

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": self.workers}


def _bounded(submit: Callable[[Any], Any], result: Callable[[Any], Any], chunks: Iterable[Any], depth: int) -> Iterator[Any]:
    """Submit chunks keeping at most ``depth`` pending, yield results in submission order."""
    pending: deque = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= depth:
            yield result(pending.popleft())
    while pending:
        yield result(pending.popleft())


class LocalEngine(Engine):
    """``n_process`` processes of this machine (forked, or ``start_method``); 1: this process."""

    name = "local"

    def __init__(self, n_process: int | None = None, *, start_method: str | None = None):
        import multiprocessing

        self.workers = max(1, n_process or default_n_process())
        wanted = start_method or config.WORKER_START_METHOD
        if wanted == "fork" and start_method is None and not sys.platform.startswith("linux"):
            wanted = "spawn"  # macOS: system libraries (Accelerate, the Objective-C runtime) are not fork-safe
        self.start_method = wanted if wanted in multiprocessing.get_all_start_methods() else "spawn"
        self._pool = None
        self._frozen = False
        self._release: Callable[[], Any] | None = None

    def _executor(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            forked = self.start_method == "fork"  # a forked worker cannot be replaced (Python's rule)
            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             mp_context=multiprocessing.get_context(self.start_method),
                                             max_tasks_per_child=None if forked else config.WORKER_MAX_CHUNKS)
        return self._pool

    def warm(self, fn, *args, **kwargs):
        """With forked workers not started yet: ``fn(*args, **kwargs)`` here, then every object of
        this process frozen (``gc.freeze``) so that the workers share its pages."""
        if self.workers == 1 or self.start_method != "fork" or self._pool is not None:
            return
        import gc

        release = fn(*args, **kwargs)
        self._release = release if callable(release) else None
        gc.collect()
        gc.freeze()
        self._frozen = True

    def call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` in this process: the workers run the same installed package."""
        return fn(*args, **kwargs)

    def map(self, fn, chunks, **kwargs):
        """``fn(chunk, **kwargs)`` of every chunk, in order: in the worker processes, or in this
        process with one worker or when ``chunks`` is a sequence of fewer than two chunks."""
        if self.workers == 1 or (isinstance(chunks, Sized) and len(chunks) < 2):
            yield from super().map(fn, chunks, **kwargs)
            return
        pool = self._executor()
        yield from _bounded(lambda c: pool.submit(fn, c, **kwargs), lambda f: f.result(), chunks, 2 * self.workers)

    def idle(self) -> None:
        """Stop the worker processes (and release what :meth:`warm` loaded); a later :meth:`map`
        starts new ones."""
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._frozen:
            import gc

            gc.unfreeze()
            self._frozen = False
        if self._release is not None:
            release, self._release = self._release, None
            release()


class DaskEngine(Engine):
    """The workers of a ``dask.distributed`` cluster (a ``LocalCluster`` unless ``scheduler``)."""

    name = "dask"

    def __init__(self, n_process: int | None = None, *, scheduler: str | None = None):
        from ..core.errors import MSG_DASK_MISSING, InputError

        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise InputError(MSG_DASK_MISSING) from exc
        self.scheduler = scheduler
        self._cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            n = max(1, n_process or default_n_process())
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.WARNING)
            self.client = Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        log.info("moteur Dask : %s, %d travailleur(s)", scheduler or "LocalCluster", self.workers)

    def call(self, fn, *args, **kwargs):
        return self.client.submit(fn, *args, pure=False, **kwargs).result()

    def map(self, fn, chunks, **kwargs):
        submit = lambda c: self.client.submit(fn, c, pure=False, **kwargs)  # noqa: E731
        yield from _bounded(submit, lambda f: f.result(), chunks, 2 * self.workers)

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": self.workers, "scheduler": "externe" if self.scheduler else "LocalCluster"}

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_engine(engine: str = "local", *, n_process: int | None = None, scheduler: str | None = None) -> Engine:
    """The engine named ``engine`` (``local`` or ``dask``)."""
    from ..core.errors import MSG_ENGINE_UNKNOWN, InputError

    if engine == "local":
        if scheduler:
            raise InputError(MSG_ENGINE_UNKNOWN.format(engine="local + --scheduler", engines=" | ".join(ENGINES)))
        return LocalEngine(n_process)
    if engine == "dask":
        return DaskEngine(n_process, scheduler=scheduler)
    raise InputError(MSG_ENGINE_UNKNOWN.format(engine=engine, engines=" | ".join(ENGINES)))
