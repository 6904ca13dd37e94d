"""The course notebooks (notebooks/02_* ... 11_*) run top to bottom and show what their prose claims.

Each test executes one lesson in a real kernel (nbclient, widget state stored) inside a temporary
copy of the notebooks folder, then reads the numbers the lesson prints and checks the lesson's
point: random beats grid when few hyperparameters matter, the tuned model beats the defaults, a
too-large learning rate diverges, and so on. A lesson that runs but no longer makes its point fails.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if p.name[:2] >= "02")
#: The issue's bound for one lesson on 2 cores (the lessons aim at 30-60 s).
MAX_SECONDS = 120

FLOAT = r"(-?[\d.]+(?:e-?\d+)?)"


class Executed:
    """An executed lesson: its text output, figures, widget models and run time."""

    def __init__(self, nb: nbformat.NotebookNode, seconds: float, folder: Path) -> None:
        self.nb, self.seconds, self.folder = nb, seconds, folder
        parts, self.images, self.errors = [], 0, []
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    self.errors.append(out.get("ename", ""))
                data = out.get("data", {})
                self.images += "image/png" in data
                parts.append(out.get("text", "") or data.get("text/plain", ""))
        self.text = "\n".join(parts)
        state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
        self.widgets: dict[str, Any] = state.get("state", {})

    def number(self, pattern: str) -> float:
        """The first number captured by ``pattern`` (FLOAT marks it) in the printed text."""
        m = re.search(pattern.replace("FLOAT", FLOAT), self.text)
        assert m, f"the lesson no longer prints {pattern!r}; its output ends with:\n{self.text[-3000:]}"
        return float(m.group(1))

    def numbers(self, pattern: str) -> tuple[float, ...]:
        m = re.search(pattern.replace("FLOAT", FLOAT), self.text)
        assert m, f"the lesson no longer prints {pattern!r}; its output ends with:\n{self.text[-3000:]}"
        return tuple(float(g) for g in m.groups())

    def widget_modules(self) -> set[str]:
        return {w.get("model_module", "") for w in self.widgets.values()}


def execute(name: str, tmp_path: Path, timeout: int = 300) -> Executed:
    """Run a lesson in a copy of the notebooks folder (so its .jhpo/ storage lands in tmp_path)."""
    from nbclient import NotebookClient

    work = tmp_path / "notebooks"
    if not work.exists():  # a second run in the same tmp_path re-runs the lesson in place
        shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns(".jhpo", ".ipynb_checkpoints"))
    nb = nbformat.read(work / name, as_version=4)
    started = time.monotonic()
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", store_widget_state=True, resources={"metadata": {"path": str(work)}}
    ).execute()
    return Executed(nb, time.monotonic() - started, work)


def check_common(run: Executed, min_images: int) -> None:
    assert not run.errors, run.errors
    assert run.images >= min_images, f"{run.images} figures, expected at least {min_images}"
    assert run.seconds < MAX_SECONDS, f"the lesson took {run.seconds:.0f} s (limit {MAX_SECONDS} s)"
    assert (run.folder / ".jhpo" / "studies.db").exists(), "studies are stored beside the notebook"


@pytest.fixture(autouse=True)
def _inline_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest.py sets MPLBACKEND=Agg for the test process; kernels inherit it and would then draw
    # no figures at all. A lesson's kernel should use the notebook's inline backend.
    monkeypatch.delenv("MPLBACKEND", raising=False)


def test_every_notebook_is_in_sync_with_its_source_and_committed_without_outputs() -> None:
    import sys

    sys.path.insert(0, str(NOTEBOOKS.parent / "tools"))
    try:
        import make_notebooks
    finally:
        sys.path.pop(0)
    pairs = make_notebooks.pairs()
    assert [nb.name for _, nb in pairs if nb.name[:2] >= "02"] == LESSONS
    for source, path in pairs:
        assert source.exists(), f"{path.name} has no source: run `python tools/make_notebooks.py --from-notebooks`"
        assert path.exists(), f"{source.name} has no notebook: run `python tools/make_notebooks.py`"
        nb = nbformat.read(path, as_version=4)
        expected = make_notebooks.notebook_of(source)
        assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source) for c in expected.cells], (
            f"{path.name} differs from course/{source.name}: run `python tools/make_notebooks.py` "
            "(source -> notebook) or `python tools/make_notebooks.py --from-notebooks` (notebook -> source)"
        )
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name
        sources = "\n".join(c.source for c in nb.cells)
        assert "Try it" in sources, f"{path.name} has no question for the reader"
        for line in sources.splitlines():
            if line.startswith("%%tune"):
                assert "--seed" in line or "--strategy grid" in line, f"{path.name}: unseeded search: {line}"
                assert "--study" in line and "--resume" in line, f"{path.name}: re-running would fail: {line}"
        assert "fetch_" not in sources and "http" not in sources.replace("https://mybinder", ""), (
            f"{path.name} must not download anything"
        )


@pytest.mark.notebook
def test_lesson_bias_variance(tmp_path: Path) -> None:
    run = execute("02_bias_variance.ipynb", tmp_path)
    check_common(run, min_images=5)
    train1, val1 = run.numbers(r"degree 1: train error FLOAT, validation error FLOAT")
    train15, val15 = run.numbers(r"degree 15: train error FLOAT, validation error FLOAT")
    assert train15 < train1 and val15 > val1, "degree 15 should overfit and degree 1 underfit"
    assert val15 > 3 * train15
    best = run.number(r"best degree on validation: FLOAT")
    assert 2 <= best <= 8
    tree_train, tree_val = run.numbers(r"tree depth 12: train accuracy FLOAT, validation accuracy FLOAT")
    assert tree_train == 1.0 and tree_val < 0.97
    default = run.number(r"defaults \(degree 15, alpha 1e-9\): validation error FLOAT")
    tuned = run.number(r"tuned \(degree \d+, alpha [^)]+\): validation error FLOAT")
    assert tuned < default / 5, "tuning degree and alpha should beat the overfitting defaults by far"
    # the tuned variables were applied to the notebook: its model is the best trial's
    assert run.number(r"best trial's: train error [\d.]+, validation error FLOAT") == pytest.approx(tuned, abs=1e-3)
    assert any("bqplot" in m for m in run.widget_modules()), "the live panel with its plots was drawn"


@pytest.mark.notebook
def test_lesson_grid_vs_random(tmp_path: Path) -> None:
    run = execute("03_grid_vs_random.ipynb", tmp_path)
    check_common(run, min_images=3)
    n_grid, grid = run.numbers(r"grid: 16 trials, (\d+) distinct learning rates, best score FLOAT")
    n_rand, rand = run.numbers(r"random: 16 trials, (\d+) distinct learning rates, best score FLOAT")
    n_sobol, sobol = run.numbers(r"sobol: 16 trials, (\d+) distinct learning rates, best score FLOAT")
    assert (n_grid, n_rand, n_sobol) == (4, 16, 16)
    assert rand > grid + 0.2 and sobol > grid + 0.2, "random and Sobol should beat grid when one parameter matters"
    for d in (3, 6):
        g, r, s = run.numbers(rf"d={d}: grid FLOAT, random FLOAT, sobol FLOAT")
        assert r > g + 0.2 and s > g + 0.2, f"with {d} hyperparameters random/Sobol should beat grid"
    r_disc, s_disc = run.numbers(r"discrepancy of 16 points: random FLOAT, sobol FLOAT")
    assert s_disc < r_disc / 2, "Sobol points are spread more evenly than random ones"


@pytest.mark.notebook
def test_lesson_neural_network(tmp_path: Path) -> None:
    run = execute("07_neural_network.ipynb", tmp_path)
    check_common(run, min_images=5)
    small = run.numbers(r"lr=0.001: final training loss FLOAT, validation accuracy FLOAT \(too slow\)")
    right = run.numbers(r"lr=0.1: final training loss FLOAT, validation accuracy FLOAT \(converged\)")
    large = run.numbers(r"lr=10.0: final training loss FLOAT, validation accuracy FLOAT \(diverged\)")
    assert right[0] < small[0] and right[0] < large[0]
    assert right[1] > 0.9 and large[1] < 0.2 and small[1] < right[1] - 0.3
    best_lr, best_acc, default_acc = run.numbers(
        r"best learning rate FLOAT: validation accuracy FLOAT \(the cell's default 0.001: FLOAT\)"
    )
    assert 0.01 < best_lr < 3 and best_acc > default_acc + 0.3
    assert any("bqplot" in m for m in run.widget_modules()), "the learning-rate search shows its live panel"
    lo_c, hi_c = run.numbers(r"schedule constant: over the last 6 epochs the loss moved between FLOAT and FLOAT")
    for schedule in ("step", "cosine"):
        lo, hi = run.numbers(rf"schedule {schedule}: over the last 6 epochs the loss moved between FLOAT and FLOAT")
        assert hi - lo < (hi_c - lo_c) / 5, f"a {schedule} schedule should settle where constant bounces"
    sgd = run.number(r"SGD: loss after 15 epochs FLOAT")
    momentum = run.number(r"SGD \+ momentum 0.9: loss after 15 epochs FLOAT")
    adam = run.number(r"Adam: loss after 15 epochs FLOAT")
    assert momentum < sgd / 2 and adam < sgd / 2
    assert run.number(r"tuned: validation accuracy FLOAT") > run.number(r"defaults: validation accuracy FLOAT") + 0.05
    sk_default = run.number(r"MLPClassifier defaults: validation accuracy FLOAT")
    assert run.number(r"MLPClassifier tuned: validation accuracy FLOAT") > sk_default + 0.1


@pytest.mark.notebook
def test_lesson_regularization(tmp_path: Path) -> None:
    run = execute("08_regularization.ipynb", tmp_path)
    check_common(run, min_images=5)
    train, val = run.numbers(r"no regularization: train accuracy FLOAT, validation accuracy FLOAT")
    assert train == 1.0 and val < 0.85, "without regularization the network memorizes the noisy labels"
    best_epoch, final = run.numbers(r"validation loss is lowest at epoch (\d+) \([\d.]+\) and ends at FLOAT")
    assert best_epoch < 40 and final > run.number(r"validation loss is lowest at epoch \d+ \(FLOAT\)")
    wd_train, wd_val = run.numbers(r"weight decay 0.01: train accuracy FLOAT, validation accuracy FLOAT")
    assert wd_train < train and wd_val > val + 0.03
    assert run.number(r"weight decay 0.1: train accuracy FLOAT") < 0.7, "too much weight decay underfits"
    dr_train, dr_val = run.numbers(r"dropout 0.6: train accuracy FLOAT, validation accuracy FLOAT")
    assert dr_train < train and dr_val > val + 0.03
    epochs, es_val = run.numbers(r"patience 5: stopped after (\d+) of 80 epochs, validation accuracy FLOAT")
    assert epochs < 40 and es_val > val + 0.03
    default_val, default_test = run.numbers(r"no regularization: validation accuracy FLOAT, test accuracy FLOAT")
    tuned_val, tuned_test = run.numbers(r"tuned \(.*\): validation accuracy FLOAT, test accuracy FLOAT")
    assert tuned_val > default_val + 0.05
    assert tuned_test > default_test + 0.03, "the tuned network also wins on test digits no search saw"


@pytest.mark.notebook
def test_lesson_bayesian_optimization(tmp_path: Path) -> None:
    run = execute("04_bayesian_optimization.ipynb", tmp_path)
    check_common(run, min_images=2)
    assert len(re.findall(r"step \d: next x = [\d.]+ \((explore|exploit)\) -> score", run.text)) == 4, (
        "each model-guided step prints its proposal and the strategy's reason"
    )
    true_best = run.number(r"the true best: x = [\d.]+, score FLOAT")
    found_x, found = run.numbers(r"bayes after 11 trials: best x = FLOAT, score FLOAT")
    assert found > true_best - 0.05 and abs(found_x - 0.31) < 0.1, "11 trials find the global bump"
    rand_best, bayes_best = run.numbers(r"random: best accuracy FLOAT; bayes: best accuracy FLOAT")
    assert bayes_best > 0.95 and bayes_best >= rand_best - 0.01
    rand_good = run.number(r"random: (\d+) of its last 10 trials scored above 0.9")
    bayes_good = run.number(r"bayes: (\d+) of its last 10 trials scored above 0.9")
    assert bayes_good >= 7 and bayes_good > rand_good, "the model concentrates trials where accuracy is high"
    assert re.search(r"why bayes chose its last trial: (Explore|Exploit)", run.text)
    # the 2-D figure: three filled contour panels (mean, std, acquisition) were drawn
    assert run.images >= 2


@pytest.mark.notebook
def test_lesson_hyperband(tmp_path: Path) -> None:
    run = execute("05_hyperband.ipynb", tmp_path)
    check_common(run, min_images=2)
    n, pruned, epochs = run.numbers(r"(\d+) trials, (\d+) stopped \(PRUNED\), (\d+) epochs in all")
    assert n == 69 and pruned >= 10, "successive halving stopped the configurations it did not promote"
    assert epochs < 69 * 27 / 3, "hyperband spends far less than every trial at full budget"
    for row in ("0     0       1       27", "0     3      27        1", "3     0      27        4"):
        assert re.search(row.replace(" ", r"\s+"), run.text), f"schedule row {row!r} missing"
    assert re.search(
        r"why trial \d+ was stopped: hyperband bracket 0, rung \d \(budget \d+\): .*promotion threshold", run.text
    )
    configs, hb_best = run.numbers(r"hyperband: (\d+) configurations tried, best accuracy FLOAT")
    full_configs, full_best = run.numbers(r"random at full budget: (\d+) configurations tried, best accuracy FLOAT")
    assert configs > 2 * full_configs and hb_best > 0.9
    stopped, total, ran, planned = run.numbers(
        r"median pruner: (\d+) of (\d+) trials stopped early; (\d+) of (\d+) epochs run"
    )
    assert stopped >= 1 and ran < planned
    assert re.search(r"for example trial \d+: median pruner, step \d+", run.text)
    assert "data budgets used: 0.11, 0.33, 1.00" in run.text
    seconds = run.number(r"\d+ trials in FLOAT s of training")
    assert seconds <= 15 + 5, "--timeout bounds the search"
    # the same 15 s on growing fractions vs on the full data: subsets screen more configurations
    sub_configs, sub_best = run.numbers(
        r"growing fractions: (\d+) configurations in \d+ s, best full-data accuracy FLOAT"
    )
    full_configs, full_best = run.numbers(
        r"full data only: (\d+) configurations in \d+ s, best full-data accuracy FLOAT"
    )
    assert min(sub_best, full_best) > 0.9
    # the lesson's verdict is the measurement's, whichever way it went (a full-data trial is cheap here)
    verdict = "more" if sub_configs > full_configs else "NOT more"
    assert f"growing fractions examined {verdict} configurations than the full data" in run.text


@pytest.mark.notebook
def test_lesson_genetic(tmp_path: Path) -> None:
    run = execute("06_genetic.ipynb", tmp_path)
    check_common(run, min_images=3)
    first, last = run.numbers(r"generation 0: mean score FLOAT; generation 7: mean score FLOAT")
    assert last > first + 0.5, "selection moves the population toward the good region"
    true_best = run.number(r"the true best score is about FLOAT")
    assert run.number(r"best found FLOAT at x") > true_best - 0.05
    assert re.search(r"child trial \d+ \(crossover(\+mutation)?\)", run.text)
    assert len(re.findall(r"parent trial \d+:", run.text)) == 2
    assert "'init': 10" in run.text and "'elite'" in run.text
    default = run.number(r"defaults: accuracy FLOAT")
    assert run.number(r"genetic: best accuracy FLOAT") > default


@pytest.mark.notebook
def test_lesson_hypergradients(tmp_path: Path) -> None:
    run = execute("09_hypergradients.ipynb", tmp_path)
    check_common(run, min_images=5)
    exact, finite = run.numbers(r"hypergradient FLOAT, finite difference FLOAT")
    assert exact == pytest.approx(finite, rel=1e-3), "implicit differentiation agrees with a finite difference"
    grid_loss, grid_alpha = run.numbers(r"grid of 400 values: best validation loss FLOAT at alpha FLOAT")
    hg_loss, hg_alpha = run.numbers(r"hypergradient descent: 10 training runs, validation loss FLOAT at alpha FLOAT")
    assert hg_loss <= 1.03 * grid_loss, "10 hypergradient steps reach the grid's optimum within a few percent"
    assert abs(np.log10(hg_alpha / grid_alpha)) < 0.5
    bayes_loss = run.number(r"bayes: 10 training runs, validation loss FLOAT")
    assert 0.99 * grid_loss <= bayes_loss, "bayes is measured on the same validation loss"
    one_val, one_test = run.numbers(r"one penalty: validation loss FLOAT, test loss FLOAT")
    many_val, many_test = run.numbers(r"30 penalties: validation loss FLOAT, test loss FLOAT")
    assert many_val < one_val - 0.1 and many_test < one_test, "30 penalties by gradient also win on unseen data"
    gap, scale = run.numbers(r"largest gap FLOAT \(weights up to FLOAT\)")
    assert gap < 0.05 * scale, "the hypernetwork's best response tracks the true one"
    net_alpha, net_loss, true_alpha, true_loss = run.numbers(
        r"through the hypernetwork: alpha FLOAT, validation loss FLOAT \(true optimum: alpha FLOAT, FLOAT\)"
    )
    assert net_loss <= 1.01 * true_loss and abs(np.log10(net_alpha / true_alpha)) < 0.2
    joint_alpha, joint_loss = run.numbers(r"joint training: alpha FLOAT, validation loss FLOAT")
    assert joint_loss <= 1.01 * true_loss and abs(np.log10(joint_alpha / true_alpha)) < 0.2
    assert any("bqplot" in m for m in run.widget_modules()), "the bayes search shows its live panel"


@pytest.mark.notebook
def test_lesson_schedules(tmp_path: Path) -> None:
    run = execute("10_schedules.ipynb", tmp_path)
    check_common(run, min_images=2)
    best_lr, fixed_loss = run.numbers(r"best fixed learning rate FLOAT: validation loss FLOAT")
    assert 1e-3 <= best_lr <= 1.0
    pbt_loss, copies = run.numbers(r"PBT: validation loss FLOAT; (\d+) times a member copied a better one")
    assert copies == 8, "at each of the 4 exploit points the worst quarter (2 of 8) copies a better member"
    assert len(re.findall(r"epochs \d+-\d+: [\d.e-]+", run.text)) == 5, "the winner's schedule, interval by interval"
    seeds = [run.numbers(rf"seed {s}: validation loss fixed FLOAT, cosine FLOAT, PBT FLOAT") for s in range(4)]
    mean_fixed, mean_cos, mean_pbt, wins = run.numbers(
        r"mean over 4 seeds: fixed FLOAT, cosine FLOAT, PBT FLOAT; PBT beat the best fixed value in (\d+) of 4"
    )
    assert mean_fixed == pytest.approx(np.mean([s[0] for s in seeds]), abs=1e-3)
    assert mean_pbt == pytest.approx(np.mean([s[2] for s in seeds]), abs=1e-3)
    assert wins == sum(s[2] < s[0] for s in seeds)
    # the lesson's claim: PBT's schedules beat the best fixed value on average over seeds; when a run
    # does not, the lesson must say so in its output rather than let the prose stand unchecked
    did_not = "this time PBT did NOT beat the best fixed value on average" in run.text
    assert did_not == (mean_pbt >= mean_fixed)
    assert mean_pbt < mean_fixed, f"PBT {mean_pbt} did not beat the best fixed value {mean_fixed} on average"
    assert any("bqplot" in m for m in run.widget_modules()), "the PBT search shows its live panel"


@pytest.mark.notebook
def test_lesson_real_spaces(tmp_path: Path) -> None:
    run = execute("11_real_spaces.ipynb", tmp_path)
    check_common(run, min_images=1)
    # --dry-run prints the tree: each classifier's parameters under its branch, each layer's size
    # under the test on n_layers that makes it active
    assert re.search(r"if classifier == 'SVC':\n\s+C = loguniform\(0.1, 1000\).*\n\s+gamma = ", run.text)
    assert re.search(r"if classifier == 'RandomForest':\n\s+n_estimators = .*\n\s+max_depth = ", run.text)
    assert re.search(r"if n_layers > 1:\n\s+n_units\[1\] = integer", run.text)
    assert re.search(r"if n_layers > 2:\n\s+n_units\[2\] = integer", run.text)
    assert run.text.count("dry run: nothing ran") == 2
    # each trial carries only its own branch's parameters
    branches = {
        "SVC": "['C', 'classifier', 'gamma']",
        "RandomForest": "['classifier', 'max_depth', 'n_estimators']",
        "LogisticRegression": "['C_logistic', 'classifier']",
    }
    counts = []
    for name, params in branches.items():
        n, best = run.numbers(rf"{name}: (\d+) trials, parameters {re.escape(params)}, best accuracy FLOAT")
        assert 0.8 < best <= 1.0
        counts.append(n)
    assert sum(counts) == 18 and min(counts) >= 2
    assert "metrics_fit_time" in run.text, "--metrics fit_time is a column of the DataFrame"
    # the params dict: the default outside its range ran as the baseline, with a note
    assert "the default 0.0 of `l2_regularization` lies outside loguniform(1e-08, 10)" in run.text
    base = run.number(r"baseline \(the cell's own dict, l2_regularization 0.0\): validation accuracy FLOAT")
    tuned = run.number(r"tuned: validation accuracy FLOAT with")
    assert tuned >= base
    assert "every other trial searched the range: True" in run.text
    assert "metrics_train_accuracy" in run.text, "jhpo.log(train_accuracy=...) is stored with each trial"
    m = re.search(r"params after the search: (\{.*\})", run.text)
    assert m and "'max_iter': 50" in m.group(1) and f"{tuned:.3f}" in run.text
    # the loop: a trial with n_layers = k has exactly k sizes
    rows = re.findall(r"trial \d+: n_layers (\d), sizes \[([\d, ]*)\], accuracy", run.text)
    assert len(rows) == 10 and {k for k, _ in rows} == {"1", "2", "3"}
    for k, sizes in rows:
        assert len(sizes.split(",")) == int(k)
    # after the search the notebook's `sizes` are the best trial's
    m = re.search(r"best network: hidden layers \[([\d, ]*)\] .*accuracy ([\d.]+)", run.text)
    assert m
    accuracies = [
        float(a) for a in re.findall(r"trial \d+: n_layers \d, sizes \[[\d, ]*\], accuracy ([\d.]+)", run.text)
    ]
    best_row = rows[int(np.argmax(accuracies))]
    assert m.group(1) == best_row[1] and float(m.group(2)) == max(accuracies)
    # importance: one share per tuned parameter of the boosting search, summing to 1; the named one is the top row
    shares = re.findall(
        r"^\s*(learning_rate|max_leaf_nodes|min_samples_leaf|l2_regularization)\s+([\d.]+)\s*$", run.text, re.M
    )
    assert len(shares) >= 3 and abs(sum(float(v) for _, v in shares) - 1) < 0.01
    top = max(shares, key=lambda kv: float(kv[1]))[0]
    assert re.search(rf"most important: {top} \(\d+% of the explained variation\)", run.text)


@pytest.mark.notebook
def test_a_lesson_runs_again_in_place(tmp_path: Path) -> None:
    # Running a lesson a second time continues its stored studies (--study NAME --resume): it must
    # neither fail on the existing names nor show different results.
    first = execute("02_bias_variance.ipynb", tmp_path)
    again = execute("02_bias_variance.ipynb", tmp_path)
    assert not again.errors, again.errors
    pattern = r"tuned \(degree \d+, alpha [^)]+\): validation error FLOAT"
    assert again.number(pattern) == first.number(pattern)
