"""Binder, checked offline: the configuration repo2docker reads, and a launch rebuilt in a fresh venv.

mybinder.org builds the repository with repo2docker: a base environment with its own, pinned
Jupyter stack (from repo2docker's conda lock file), then ``pip install -r binder/requirements.txt``,
then ``binder/postBuild``. There is no Docker here, so the slow tests

* run ``repo2docker --no-build --debug`` to get the Dockerfile Binder would build, and
* rebuild the same environment in a fresh venv: the base's Jupyter pins read from repo2docker's
  lock file, then our requirements and postBuild exactly as repo2docker runs them; then they
  check that nothing moved the base's front end, and execute every notebook there.

repo2docker is pip-installed into a venv of the test's own; without a package index the slow
tests skip and say so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
#: The packages of Binder's base environment that decide what the browser runs, or that a
#: notebook's kernel needs; their versions come from repo2docker's lock file.
BASE_PACKAGES = (
    "jupyterlab notebook jupyter_server ipywidgets ipykernel ipython jupyterlab_widgets "
    "widgetsnbextension nbclient nbformat nbconvert jupyter_client jupyter_core traitlets "
    "tornado comm"
).split()
#: The packages pip must not move: the Jupyter front end and the widget protocol's two sides.
FRONT_END = ("jupyterlab", "notebook", "ipykernel", "ipywidgets", "jupyterlab_widgets")


def requirement_names(text: str) -> dict[str, str]:
    """``{normalized name: specifier}`` of a requirements file or a dependency list."""
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)", line)
        assert m, line
        out[normalize(m.group(1))] = m.group(3).strip()
    return out


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def base_pins(lock_text: str) -> dict[str, str]:
    """Versions of :data:`BASE_PACKAGES` in a conda-lock ``@EXPLICIT`` file (``name-version-build.conda``)."""
    found = {}
    for m in re.finditer(r"/([^/\s]+)\.(?:conda|tar\.bz2)", lock_text):
        name, version, _build = m.group(1).rsplit("-", 2)
        found[normalize(name)] = version
    found["nbconvert"] = found.pop("nbconvert_core")
    return {n: found[n] for n in BASE_PACKAGES}


# -- quick checks of the files themselves --------------------------------------------------------


def test_requirements_list_every_dependency_of_jhpo() -> None:
    # postBuild installs jhpo with --no-deps, so a dependency missing here is missing on Binder.
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    wanted = set(requirement_names("\n".join(deps))) - {"ipython"}  # ipython: in Binder's base
    listed = requirement_names((BINDER / "requirements.txt").read_text())
    assert wanted <= set(listed), f"add to binder/requirements.txt: {sorted(wanted - set(listed))}"
    assert "matplotlib" in listed, "the course notebooks plot with matplotlib"
    for name in FRONT_END:
        assert name in ("ipywidgets", "jupyterlab_widgets") or name not in listed, (
            f"{name} comes with Binder's base image; listing it invites pip to move the front end"
        )
    assert listed["ipywidgets"].startswith("==") and listed["jupyterlab_widgets"].startswith("==")


def test_runtime_and_postbuild() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "repo2docker chmods postBuild, but a checkout should run it too"
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -e" in text
    assert re.search(r"pip install .*--no-deps -e \.", text)


def test_notebooks_use_only_what_binder_installs() -> None:
    # Every module a notebook imports is in Binder's base, in requirements.txt, or jhpo/stdlib.
    listed = set(requirement_names((BINDER / "requirements.txt").read_text())) | set(BASE_PACKAGES)
    listed |= {"sklearn", "IPython", "jhpo"}  # import names that differ from the distribution's
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for mod in re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", source, re.M):
            if mod in sys.stdlib_module_names:
                continue
            assert normalize(mod) in listed or mod in listed, f"{nb.name} imports {mod}, which Binder does not install"


# -- repo2docker in a venv of its own ------------------------------------------------------------


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path / "bin"


def pip_install(bin_dir: Path, *args: str, cwd: Path | None = None) -> None:
    proc = run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
        cwd=cwd,
        timeout=900,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        if any(
            s in proc.stderr
            for s in (
                "No matching distribution",
                "Could not find a version",
                "NewConnectionError",
                "Temporary failure in name resolution",
            )
        ):
            pytest.skip(f"pip cannot install {' '.join(args)} here (no package index?): {' | '.join(tail)}")
        raise AssertionError(f"pip install {' '.join(args)} failed:\n{proc.stderr[-3000:]}")


@pytest.fixture(scope="module")
def repo2docker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a venv holding jupyter-repo2docker (the test's own, not the project's)."""
    bin_dir = make_venv(tmp_path_factory.mktemp("r2d") / "venv")
    pip_install(bin_dir, "jupyter-repo2docker")
    return bin_dir


@pytest.fixture(scope="module")
def pins(repo2docker: Path) -> dict[str, str]:
    """Binder's base Jupyter stack for Python 3.11, from the lock file repo2docker builds it from."""
    proc = run(
        [
            str(repo2docker / "python"),
            "-c",
            "import repo2docker, pathlib; print(pathlib.Path("
            "repo2docker.__file__).parent / 'buildpacks/conda/environment.py-3.11-linux-64.lock')",
        ],
        check=True,
    )
    return base_pins(Path(proc.stdout.strip()).read_text())


@pytest.mark.slow
def test_repo2docker_produces_the_dockerfile(repo2docker: Path, pins: dict[str, str], tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    proc = run([str(repo2docker / "repo2docker"), "--no-build", "--debug", str(repo)], timeout=300)
    dockerfile = proc.stdout + proc.stderr
    assert proc.returncode == 0, dockerfile[-3000:]
    assert "FROM docker.io/library/buildpack-deps" in dockerfile
    assert "Building conda environment for python=3.11" in dockerfile, "runtime.txt selects Binder's Python 3.11"
    assert "/tmp/env/environment.lock" in dockerfile, "the base environment comes from repo2docker's lock file"
    assert re.search(r'RUN .*pip install --no-cache-dir -r "binder/requirements.txt"', dockerfile)
    assert "RUN ./binder/postBuild" in dockerfile
    # The widget pins are the base's own versions, so pip changes nothing the browser loads.
    listed = requirement_names((BINDER / "requirements.txt").read_text())
    for name in ("ipywidgets", "jupyterlab_widgets"):
        assert listed[name] == f"=={pins[name]}", f"pin {name}=={pins[name]} (Binder's base) in binder/requirements.txt"


def copy_repo(dest: Path) -> Path:
    """What Binder needs of a checkout (postBuild's editable install writes its egg-info into the copy)."""
    ignore = shutil.ignore_patterns(".jhpo", "__pycache__", "*.egg-info", ".ipynb_checkpoints")
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("jhpo", "notebooks", "binder"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest


#: Executes notebooks with nbclient inside the Binder venv and prints one JSON line per notebook.
EXECUTE = r"""
import json, sys, time, nbformat
from pathlib import Path
from nbclient import NotebookClient
for path in map(Path, sys.argv[1:]):
    nb = nbformat.read(path, as_version=4)
    started, error = time.monotonic(), None
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as exc:
        error = f"{type(exc).__name__}: {str(exc)[-1500:]}"
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    modules = sorted({(w["model_module"], w["model_module_version"]) for w in state.values()})
    print(json.dumps({"name": path.name, "seconds": round(time.monotonic() - started, 1), "error": error,
                      "modules": modules}), flush=True)
"""


@pytest.mark.slow
@pytest.mark.notebook
def test_binder_environment_runs_the_notebooks(pins: dict[str, str], tmp_path: Path) -> None:
    started = time.monotonic()
    repo = copy_repo(tmp_path / "repo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "MPLBACKEND"))}
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(tmp_path / var.lower())
    bin_dir = make_venv(tmp_path / "venv")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # 1. Binder's base: its Jupyter stack at the lock file's versions
    pip_install(bin_dir, *(f"{n}=={v}" for n, v in pins.items()))
    # 2. what repo2docker runs: requirements from the repository root, then postBuild
    pip_install(bin_dir, "--no-cache-dir", "-r", "binder/requirements.txt", cwd=repo)
    post = run(["bash", "binder/postBuild"], cwd=repo, env=env, timeout=600)
    assert post.returncode == 0, post.stdout + post.stderr
    built = time.monotonic() - started

    # Nothing the browser loads moved: the front end and the widget protocol are the base's.
    versions = json.loads(
        run(
            [
                str(bin_dir / "python"),
                "-c",
                "import json, importlib.metadata as m; print(json.dumps({n: m.version(n) for n in "
                f"{list(FRONT_END) + ['bqplot', 'jhpo']!r}}}))",
            ],
            env=env,
            check=True,
        ).stdout
    )
    for name in FRONT_END:
        assert versions[name] == pins[name], f"installing binder/requirements.txt moved {name} to {versions[name]}"
    labext = run([str(bin_dir / "jupyter"), "labextension", "list"], env=env)
    listing = labext.stdout + labext.stderr
    for ext in ("bqplot", "@jupyter-widgets/jupyterlab-manager"):
        assert re.search(rf"{re.escape(ext)} v[\d.]+ .*enabled.*OK", listing), listing
    bqplot_front = re.search(r"bqplot v([\d.]+)", listing).group(1)  # type: ignore[union-attr]

    # 3. every notebook, in two kernels at a time (the lessons are single-threaded)
    script = tmp_path / "execute.py"
    script.write_text(EXECUTE)
    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    halves = [notebooks[0::2], notebooks[1::2]]
    procs = [
        subprocess.Popen(
            [str(bin_dir / "python"), str(script), *map(str, part)],
            env=env,
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for part in halves
        if part
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=1200)
        assert proc.returncode == 0, err[-3000:]
        results += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert sorted(r["name"] for r in results) == [p.name for p in notebooks]
    for r in results:
        assert r["error"] is None, f"{r['name']} failed in the Binder environment: {r['error']}"
    # The panel's widgets were created against the front-end versions Binder serves.
    modules = {m for r in results for m in map(tuple, r["modules"])}
    assert ("@jupyter-widgets/controls", "2.0.0") in modules, modules
    for module, version in modules:
        if module == "bqplot":
            assert version.lstrip("^~=") == bqplot_front, (
                f"bqplot models ask for {version}, the lab serves {bqplot_front}"
            )
    total = time.monotonic() - started
    print(
        f"binder environment built in {built:.0f} s; notebooks: "
        + ", ".join(f"{r['name']} {r['seconds']:.0f} s" for r in results)
        + f"; total {total:.0f} s"
    )
