"""Handle widget messages (button clicks) while the ``%%tune`` cell is still executing.

Why this is needed: the search runs synchronously inside the cell, on the kernel's
main thread. The kernel reads the next shell message only when the cell returns,
so a click on Stop would wait in a queue until the search ended by itself.

Why this mechanism: between trials (never during one) the panel calls
:meth:`UIPoller.poll`, which takes the shell messages that are waiting for the
main thread and

* dispatches comm messages (``comm_msg``, ``comm_open``, ``comm_close``, which is
  how widget clicks and state changes arrive) right away, through the kernel's
  own ``dispatch_shell`` so ipywidgets sees them exactly as it normally would;
* holds every other message (another cell's ``execute_request``, completion,
  inspection...) back and re-queues it, in order, when the search ends, so no
  other cell ever runs inside this one.

The alternative, running the search loop on a worker thread and leaving the main
thread to the kernel, was rejected: the user's cell code would then run off the
main thread (matplotlib, signal handlers, some GPU libraries and Ctrl-C all
expect the main thread), and the cell would have to return before the search
finished, which breaks "the cell's value is the result".

This is the approach of the ``jupyter-ui-poll`` package, rewritten for the
kernels we support: ipykernel 7 (messages wait on the inproc socket from the
shell-channel thread to the main thread) and ipykernel 6 (``do_one_iteration``
with ``execute_request`` intercepted). Anywhere else ``poll`` does nothing, and
the buttons act when the search has ended (the kernel's stop button still works).
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

__all__ = ["UIPoller"]

_COMM_TYPES = {"comm_msg", "comm_open", "comm_close", "comm_info_request"}


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


class UIPoller:
    """Process pending widget messages from inside a running cell.

    Create it on the main thread of a kernel; call :meth:`poll` between trials
    and :meth:`close` when the search ends (it replays the held-back messages).
    """

    def __init__(self) -> None:
        self.kernel: Any = None
        self.mode = "none"
        self._held: list[Any] = []
        self._held6: list[tuple[Any, Any, Any]] = []
        self._backup: Any = None
        self._thread = threading.current_thread()
        try:
            from IPython.core.getipython import get_ipython

            shell = get_ipython()
            kernel = getattr(shell, "kernel", None)
        except Exception:  # noqa: BLE001
            kernel = None
        if kernel is None:
            return
        self.kernel = kernel
        thread = getattr(kernel, "shell_channel_thread", None)
        if thread is not None and hasattr(getattr(thread, "manager", None), "_shell_channel_to_main"):
            self.mode = "ipykernel7"
        elif hasattr(kernel, "do_one_iteration") and "execute_request" in getattr(kernel, "shell_handlers", {}):
            self.mode = "ipykernel6"

    # -- ipykernel 7 ---------------------------------------------------------------

    def _poll7(self, limit: int) -> int:
        import zmq

        pair = self.kernel.shell_channel_thread.manager._shell_channel_to_main
        socket = pair.to_socket
        handled = 0
        for _ in range(limit):
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                break
            if self._msg_type(frames) in _COMM_TYPES:
                self._dispatch7(frames)
                handled += 1
            else:
                self._held.append(frames)
        return handled

    def _msg_type(self, frames: Any) -> str:
        session = self.kernel.session
        try:
            _, rest = session.feed_identities(frames, copy=False)
            return str(session.deserialize(rest, content=False, copy=False)["header"]["msg_type"])
        except Exception:  # noqa: BLE001
            return ""

    def _dispatch7(self, frames: Any) -> None:
        kernel = self.kernel
        parent = kernel.get_parent("shell")
        if hasattr(kernel, "_get_shell_context_var"):  # ipykernel >= 7.2
            ident = kernel._get_shell_context_var(kernel._shell_parent_ident)
        else:  # ipykernel 7.0 / 7.1 (Binder's image)
            ident = kernel._shell_parent_ident.get()
        try:
            if "concurrent" in inspect.signature(kernel.dispatch_shell).parameters:
                # concurrent=True: no busy/idle status, as ipykernel does for comms during an async cell
                _run_now(kernel.dispatch_shell(frames, subshell_id=None, concurrent=True))
            else:
                _run_now(kernel.dispatch_shell(frames, subshell_id=None))
        finally:
            kernel.set_parent(ident, parent, channel="shell")  # outputs keep going to the tuning cell

    def _replay7(self) -> None:
        import asyncio

        kernel = self.kernel
        for frames in self._held:
            # shell_main waits for the lock the running cell holds, so these run, in order, after it
            asyncio.ensure_future(kernel.shell_main(None, frames))
        self._held.clear()

    # -- ipykernel 6 ---------------------------------------------------------------

    def _poll6(self, limit: int) -> int:
        kernel = self.kernel
        if self._backup is None:
            self._backup = kernel.shell_handlers["execute_request"]
            parent = (kernel._parent_ident, kernel.get_parent())

            async def hold(stream: Any, ident: Any, msg: Any) -> None:
                self._held6.append((stream, ident, msg))
                kernel.set_parent(*parent)

            kernel.shell_handlers["execute_request"] = hold
        for _ in range(limit):
            _run_now(kernel.do_one_iteration())
        return limit

    def _replay6(self) -> None:
        import asyncio

        kernel = self.kernel
        if self._backup is not None:
            kernel.shell_handlers["execute_request"] = self._backup
            self._backup = None
        held, self._held6 = self._held6, []

        async def replay() -> None:
            for stream, ident, msg in held:
                kernel.set_parent(ident, msg)
                await kernel.execute_request(stream, ident, msg)

        if held:
            asyncio.ensure_future(replay())

    # -- public --------------------------------------------------------------------

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
        """Give the held-back messages back to the kernel, in their order."""
        if self.mode == "ipykernel7":
            self.poll(1000)
        if self._held:
            self._replay7()
        if self._backup is not None or self._held6:
            self._replay6()
