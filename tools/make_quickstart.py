"""Writes notebooks/01_quickstart.ipynb (run: python tools/make_quickstart.py)."""

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = [
    md(
        "# jhpo quickstart: tune a training cell without rewriting it\n\n"
        "A training cell has hyperparameters: numbers and choices you picked by hand. jhpo reads them from "
        "comments on the cell's own assignments and re-runs the cell under a search strategy. Remove the "
        "`%%tune` line and the cell is ordinary Python again, running with its defaults."
    ),
    code(
        "%load_ext jhpo\n"
        "from sklearn.datasets import load_digits\n"
        "from sklearn.model_selection import train_test_split\n"
        "from sklearn.svm import SVC\n\n"
        "X, y = load_digits(return_X_y=True)\n"
        "X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)"
    ),
    md(
        "## 1. Annotate, then tune\n\n"
        "Each `# tune:` comment declares where a value may move: `loguniform` for scale parameters such as "
        "`C` and `gamma`, `choice` for a list of options. The cell's own values (`C = 1.0`, ...) run first, "
        "as trial 0: the baseline you would have had without tuning. `--maximize score` names the objective."
    ),
    code(
        "%%tune --strategy random --trials 20 --maximize score --seed 0 --study quickstart --resume -o result\n"
        "C = 1.0          # tune: loguniform(1e-2, 1e3)\n"
        "gamma = 0.01     # tune: loguniform(1e-5, 1e-1)\n"
        'kernel = "rbf"   # tune: choice("rbf", "poly", "sigmoid")\n'
        "model = SVC(C=C, gamma=gamma, kernel=kernel).fit(X_train, y_train)\n"
        "score = model.score(X_val, y_val)"
    ),
    md(
        "## 2. Read the result\n\n"
        "The panel above shows the search as it ran. After the search the notebook's variables hold what the "
        "best trial produced: `model` is the best model, `C`, `gamma` and `kernel` its settings."
    ),
    code(
        "baseline = result.trials[0].value\n"
        'print(f"the cell\'s defaults: {baseline:.3f}   tuned: {result.best_value:.3f}")\n'
        'print("best:", result.best_params)\n'
        'print("model in the notebook now scores", round(model.score(X_val, y_val), 3))'
    ),
    md(
        "## 3. Nothing is lost: resume\n\n"
        "Every finished trial is stored in `.jhpo/studies.db` next to the notebook. `--resume` continues the "
        "named study: here to 30 trials in all, so only 10 new trials run. A kernel that died mid-search "
        "resumes the same way."
    ),
    code(
        "%%tune --strategy random --trials 30 --maximize score --seed 0 --study quickstart --resume -o result\n"
        "C = 1.0          # tune: loguniform(1e-2, 1e3)\n"
        "gamma = 0.01     # tune: loguniform(1e-5, 1e-1)\n"
        'kernel = "rbf"   # tune: choice("rbf", "poly", "sigmoid")\n'
        "model = SVC(C=C, gamma=gamma, kernel=kernel).fit(X_train, y_train)\n"
        "score = model.score(X_val, y_val)"
    ),
    md("## 4. Export to a DataFrame\n\nOne row per trial, one `params_` column per hyperparameter."),
    code(
        "df = result.to_dataframe()\n"
        'print(len(df), "trials")\n'
        'df.sort_values("value", ascending=False).head()[["number", "value", "params_C", "params_gamma", '
        '"params_kernel"]]'
    ),
    md(
        "## Try it\n\nChange `--strategy random` to `--strategy bayes` (and the study name), and compare how many "
        "trials each needs to reach the best score. `%%tune?` lists every option."
    ),
]
nb = nbf.v4.new_notebook(
    cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
)
nbf.write(nb, "notebooks/01_quickstart.ipynb")
