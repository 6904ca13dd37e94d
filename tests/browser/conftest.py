"""A throw-away JupyterLab server on 127.0.0.1 and a headless Chromium page, for the browser tests.

Skips with a reason when Chromium or Playwright is missing. Jupyter's config,
data, runtime and IPython dirs live in a temp dir; the server is shut down
through its API (which also stops the kernels) when the test ends.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SETTINGS = {  # user settings that keep the check quiet and deterministic
    "docmanager-extension/plugin": {"autosave": False},
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "notebook-extension/tracker": {"autoStartDefaultKernel": True, "windowingMode": "none"},
}


class Lab:
    def __init__(self, base: str, token: str, root: Path) -> None:
        self.base, self.token, self.root = base, token, root

    def api(self, path: str, **kw):
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"token {self.token}"}, **kw)
        return urllib.request.urlopen(req, timeout=10)


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 exposing its app as ``window.jupyterapp``; stopped afterwards."""
    _require_browser()  # CI sets JHPO_REQUIRE_BROWSER=1: there a missing browser is a failure, not a skip
    yield from _serve(
        tmp_path,
        [
            "jupyterlab",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
    )


def _browser_page() -> Iterator[Any]:
    """A headless Chromium page (Debian's binary) that collects the page's uncaught errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            pg = browser.new_page(viewport={"width": 1300, "height": 1000})
            pg.errors = []
            pg.on("pageerror", lambda e: pg.errors.append(str(e)))
            yield pg
        finally:
            browser.close()


@pytest.fixture
def page(lab):
    yield from _browser_page()


# Append a cell to the open notebook and start it without waiting (tests press buttons while it runs).
RUN_NEW_CELL = """([name, source]) => {
  const app = window.jupyterapp;
  const nb = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === name);
  const n = nb.content.model.cells.length;
  nb.content.model.sharedModel.insertCell(n, {cell_type: 'code', source: source});
  nb.content.activeCellIndex = n;
  app.commands.execute('notebook:run-cell');
  return n;
}"""


# Open notebook NAME, wait for its kernel, run every cell; returns the run's result and the cells.
RUN_ALL = """async ([name, ms]) => {
  const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('timeout after ' + ms + ' ms')), ms));
  const run = async () => {
    const app = window.jupyterapp; await app.restored;
    let nb;
    while (!(nb = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === name)))
      await new Promise(r => setTimeout(r, 200));
    await nb.context.ready; await nb.sessionContext.ready;
    const kernel = nb.sessionContext.session.kernel; await kernel.info;
    const res = await app.commands.execute('notebook:run-all-cells');
    return {res: res, cells: nb.content.widgets.map(w => w.model.toJSON())};
  };
  return Promise.race([run(), timeout]);
}"""


# -- the server recipe (JupyterLab, and Notebook 7: another front end) -----------------------------


def run_all_cleanly(lab: Any, page: Any, name: str) -> dict[str, Any]:
    """Open notebook ``name`` of ``lab`` in ``page``, Run All, and assert that no cell raised."""
    page.goto(f"{lab.base}/lab/tree/{urllib.parse.quote(name)}?token={lab.token}")
    page.wait_for_function("() => window.jupyterapp", timeout=60_000)
    out: dict[str, Any] = page.evaluate(RUN_ALL, [name, 240_000])
    outputs = [o for c in out["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]
    assert out["res"] is True and not errors, (errors, [o.get("text", "")[-800:] for o in outputs])
    return out


def _serve(tmp_path: Path, argv: list[str]) -> Iterator[Lab]:
    """Run the Jupyter server ``argv`` (its module and app options) on 127.0.0.1; yield it, then shut it down."""
    root = tmp_path / "root"
    root.mkdir()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
        IPYTHONDIR=str(tmp_path / "ipy"),
    )
    for rel, value in SETTINGS.items():
        f = tmp_path / "cfg/lab/user-settings/@jupyterlab" / f"{rel}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = os.urandom(16).hex()
    cmd = [sys.executable, "-m", *argv, "--no-browser", "--ip=127.0.0.1", f"--port={port}"]
    cmd += ["--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    cmd.append(f"--FileCheckpoints.checkpoint_dir={tmp_path / 'ckpt'}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    app = Lab(f"http://127.0.0.1:{port}", token, root)
    try:
        deadline = time.time() + 90
        while True:
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{argv[0]} did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            try:
                app.api("/api/status")
                break
            except OSError:
                time.sleep(0.25)
        yield app
    finally:
        try:
            app.api("/api/shutdown", method="POST")
            server.wait(timeout=20)
        except Exception:  # noqa: BLE001
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()


def _require_browser() -> None:
    missing = pytest.fail if os.environ.get("JHPO_REQUIRE_BROWSER") else pytest.skip
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=...)")


@pytest.fixture
def notebook7(tmp_path):
    """A Notebook 7 server (``pip install notebook``) exposing its app as ``window.jupyterapp``."""
    _require_browser()
    try:
        import notebook

        major = int(notebook.__version__.split(".")[0])
    except (ImportError, ValueError):
        major = 0
    if major < 7:
        (pytest.fail if os.environ.get("JHPO_REQUIRE_BROWSER") else pytest.skip)("Notebook 7 is not installed")
    yield from _serve(tmp_path, ["notebook", "--JupyterNotebookApp.expose_app_in_browser=True"])


@pytest.fixture
def notebook7_page(notebook7):
    """A headless Chromium page for the Notebook 7 server (as ``page`` is for JupyterLab)."""
    yield from _browser_page()
