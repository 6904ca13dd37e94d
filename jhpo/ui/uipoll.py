"""Handle widget messages (button clicks) while the ``%%tune`` cell is still executing.

Why this is needed: the search runs synchronously inside the cell, on the kernel's
main thread. The kernel reads the next shell message only when the cell returns,
so a click on Stop would wait in a queue until the search ended by itself.

Why this mechanism: between trials (never during one) the panel calls
:meth:`UIPoller.poll`, which looks at the shell messages waiting for the main
thread, dispatches the comm messages among them (``comm_msg``, ``comm_open``,
``comm_close``: widget clicks, hovers and state changes) right away through the
kernel's own ``dispatch_shell``, and leaves every other message (the next cells'
``execute_request`` of a Run All, completion, inspection...) to the kernel, in
its order, for when the cell has returned. No other cell ever runs inside this one.

Run All sends every ``execute_request`` at once, so the order of the messages
that wait is the order of the notebook, and keeping it is the whole point:

* ipykernel 6 keeps waiting messages in ``kernel.msg_queue``. The poller takes
  the comm messages out of that queue and leaves the others in it, untouched, so
  the kernel itself runs them afterwards, with its own busy/idle status and its
  own "abort the queue after an error" rule.
* ipykernel 7 hands messages from its shell-channel thread to the main thread over
  an inproc socket; the main thread may already have read some of them (they wait
  for the kernel's lock) before the cell started. The poller must read past the
  next cells to reach the clicks behind them, so it keeps them and, when the
  search ends, gives them back through the socket stream's own callback: exactly
  the path, with the same number of asyncio hops to the lock, as the messages read
  before, so they queue at the lock behind those and ahead of any later one.
  (Scheduling ``kernel.shell_main`` directly took one hop less than the stream's
  wrapped callback, so the replayed cells overtook the one read ahead: a notebook
  ``setup / %%tune / B / C / D`` ran as ``setup, tune, C, D, B``.)

The alternative, running the search loop on a worker thread and leaving the main
thread to the kernel, was rejected: the user's cell code would then run off the
main thread (matplotlib, signal handlers, some GPU libraries and Ctrl-C all
expect the main thread), and the cell would have to return before the search
finished, which breaks "the cell's value is the result".

Written by hand rather than with the ``jupyter-ui-poll`` package: its 1.1.0 polls
through ``kernel.do_one_iteration()``, which ipykernel 7 no longer has (7.1+) or
which reads nothing there (7.0, messages no longer pass ``msg_queue``), and it
swallows the error, so a Stop click waited for the end of the search (checked
with ipykernel 7.4). On ipykernel 6 it replays the held cells by calling
``execute_request`` directly, beside the kernel's queue. Anywhere else ``poll``
does nothing, and the buttons act when the search has ended (the kernel's stop
button still works).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["UIPoller"]

_COMM_TYPES = {"comm_msg", "comm_open", "comm_close", "comm_info_request"}


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (the kernel's interrupt is a SIGINT) until the block is done, then raise it.

    The poller briefly holds queued cells outside the kernel's own queue; an interrupt landing
    there would lose them (the front end would wait for their replies forever).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def _run_now(result: Any) -> None:
    """Drive a coroutine that does not really wait (comm handlers are synchronous) to its end."""
    if not inspect.iscoroutine(result):
        return
    try:
        while True:
            result.send(None)
    except StopIteration:
        return
    except Exception:  # noqa: BLE001 - a broken message must not break the search
        return


def _msg_type(kernel: Any, frames: Any) -> str:
    """The ``msg_type`` of raw shell frames ("" for anything else, e.g. ipykernel's "stop aborting")."""
    session = kernel.session
    try:
        _, rest = session.feed_identities(frames, copy=False)
        return str(session.deserialize(rest, content=False, copy=False)["header"]["msg_type"])
    except Exception:  # noqa: BLE001
        return ""


class UIPoller:
    """Process pending widget messages from inside a running cell, keeping every other message in order.

    Create it on the main thread of a kernel; call :meth:`poll` between trials
    and :meth:`close` when the search ends (it gives the kept messages back).

    Attributes
    ----------
    mode : str
        ``"ipykernel7"``, ``"ipykernel6"``, or ``"none"`` where messages cannot be
        polled (a terminal, another kernel): then :meth:`poll` does nothing.
    """

    def __init__(self) -> None:
        self.kernel: Any = None
        self.mode = "none"
        self._held: list[Any] = []
        self._thread = threading.current_thread()
        self._shell: Any = None
        try:
            from IPython.core.getipython import get_ipython

            self._shell = get_ipython()
            kernel = getattr(self._shell, "kernel", None)
        except Exception:  # noqa: BLE001
            kernel = None
        if kernel is None:
            return
        self.kernel = kernel
        channel = getattr(kernel, "shell_channel_thread", None)
        manager = getattr(channel, "manager", None)
        if hasattr(manager, "_shell_channel_to_main"):
            # only the main shell reads that socket: a cell run in a subshell thread must not touch it
            if self._thread is getattr(channel, "parent_thread", threading.main_thread()):
                self.mode = "ipykernel7"
                # a safety net: messages kept and never given back would leave the next cells waiting forever
                self._shell.events.register("post_run_cell", self._after_cell)
        elif hasattr(kernel, "msg_queue") and getattr(kernel, "shell_stream", None) is not None:
            self.mode = "ipykernel6"

    # -- both kernels ------------------------------------------------------------------

    def _dispatch(self, dispatch: Any) -> None:
        """Run one comm message through the kernel, then point outputs back at the tuning cell."""
        kernel = self.kernel
        parent = kernel.get_parent("shell")
        if hasattr(kernel, "_get_shell_context_var"):  # ipykernel >= 7.2
            ident = kernel._get_shell_context_var(kernel._shell_parent_ident)
        elif hasattr(kernel, "_shell_parent_ident"):  # ipykernel 7.0 / 7.1 (Binder's image)
            ident = kernel._shell_parent_ident.get()
        else:  # ipykernel 6: one identity per channel
            ident = kernel._parent_ident
            ident = ident.get("shell") if isinstance(ident, dict) else ident
        # dispatch_shell's pre/post handler hooks would save the cell's SIGINT handler as the idle one
        sigint = getattr(kernel, "saved_sigint_handler", None)
        try:
            _run_now(dispatch())
        finally:
            kernel.set_parent(ident, parent, channel="shell")  # outputs keep going to the tuning cell
            if sigint is not None:
                kernel.saved_sigint_handler = sigint

    # -- ipykernel 7 -----------------------------------------------------------------

    def _poll7(self, limit: int) -> int:
        import zmq

        kernel = self.kernel
        socket = kernel.shell_channel_thread.manager._shell_channel_to_main.to_socket
        concurrent = "concurrent" in inspect.signature(kernel.dispatch_shell).parameters
        handled = 0
        while handled < limit:
            with _sigint_deferred():  # a message read must be kept or dispatched, never dropped by Ctrl-C
                try:
                    frames = socket.recv_multipart(zmq.NOBLOCK, copy=False)
                except zmq.Again:
                    break
                if _msg_type(kernel, frames) not in _COMM_TYPES:
                    self._held.append(frames)
                    continue
            if concurrent:  # no busy/idle status, as ipykernel does for comms during an async cell
                self._dispatch(lambda f=frames: kernel.dispatch_shell(f, subshell_id=None, concurrent=True))
            else:  # ipykernel 7.0 / 7.1
                self._dispatch(lambda f=frames: kernel.dispatch_shell(f, subshell_id=None))
            handled += 1
        return handled

    def _close7(self) -> None:
        kernel = self.kernel
        stream = getattr(kernel.shell_channel_thread.manager._shell_channel_to_main, "to_stream", None)
        callback = getattr(stream, "_recv_callback", None)
        run = getattr(stream, "_run_callback", None)
        held, self._held = self._held, []
        for frames in held:
            if callback is not None and run is not None:
                run(callback, frames)  # as if the stream had read it now: queued at the lock in order
            else:  # a pyzmq without these internals: the closest path there is
                asyncio.ensure_future(kernel.shell_main(None, frames))

    # -- ipykernel 6 -----------------------------------------------------------------

    def _poll6(self, limit: int) -> int:
        kernel = self.kernel
        kernel.shell_stream.flush()  # the socket's waiting messages into msg_queue, in order
        queue = kernel.msg_queue
        items: list[Any] = []
        comms: list[Any] = []
        with _sigint_deferred():  # the queued cells are out of the queue here: Ctrl-C must not drop them
            while True:
                try:
                    items.append(queue.get_nowait())
                except Exception:  # noqa: BLE001 - asyncio.QueueEmpty (queue.Empty on old kernels)
                    break
            for item in items:
                if len(comms) < limit and self._is_comm6(item):
                    comms.append(item[-1][0])
                else:
                    queue.put_nowait(item)  # back into the queue, in the same order: the kernel runs it later
        for frames in comms:
            self._dispatch(lambda f=frames: kernel.dispatch_shell(f))
        return len(comms)

    def _is_comm6(self, item: Any) -> bool:
        # an item is (index, dispatch, args); schedule_dispatch also queues the GUI event loop's callbacks
        try:
            return bool(item[-2] == self.kernel.dispatch_shell and _msg_type(self.kernel, item[-1][0]) in _COMM_TYPES)
        except Exception:  # noqa: BLE001 - an item we do not know stays where it is
            return False

    # -- public ----------------------------------------------------------------------

    def poll(self, limit: int = 50) -> int:
        """Handle up to ``limit`` pending widget messages; returns how many were handled."""
        if self.mode == "none" or threading.current_thread() is not self._thread:
            return 0
        # no stdout flush here: in a kernel it waits for the IOPub thread, and comm handlers print nothing
        try:
            return self._poll7(limit) if self.mode == "ipykernel7" else self._poll6(limit)
        except Exception:  # noqa: BLE001 - never let the UI break the search
            self.mode = "none"
            return 0

    def close(self) -> None:
        """Give the messages read past back to the kernel, in their order (ipykernel 7 only)."""
        if self._held:
            self._close7()

    def _after_cell(self, *args: Any) -> None:
        self._shell.events.unregister("post_run_cell", self._after_cell)
        self.close()
