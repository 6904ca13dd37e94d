"""The annotation language on real code, end to end through a real IPython shell.

Loops (one parameter per iteration), dict entries and keyword arguments, a
default outside its range, conditional parameters (a tree-structured space),
and each new form's mistakes.
"""

from __future__ import annotations

import math

import pytest
from IPython.core.error import UsageError

import jhpo
from jhpo.trial import TrialState

EARLIER_CELL = """\
def build(units):
    # defined in an earlier cell: the network's width per layer, as a score
    return -sum((u - 40) ** 2 for u in units) / 1000 - abs(len(units) - 2)
"""

LOOP_CELL = """\
n_layers = 1  # tune: integer(1, 3)
units = []
for i in range(n_layers):
    n_units = 32  # tune: integer(4, 128, log=True)
    units.append(n_units)
score = build(units)
"""


def test_loop_makes_one_parameter_per_iteration_active_up_to_the_tuned_count(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER_CELL)
    r = ip.run_cell_magic("tune", "--strategy random --trials 16 --maximize score --seed 1 --quiet", LOOP_CELL)
    assert r.study.space.names == ["n_layers", "n_units[0]", "n_units[1]", "n_units[2]"]
    assert r.trials[0].params == {"n_layers": 1, "n_units[0]": 32}  # the baseline: one layer is active
    for t in r.trials:
        assert t.state is TrialState.COMPLETE
        layers = [t.params[f"n_units[{i}]"] for i in range(t.params["n_layers"])]
        assert set(t.params) == {"n_layers", *(f"n_units[{i}]" for i in range(t.params["n_layers"]))}
        # each iteration read its own parameter: the score is the earlier cell's function of those units
        assert t.value == pytest.approx(-sum((u - 40) ** 2 for u in layers) / 1000 - abs(len(layers) - 2))
    # different iterations got different values (never one silently shared value)
    assert any(t.params.get("n_units[1]") not in (None, t.params["n_units[0]"]) for t in r.trials)
    best = r.best_trial
    assert ip.user_ns["units"] == [best.params[f"n_units[{i}]"] for i in range(best.params["n_layers"])]
    df = r.to_dataframe()
    one_layer = df[df["params_n_layers"] == 1]
    assert len(one_layer) and one_layer["params_n_units[2]"].isna().all()  # inactive: no value


def test_loop_of_fixed_length_and_nested_loops(ip) -> None:  # type: ignore[no-untyped-def]
    cell = (
        "n_blocks = 2\n"
        "widths = []\n"
        "for b in range(n_blocks):\n"
        "    for j in range(0, 2):\n"
        "        w = 1.0  # tune: uniform(0, 2)\n"
        "        widths.append(w)\n"
        "score = -sum((w - k / 4) ** 2 for k, w in enumerate(widths))\n"
    )
    r = ip.run_cell_magic("tune", "--strategy random --trials 5 --maximize score --seed 0 --quiet", cell)
    assert r.study.space.names == ["w[0][0]", "w[0][1]", "w[1][0]", "w[1][1]"]
    for t in r.trials:
        ws = [t.params[n] for n in r.study.space.names]
        assert t.value == pytest.approx(-sum((w - k / 4) ** 2 for k, w in enumerate(ws)))


def test_grid_over_a_tuned_loop_enumerates_only_distinct_networks(ip) -> None:  # type: ignore[no-untyped-def]
    cell = (
        "n_layers = 1  # tune: [1, 2]\n"
        "units = []\n"
        "for i in range(n_layers):\n"
        "    u = 8  # tune: [8, 16]\n"
        "    units.append(u)\n"
        "score = sum(units)\n"
    )
    r = ip.run_cell_magic("tune", "--strategy grid --maximize score --quiet", cell)
    configs = sorted(tuple(sorted(t.params.items())) for t in r.trials)
    # 1 layer: 2 widths, 2 layers: 4 width pairs; the inactive second width does not double the 1-layer ones
    assert len(r.trials) == 6 and len(set(configs)) == 6
    assert r.best_value == 32


LOOP_ERRORS = [
    ("for x in data:\n    lr = 0.1  # tune: uniform(0, 1)\n", 3, "for-loop over `data`", "range(N)"),
    ("k = 0\nwhile k < 3:\n    lr = 0.1  # tune: uniform(0, 1)\n    k += 1\n", 4, "while-loop", "range(N)"),
    ("for i in range(len(data)):\n    lr = 0.1  # tune: uniform(0, 1)\n", 3, "not known before the trial", "range(N)"),
    ("for i in range(1, 4):\n    lr = 0.1  # tune: uniform(0, 1)\n", 3, "for-loop over `range(1, 4)`", "range(N)"),
    ("for i in range(3):\n    i = 2\n    lr = 0.1  # tune: uniform(0, 1)\n", 4, "assigns its counter", "counter only"),
    ("ws = [w for w in data]  # tune: uniform(0, 1)\n", 2, "not a literal", "plain value"),
]


@pytest.mark.parametrize("body, line, message, fix", LOOP_ERRORS, ids=[e[2][:30] for e in LOOP_ERRORS])
def test_loops_that_cannot_give_one_parameter_per_iteration_are_refused(ip, body, line, message, fix) -> None:  # type: ignore[no-untyped-def]
    ip.user_ns["data"] = [1, 2, 3]
    _refused(ip, body, line, message, fix)


LIGHTGBM_CELL = """\
params = {
    "objective": "regression",
    "lambda_l1": 0.0,  # tune: loguniform(1e-8, 10.0)
    "num_leaves": 31,  # tune: integer(2, 256, log=True)
    "feature_fraction": 1.0,  # tune: uniform(0.4, 1.0)
}
score = fit(params)
"""


FIT_CELL = """\
import math
seen = []
def fit(p):
    seen.append(dict(p))
    return -abs(math.log10(p["lambda_l1"] + 1e-9) + 3) - abs(p["num_leaves"] - 40) / 40
"""


def test_lightgbm_style_params_dict_tunes_its_entries_and_runs_the_outside_default(ip, capsys) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(ip.run_cell(FIT_CELL))
    r = ip.run_cell_magic("tune", "--strategy bayes --trials 12 --maximize score --seed 0", LIGHTGBM_CELL)
    assert r.study.space.names == ["lambda_l1", "num_leaves", "feature_fraction"]
    base = r.trials[0]
    # the user's own default 0.0 lies outside loguniform(1e-8, 10): it runs as the baseline all the same
    assert base.info.get("baseline") and base.params["lambda_l1"] == 0.0 and base.state is TrialState.COMPLETE
    assert ip.user_ns["seen"][0] == {
        "objective": "regression",
        "lambda_l1": 0.0,
        "num_leaves": 31,
        "feature_fraction": 1.0,
    }
    err = capsys.readouterr().err
    assert "cell line 4: the default 0.0 of `lambda_l1` lies outside loguniform(1e-08, 10)" in err
    assert err.count("lies outside") == 1
    # the strategy searched the declared range
    assert all(1e-8 <= t.params["lambda_l1"] <= 10 for t in r.trials[1:])
    assert ip.user_ns["params"]["objective"] == "regression"
    assert ip.user_ns["params"]["num_leaves"] == r.best_params["num_leaves"]


ESTIMATOR_CELL = """\
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import cross_val_score
model = SGDClassifier(
    loss="log_loss",
    alpha=1e-4,  # tune: loguniform(1e-2, 1)
    penalty="elasticnet",
    l1_ratio=0.15,  # tune: uniform(0, 1)
    random_state=0,
)
score = cross_val_score(model, X, y, cv=3).mean()
"""


def test_multi_line_estimator_call_tunes_its_keyword_arguments(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell("from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)\n")
    r = ip.run_cell_magic("tune", "--strategy random --trials 5 --maximize score --seed 2 --quiet", ESTIMATOR_CELL)
    assert r.study.space.names == ["alpha", "l1_ratio"]
    assert r.trials[0].params == {"alpha": 1e-4, "l1_ratio": 0.15}  # the default alpha is outside: still the baseline
    for t in r.trials:
        assert t.state is TrialState.COMPLETE
    best_model = ip.user_ns["model"]
    assert best_model.alpha == r.best_params["alpha"] and best_model.l1_ratio == r.best_params["l1_ratio"]
    # a pipeline's step__param keyword names the parameter too
    cell = "p = dict(\n    svc__C=1.0,  # tune: loguniform(0.1, 10)\n)\nscore = p['svc__C']\n"
    r2 = ip.run_cell_magic("tune", "--strategy random --trials 3 --maximize score --quiet", cell)
    assert r2.study.space.names == ["svc__C"]


def test_entry_name_clash_is_an_error_and_tune_name_resolves_it(ip) -> None:  # type: ignore[no-untyped-def]
    cell = (
        "enc = dict(\n    alpha=0.5,  # tune: uniform(0, 1)\n)\n"
        "dec = dict(\n    alpha=0.5,  # tune: uniform(0, 1)\n)\nscore = enc['alpha'] + dec['alpha']\n"
    )
    _refused(ip, cell, 6, "`alpha` is already tuned on cell line 4", "# tune[other]:")
    named = cell.replace(
        "alpha=0.5,  # tune: uniform(0, 1)\n)\nscore", "alpha=0.5,  # tune[dec_alpha]: uniform(0, 1)\n)\nscore"
    )
    r = ip.run_cell_magic("tune", "--strategy random --trials 3 --maximize score --quiet --seed 1", named)
    assert r.study.space.names == ["alpha", "dec_alpha"]
    t = r.trials[1]
    assert t.value == pytest.approx(t.params["alpha"] + t.params["dec_alpha"])


ENTRY_ERRORS = [
    ("d = {\n    1: 0.5,  # tune: uniform(0, 1)\n}\n", 3, "key `1` is not a string", "# tune[name]"),
    ("d = dict(\n    0.5,  # tune: uniform(0, 1)\n)\n", 3, "positional argument", "keyword=value"),
    ("d = dict(\n    a=f(1),  # tune: uniform(0, 1)\n)\n", 3, "default `f(1)` is not a literal", "plain value"),
    ("d = dict(\n    a=0.5,  # tune[]: uniform(0, 1)\n)\n", 3, "cannot name a parameter", "tune[alpha_l1]"),
    ("d = dict(\n    a='x',  # tune: uniform(0, 1)\n)\n", 3, "default 'x' lies outside", "allowed values"),
]


@pytest.mark.parametrize("body, line, message, fix", ENTRY_ERRORS, ids=[e[2][:30] for e in ENTRY_ERRORS])
def test_entry_mistakes_name_the_line_and_fix(ip, body, line, message, fix) -> None:  # type: ignore[no-untyped-def]
    _refused(ip, body, line, message, fix)


def test_a_default_outside_the_choices_runs_as_the_baseline(ip, capsys) -> None:  # type: ignore[no-untyped-def]
    cell = 'solver = "auto"  # tune: ["lbfgs", "saga"]\nscore = {"auto": 0.5, "lbfgs": 0.7, "saga": 0.6}[solver]\n'
    r = ip.run_cell_magic("tune", "--strategy grid --maximize score", cell)
    assert [t.params["solver"] for t in r.trials] == ["auto", "lbfgs", "saga"]
    assert r.best_params == {"solver": "lbfgs"}
    assert "the default 'auto' of `solver` lies outside choice('lbfgs', 'saga')" in capsys.readouterr().err


SKLEARN_CELL = """\
from sklearn.svm import SVC
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
classifier = "SVC"  # tune: choice("SVC", "RandomForest")
if classifier == "SVC":
    svc_c = 1.0  # tune: loguniform(1e-3, 1e3)
    kernel = "rbf"  # tune: ["rbf", "linear"]
    gamma = 0.1  # tune: loguniform(1e-3, 1e1) if kernel == "rbf"
    model = SVC(C=svc_c, kernel=kernel, gamma=gamma)
else:
    rf_max_depth = 4  # tune: integer(2, 32, log=True)
    model = RandomForestClassifier(max_depth=rf_max_depth, n_estimators=10, random_state=0)
score = cross_val_score(model, X, y, cv=3).mean()
"""


def test_conditional_sklearn_example_samples_only_the_chosen_classifiers_parameters(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell("from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)\n")
    for strategy in ("random", "bayes", "genetic"):
        r = ip.run_cell_magic(
            "tune", f"--strategy {strategy} --trials 14 --maximize score --seed 0 --quiet", SKLEARN_CELL
        )
        kinds = set()
        for t in r.trials:
            assert t.state is TrialState.COMPLETE, t.error
            if t.params["classifier"] == "SVC":
                expected = {"classifier", "svc_c", "kernel"} | ({"gamma"} if t.params["kernel"] == "rbf" else set())
            else:
                expected = {"classifier", "rf_max_depth"}
            assert set(t.params) == expected, (strategy, t.params)
            kinds.add(t.params["classifier"])
        assert kinds == {"SVC", "RandomForest"}, strategy
    df = r.to_dataframe()
    rf = df[df["params_classifier"] == "RandomForest"]
    assert rf["params_svc_c"].isna().all() and rf["params_kernel"].isna().all()


def test_conditional_grid_runs_only_valid_combinations_and_dry_run_shows_the_tree(ip, capsys) -> None:  # type: ignore[no-untyped-def]
    cell = (
        'kernel = "rbf"  # tune: ["rbf", "linear", "poly"]\n'
        "C = 1.0  # tune: [0.1, 1.0, 10.0, 100.0]\n"
        'if kernel == "rbf":\n'
        "    gamma = 0.1  # tune: [0.01, 0.1]\n"
        "else:\n"
        "    gamma = None\n"
        "score = C / 100 + (gamma or 0)\n"
    )
    ip.run_cell_magic("tune", "--strategy grid --maximize score --dry-run", cell)
    out = capsys.readouterr().out
    assert "if kernel == 'rbf':\n    gamma = choice(0.01, 0.1)" in out
    r = ip.run_cell_magic("tune", "--strategy grid --maximize score --quiet", cell)
    # rbf: 4 C x 2 gamma, linear and poly: 4 C each -> 16 distinct configurations, each once
    assert len(r.trials) == 16
    assert len({tuple(sorted(t.params.items())) for t in r.trials}) == 16
    assert all(("gamma" in t.params) == (t.params["kernel"] == "rbf") for t in r.trials)


def test_a_branch_on_an_untuned_value_records_activity_from_what_ran(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell("def use_momentum(lr):\n    return lr > 0.05\n")
    cell = (
        "lr = 0.01  # tune: uniform(0.001, 0.1)\n"
        "if use_momentum(lr):\n"
        "    momentum = 0.9  # tune: uniform(0.5, 0.99)\n"
        "    score = lr + momentum\n"
        "else:\n"
        "    score = lr\n"
    )
    r = ip.run_cell_magic("tune", "--strategy random --trials 12 --maximize score --seed 4 --quiet", cell)
    assert r.study.space.conditions["momentum"].runtime
    for t in r.trials:
        assert ("momentum" in t.params) == (t.params["lr"] > 0.05), t.params
        assert "read" not in t.info
    assert {("momentum" in t.params) for t in r.trials} == {True, False}


@pytest.mark.slow  # worker processes
def test_conditional_parameters_in_worker_processes(ip) -> None:  # type: ignore[no-untyped-def]
    cell = (
        "lr = 0.01  # tune: uniform(0.001, 0.1)\n"
        "if lr > 0.05 + 0 * len(str(lr)):\n"
        "    momentum = 0.9  # tune: uniform(0.5, 0.99)\n"
        "score = lr\n"
    )
    r = ip.run_cell_magic("tune", "--strategy random --trials 6 --maximize score --seed 5 --quiet --n-jobs 2", cell)
    for t in r.trials:
        assert t.state is TrialState.COMPLETE, t.error
        assert ("momentum" in t.params) == (t.params["lr"] > 0.05), t.params


COND_ERRORS = [
    (
        'k = "a"  # tune: ["a", "b"]\nif k == "c":\n    x = 1.0  # tune: uniform(0, 2)\n',
        4,
        "not among its choices",
        "one of",
    ),
    ("x = 1.0  # tune: uniform(0, 2) if k == 'a'\n", 2, "does not compare a tuned parameter", "kernel =="),
    ('k = "a"  # tune: ["a", "b"]\nx = 1.0  # tune: uniform(0, 2) if k ==\n', 3, "cannot read the condition", "tune:"),
    (
        'k = "a"  # tune: ["a", "b"]\nif k == "a":\n    e = 3  # tune: resource(1, 9)\n',
        4,
        "resource(...) cannot sit",
        "once",
    ),
]


@pytest.mark.parametrize("body, line, message, fix", COND_ERRORS, ids=[e[2][:30] for e in COND_ERRORS])
def test_conditional_mistakes_name_the_line_and_fix(ip, body, line, message, fix) -> None:  # type: ignore[no-untyped-def]
    ip.user_ns["k"] = "a"
    _refused(ip, body, line, message, fix)


def test_the_cell_runs_unchanged_without_the_magic(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER_CELL)
    ip.run_cell("from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)\n")
    ip.run_cell("def fit(p):\n    return p['num_leaves']\n")
    for cell in (LOOP_CELL, LIGHTGBM_CELL, SKLEARN_CELL):
        res = ip.run_cell(cell)
        assert res.success
    assert math.isfinite(ip.user_ns["score"])


def _refused(ip, cell: str, line: int, message: str, fix: str) -> None:  # type: ignore[no-untyped-def]
    """The magic refuses the cell before anything runs, naming the line, the mistake and the fix."""
    ip.user_ns.pop("ran", None)
    with pytest.raises(UsageError) as info:
        ip.run_cell_magic("tune", "--maximize score --quiet", "ran = True\n" + cell + "score = 1\n")
    text = str(info.value)
    assert f"cell line {line + 1}:" in text and message in text and "fix: " in text and fix in text, text
    assert "ran" not in ip.user_ns


def test_list_of_grids_as_conditional_branches(ip) -> None:  # type: ignore[no-untyped-def]
    # scikit-learn's param_grid=[{kernel: [linear], C: [...]}, {kernel: [rbf], C: [...], gamma: [...]}]
    cell = (
        'kernel = "linear"  # tune: ["linear", "rbf"]\n'
        'if kernel == "linear":\n'
        "    C = 1  # tune: [1, 10, 100]\n"
        "    gamma = None\n"
        "else:\n"
        "    C = 1  # tune[rbf_C]: [1, 10]\n"
        "    gamma = 0.001  # tune: [0.001, 0.0001]\n"
        "score = C * (gamma or 1)\n"
    )
    r = ip.run_cell_magic("tune", "--strategy grid --maximize score --quiet", cell)
    assert len(r.trials) == 3 + 2 * 2
    linear = [t.params for t in r.trials if t.params["kernel"] == "linear"]
    assert sorted(p["C"] for p in linear) == [1, 10, 100] and all(set(p) == {"kernel", "C"} for p in linear)
    assert jhpo.Space  # the public API holds the same conditional space


def test_manual_form_on_a_conditional_cell_stores_only_active_parameters(ip) -> None:  # type: ignore[no-untyped-def]
    cell = (
        'kernel = "linear"  # tune: ["linear", "rbf"]\n'
        'if kernel == "rbf":\n'
        "    gamma = 0.1  # tune: loguniform(0.01, 1)\n"
        "    score = gamma\n"
        "else:\n"
        "    score = 0.0\n"
    )
    form = ip.run_cell_magic("tune", "--manual --maximize score --study manual-tree", cell)
    assert set(form.controls) == {"kernel", "gamma"}  # a control for every parameter, inactive ones too
    first = form.run()  # the cell's defaults
    assert first.params == {"kernel": "linear"} and first.info.get("baseline")
    form.controls["kernel"].value = "rbf"
    second = form.run()
    assert second.params == {"kernel": "rbf", "gamma": 0.1} and second.value == pytest.approx(0.1)


@pytest.mark.slow  # worker processes
def test_loop_parameters_in_worker_processes_with_an_earlier_cell_function(ip) -> None:  # type: ignore[no-untyped-def]
    ip.run_cell(EARLIER_CELL)
    line = "--strategy random --trials 6 --maximize score --seed 3 --quiet --n-jobs 2"
    r = ip.run_cell_magic("tune", line, LOOP_CELL)
    for t in r.trials:
        assert t.state is TrialState.COMPLETE, t.error
        layers = [t.params[f"n_units[{i}]"] for i in range(t.params["n_layers"])]
        assert t.value == pytest.approx(-sum((u - 40) ** 2 for u in layers) / 1000 - abs(len(layers) - 2))


def test_runtime_record_starts_empty_and_respects_future_imports(ip) -> None:  # type: ignore[no-untyped-def]
    cell = (
        "from __future__ import annotations\n"
        "lr = 0.01  # tune: uniform(0.001, 0.1)\n"
        "if str(lr) == 'never':\n"
        "    momentum = 0.9  # tune: uniform(0.5, 0.99)\n"
        "score = lr\n"
    )
    r = ip.run_cell_magic("tune", "--strategy random --trials 3 --maximize score --seed 0 --quiet", cell)
    assert all(set(t.params) == {"lr"} and t.state is TrialState.COMPLETE for t in r.trials)


def test_the_python_api_keeps_runtime_parameters_it_cannot_track() -> None:
    from jhpo.space import Condition

    space = jhpo.Space({"x": jhpo.uniform(0, 1)}, conditions={"x": Condition(runtime=True)})
    study = jhpo.Study(space, strategy="random", seed=0, storage=":memory:")
    study.optimize(lambda t: t.params["x"], n_trials=2)
    assert all("x" in t.params for t in study.trials)  # only a cell template records what it read
