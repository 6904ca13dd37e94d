"""How much the live panel costs a search, and how big a saved notebook gets.

    python benchmarks/panel.py                 # both measurements below (about a minute)
    python benchmarks/panel.py --trials 1000 --repeat 3 --big 10000

1. Overhead, in a real kernel (nbclient starts ipykernel; widgets talk over a real
   comm and ZMQ): the same ``%%tune`` cell with 1,000 trivial trials, once with
   ``--quiet`` and once with the panel, alternating, ``--repeat`` times; the
   median wall time of each (``time.perf_counter`` around the cell, inside the
   kernel). Target: panel <= 1.2 x quiet.
   The same comparison also runs in this process with a fake comm that
   JSON-encodes every message (what the kernel's comm would do), to separate the
   panel's own cost from the kernel's messaging.
2. Scale: a 10,000-trial study in a real kernel, the notebook saved with widget
   state (as JupyterLab does with "save widget state"); its size on disk and the
   panel's slowest redraw. Target: under 5 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CELL = "x = 0.5  # tune: uniform(0, 1)\ny = 3  # tune: integer(1, 10)\nscore = -(x - 0.3) ** 2 + y\n"


def in_process(trials: int, repeat: int) -> dict[str, float]:
    import comm
    import ipywidgets.comm

    class JsonComm:  # stands in for the kernel comm; encoding is the part of sending that costs
        def __init__(self, *a, **k):
            self.comm_id, self.kernel, self.sent = "bench", "bench", 0

        def open(self, *a, **k): ...
        def on_msg(self, *a, **k): ...
        def close(self, *a, **k): ...

        def send(self, data=None, metadata=None, buffers=None):
            json.dumps(data, default=str)
            self.sent += 1

    comm.create_comm = ipywidgets.comm.create_comm = lambda *a, **k: JsonComm()
    import IPython.display

    IPython.display.display = lambda *a, **k: None  # no front end here
    from jhpo.cell import TuneOptions, tune_cell
    from jhpo.ui import panel as panel_mod

    panel_mod.display = panel_mod.update_display = lambda *a, **k: None
    times: dict[str, list[float]] = {"quiet": [], "panel": [], "quiet_cpu": [], "panel_cpu": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeat):
            for mode in ("quiet", "panel"):
                opts = TuneOptions(
                    strategy="random",
                    trials=trials,
                    objective="score",
                    seed=r,
                    quiet=mode == "quiet",
                    storage=os.path.join(tmp, f"{mode}{r}.db"),
                    apply=False,
                )
                observers = [] if mode == "quiet" else [panel_mod.Panel()]
                t0, c0 = time.perf_counter(), time.process_time()
                tune_cell(CELL, {}, opts, observers=observers)
                times[mode].append(time.perf_counter() - t0)
                times[mode + "_cpu"].append(time.process_time() - c0)
    return {k: statistics.median(v) for k, v in times.items()}


KERNEL_TIMING = """
import time, json
_t0, _c0 = time.perf_counter(), time.process_time()
get_ipython().run_cell_magic("tune", {line!r}, {cell!r})
print(json.dumps({{"mode": {mode!r}, "seconds": time.perf_counter() - _t0}}))
print(json.dumps({{"mode": {mode!r} + "_cpu", "seconds": time.process_time() - _c0}}))
"""


def in_kernel(trials: int, repeat: int) -> dict[str, float]:
    import nbformat
    from nbclient import NotebookClient

    # The first panel of a kernel imports ipywidgets and bqplot: a one-time cost, measured apart
    warm = "%load_ext jhpo\nimport time, json\n_t0 = time.perf_counter()\nimport jhpo.ui.panel\n"
    warm += "print(json.dumps({'mode': 'import', 'seconds': time.perf_counter() - _t0}))"
    cells = [nbformat.v4.new_code_cell(warm)]
    for r in range(repeat):
        for mode in ("quiet", "panel"):
            line = f"--strategy random --trials {trials} --maximize score --seed {r} --study {mode}{r} --no-apply"
            line += " --quiet" if mode == "quiet" else ""
            cells.append(nbformat.v4.new_code_cell(KERNEL_TIMING.format(line=line, cell=CELL, mode=mode)))
    nb = nbformat.v4.new_notebook(cells=cells)
    with tempfile.TemporaryDirectory() as tmp:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
    times: dict[str, list[float]] = {"quiet": [], "panel": [], "import": [], "quiet_cpu": [], "panel_cpu": []}
    for c in nb.cells:
        for o in c.outputs:
            if o.get("name") == "stdout":
                for line in o["text"].splitlines():
                    if line.startswith("{"):
                        d = json.loads(line)
                        times[d["mode"]].append(d["seconds"])
    print("  each run (s):", {k: [round(x, 3) for x in v] for k, v in times.items()}, flush=True)
    return {k: statistics.median(v) for k, v in times.items()}


def big_notebook(trials: int) -> dict[str, float]:
    import nbformat
    from nbclient import NotebookClient

    cell = (
        "%%tune --strategy random --trials {n} --maximize score --seed 0 --study big --no-apply -o res\n" + CELL
    ).format(n=trials)
    stats = (
        "p = [o for o in res.study.observers if hasattr(o, 'stats')]\n"
        "import json; print(json.dumps(p[0].stats if p else {}))"
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext jhpo"),
            nbformat.v4.new_code_cell(cell),
            nbformat.v4.new_code_cell(stats),
        ]
    )
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        NotebookClient(
            nb, timeout=1200, kernel_name="python3", store_widget_state=True, resources={"metadata": {"path": tmp}}
        ).execute()
        seconds = time.perf_counter() - t0
        path = Path(tmp) / "big.ipynb"
        nbformat.write(nb, path)
        size = path.stat().st_size
    draw = json.loads(nb.cells[2].outputs[0]["text"].strip().splitlines()[-1]) if nb.cells[2].outputs else {}
    return {"trials": trials, "seconds": seconds, "notebook_mb": size / 1e6, **draw}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big", type=int, default=10_000, help="trials of the saved-notebook check (0: skip)")
    ap.add_argument("--skip-kernel", action="store_true", help="only the in-process measurement")
    a = ap.parse_args()
    r = in_process(a.trials, a.repeat)
    print(
        f"in process, fake JSON comm, {a.trials} trials: quiet {r['quiet']:.2f} s, panel {r['panel']:.2f} s, "
        f"ratio {r['panel'] / r['quiet']:.2f}; CPU time quiet {r['quiet_cpu']:.2f} s, panel {r['panel_cpu']:.2f} s, "
        f"ratio {r['panel_cpu'] / r['quiet_cpu']:.2f}",
        flush=True,
    )
    if a.skip_kernel:
        return
    r = in_kernel(a.trials, a.repeat)
    print(
        f"real kernel (nbclient), {a.trials} trials: quiet {r['quiet']:.2f} s, panel {r['panel']:.2f} s, "
        f"ratio {r['panel'] / r['quiet']:.2f}; kernel CPU time quiet {r['quiet_cpu']:.2f} s, panel "
        f"{r['panel_cpu']:.2f} s, ratio {r['panel_cpu'] / r['quiet_cpu']:.2f}; once per kernel before that, "
        f"importing the widget stack "
        f"took {r['import']:.2f} s",
        flush=True,
    )
    if a.big:
        b = big_notebook(a.big)
        print(
            f"{b['trials']} trials in a real kernel: {b['seconds']:.1f} s end to end, saved notebook with widget "
            f"state {b['notebook_mb']:.2f} MB; panel drew {b.get('draws', '?')} times, slowest "
            f"{b.get('max_draw_seconds', float('nan')) * 1000:.0f} ms, total "
            f"{b.get('draw_seconds', float('nan')):.2f} s",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
