"""Dask: data scattered once to every worker, each trial pinned to a free worker."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from ..worker import Blob, exit_process, run_trial
from .base import ExecutionBroken, ExecutorError, Running
from .shipping import RunStats, Task

__all__ = ["DaskBackend", "dask_client"]


class DaskBackend:
    """A Dask client: data scattered once to every worker, each trial pinned to a free worker."""

    kind = "dask"

    def __init__(self, client: Any, task: Task, stats: RunStats, owned: bool = False) -> None:
        self.client, self.task, self.stats, self.owned = client, task, stats, owned
        self.workers: dict[str, int] = {}
        self.retiring: set[str] = set()
        self.restarts: list[threading.Thread] = []
        self.sent: dict[str, set[str]] = {}  # worker address -> data keys its trials already received
        self._seen = self._empty_since = time.monotonic()
        self._refresh(force=True)
        # A list keeps Dask from reading a dict value as {key: value} pairs to scatter.
        self.data = {key: client.scatter([obj], broadcast=True, hash=False)[0] for key, obj in task.objects.items()}
        stats.sent["scatter"] = sum(len(task.blobs[k]) for k in task.objects) * max(1, len(self.workers))

    def _refresh(self, force: bool = False) -> None:
        if force or time.monotonic() - self._seen > 0.3:
            self.workers = dict(self.client.nthreads())
            self._seen = time.monotonic()
            if self.workers:
                self._empty_since = self._seen
            self.retiring &= set(self.workers)

    def capacity(self) -> int:
        return sum(self.workers.values()) or 1

    def free_slots(self, running: Iterable[Running]) -> list[str]:
        self._refresh()
        busy: dict[str, int] = {}
        for r in running:
            busy[r.slot] = busy.get(r.slot, 0) + 1
        return [
            addr
            for addr, n in sorted(self.workers.items())
            if addr not in self.retiring
            for _ in range(n - busy.get(addr, 0))
        ]

    def submit(self, slot: str, msg: dict[str, Any]) -> Any:
        # The first trial on a worker takes the scattered futures; later ones only the keys, because
        # the worker keeps the values (Dask's memory manager may drop "extra" replicas in between,
        # which would make Dask fetch and unpickle the data again).
        sent = self.sent.setdefault(slot, set())
        data = {key: Blob(key) if key in sent else fut for key, fut in self.data.items()}
        sent.update(data)
        return self.client.submit(
            run_trial,
            msg,
            data,
            workers=[slot],
            allow_other_workers=False,
            pure=False,
            key=f"jhpo-trial-{msg['number']}-{os.urandom(4).hex()}",
        )

    def forget(self, slot: str, keys: Iterable[str]) -> None:
        self.sent.get(slot, set()).difference_update(keys)

    def pending(self) -> list[Any]:
        return []

    def starting(self) -> bool:
        """True while workers are being replaced, or the cluster has none yet (for up to two minutes)."""
        if not self.workers and time.monotonic() - self._empty_since > 120:
            raise ExecutionBroken("the Dask cluster has had no workers for two minutes; the search stopped")
        return bool(self.retiring) or not self.workers

    def label(self, slot: str) -> str:
        return slot

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        from distributed import wait

        done = [f for f in futures if f.done()]
        if done:
            return done
        try:
            wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
        except Exception:  # noqa: BLE001 - a timeout, or a future Dask cancelled: outcome() says which
            pass
        return [f for f in futures if f.done()]

    def outcome(self, r: Running) -> tuple[dict[str, Any] | None, str | None]:
        try:
            status = r.future.status
            if status == "finished":
                try:
                    return r.future.result(), None
                except Exception as exc:  # noqa: BLE001
                    return None, f"the Dask worker could not return this trial's result: {type(exc).__name__}: {exc}"
            if status != "error":  # cancelled or lost by the scheduler
                self._rescatter()
                return None, (
                    f"Dask dropped this trial ({status}): the worker running it left the cluster "
                    f"(killed, out of memory, or shut down), or data it needed was lost; the search went on"
                )
            error = r.future.exception()
        finally:
            # Release the result at once: a finished key kept in a worker's memory is recomputed
            # elsewhere (the trial run again) if that worker dies later.
            r.future.release()
        if type(error).__name__ == "KilledWorker":
            return None, f"the Dask worker running this trial died (killed, or out of memory): {error}"
        return None, f"Dask could not run this trial: {type(error).__name__}: {error}"

    def dead(self, running: Iterable[Running]) -> list[tuple[Running, str]]:
        self._refresh()
        gone = []
        for r in running:
            if r.slot not in self.workers and r.slot not in self.retiring:
                r.future.cancel()
                gone.append(
                    (
                        r,
                        f"the Dask worker {r.slot} running this trial left the cluster (killed, out of "
                        f"memory, or shut down); the search went on",
                    )
                )
        if gone:
            self._rescatter()
        return gone

    def _rescatter(self) -> None:
        # Scattered data cannot be recomputed: if the workers holding it all died, send it again.
        for key, fut in list(self.data.items()):
            if fut.status != "finished":
                self.data[key] = self.client.scatter([self.task.objects[key]], broadcast=True, hash=False)[0]
                for sent in self.sent.values():
                    sent.discard(key)
                self.stats.sent["scatter"] = self.stats.sent.get("scatter", 0) + len(self.task.blobs[key])

    def stop(self, r: Running) -> str:
        r.future.cancel()
        self.retiring.add(r.slot)
        thread = threading.Thread(target=self._restart, args=(r.slot,), daemon=True)
        thread.start()
        self.restarts.append(thread)
        return f"its future was cancelled and the Dask worker {r.slot} restarted by its nanny"

    def _restart(self, addr: str) -> None:
        # Dask cannot stop a running task, and a graceful restart waits for it first; a worker under a
        # nanny is ended at once instead and the nanny starts a fresh one. Without a nanny the worker is
        # left alone (ending it would shrink the user's cluster): the cancelled trial runs on unseen.
        try:
            info = self.client.scheduler_info(n_workers=-1)["workers"].get(addr, {})
            if info.get("nanny"):
                self.client.run(exit_process, workers=[addr], wait=False)
                return
        except Exception:  # noqa: BLE001 - the worker may be gone already
            pass
        self.retiring.discard(addr)

    def close(self, kill: bool = False) -> None:
        for thread in self.restarts:  # a restart still under way would fail if the cluster closes next
            thread.join(timeout=30)
        futures = list(self.data.values())
        self.data = {}
        try:
            self.client.cancel(futures)
        except Exception:  # noqa: BLE001 - the client may be closing already
            pass
        if self.owned:
            self.client.close()


def dask_client(obj: Any) -> tuple[Any, bool] | None:
    """The Dask client behind ``obj`` (and whether jhpo made it), or None when ``obj`` is not Dask."""
    mod = type(obj).__module__ or ""
    if isinstance(obj, str):
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError(
                f"connecting to the Dask scheduler {obj!r} needs Dask, which is not installed; "
                "install it with `pip install 'jhpo[dask]'`"
            ) from None
        return Client(obj), True  # type: ignore[no-untyped-call]
    if not (mod.startswith("distributed") or mod.startswith("dask")):
        return None
    if hasattr(obj, "scatter") and hasattr(obj, "submit"):
        return obj, False
    if hasattr(obj, "_client") and hasattr(obj._client, "scatter"):  # client.get_executor()
        return obj._client, False
    if hasattr(obj, "scheduler_address"):  # a cluster object: connect to it
        from distributed import Client

        return Client(obj), True  # type: ignore[no-untyped-call]
    return None
