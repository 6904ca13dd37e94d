"""The object a search returns: best configuration, trials, a table."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .budget import best_note, rank_key, trial_budget
from .failures import describe_failures
from .trial import Trial, TrialState

if TYPE_CHECKING:
    from .annotations import CellTemplate
    from .study import Study

__all__ = ["TuneResult"]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return repr(v)


class TuneResult:
    """What ``%%tune`` returns (and stores in ``-o VAR``).

    Attributes
    ----------
    study : Study
    best_params, best_value, best_trial, trials
        As on the study.
    applied : list of str
        The names the best trial set in the notebook (empty with ``--no-apply``).
    """

    def __init__(self, study: Study, applied: list[str] | None = None, template: CellTemplate | None = None) -> None:
        self.study = study
        self.applied = applied or []
        self.template = template

    @property
    def best_params(self) -> dict[str, Any] | None:
        return self.study.best_params

    @property
    def best_value(self) -> float | None:
        return self.study.best_value

    @property
    def best_trial(self) -> Trial | None:
        return self.study.best_trial

    @property
    def trials(self) -> list[Trial]:
        return self.study.trials

    def to_dataframe(self) -> Any:
        return self.study.to_dataframe()

    def importance(self, seed: int = 0) -> Any:
        """Which parameters mattered: fANOVA main effects of a random forest fitted to the trials.

        Parameters
        ----------
        seed : int
            Makes the forest repeatable.

        Returns
        -------
        pandas.DataFrame
            Columns ``parameter`` and ``importance`` (shares that sum to 1), most important first.

        Raises
        ------
        ValueError
            With fewer than 8 complete trials.
        """
        import pandas as pd

        from .importance import param_importance

        shares = param_importance(self.study.trials, self.study.space, seed=seed)
        return pd.DataFrame({"parameter": list(shares), "importance": list(shares.values())})

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in TrialState}
        for t in self.study.trials:
            out[t.state.value] += 1
        return {k: v for k, v in out.items() if v}

    def summary(self, top: int = 5) -> str:
        s = self.study
        counts = ", ".join(f"{v} {k}" for k, v in self.counts().items())
        infeasible = sum(t.info.get("feasible") is False for t in s.trials)
        counts += f"; {infeasible} broke a --constraint" if infeasible else ""
        lines = [f"Study {s.name!r} ({s.meta.get('strategy')}, {s.direction}): {len(s.trials)} trials ({counts})"]
        failures = describe_failures(s.trials)
        if failures:
            lines.append(failures)
        best = self.best_trial
        if best is None:
            lines.append("No trial completed.")
            return "\n".join(lines)
        lines.append(
            f"Best value {best.value:.6g} in trial {best.number}: "
            + ", ".join(f"{k}={_fmt(v)}" for k, v in best.params.items())
        )
        note = best_note(best, s.space)
        if note is not None:
            lines.append(f"({note})")
        base = next((t for t in s.trials if t.info.get("baseline") and t.state is TrialState.COMPLETE), None)
        if base is not None and base.number != best.number:
            lines.append(f"The cell's defaults gave {base.value:.6g} (trial {base.number}).")
        lines += self._top(top)
        refit = getattr(self, "refit", None)
        if refit and "error" not in refit:
            lines.append(
                f"The best configuration (trial {refit['trial']}) was re-run in the notebook "
                f"({refit['seconds']:.2g} s), "
                "so its variables hold what running the cell by hand with it gives (--no-refit skips this)."
            )
        if self.applied:
            lines.append("Variables now hold the best trial's results: " + ", ".join(self.applied))
        return "\n".join(lines)

    def _top(self, top: int) -> list[str]:
        """The ``top`` best trials as a table (compared at equal budget first, as the best is chosen)."""
        s = self.study
        ranked = sorted(
            (t for t in s.trials if t.state is TrialState.COMPLETE and t.value is not None),
            key=lambda t: rank_key(trial_budget(t), t.value or 0.0, s.direction),
            reverse=True,  # stable all the same: among equals the earlier trial comes first
        )[:top]
        names = s.space.names
        metrics = list(dict.fromkeys(k for t in ranked for k in t.metrics))
        header = ["#", "value", *names, *metrics]
        rows = [
            [
                str(t.number),
                f"{t.value:.6g}",
                *(_fmt(t.params[n]) if n in t.params else "-" for n in names),  # "-": inactive
                *(_fmt(t.metrics.get(m)) for m in metrics),
            ]
            for t in ranked
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        return [
            f"Top {len(rows)}:",
            *("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [header, *rows]),
        ]

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def _ipython_display_(self) -> None:
        # The final panel in a notebook, the text summary in a terminal (the UI layer decides).
        from .ui import show_result

        show_result(self)
