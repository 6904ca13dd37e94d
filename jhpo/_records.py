"""Validation of what a study file holds: every field read is checked, never trusted.

A study file may have been edited by hand or made by someone else. A bad field
becomes a :class:`RecordProblem` naming the study, the trial and the field, and
a safe stand-in value, so the rest of the study can still be shown and resumed.
Only ``json.loads`` ever parses the file's text: nothing in it is executed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .capture import bound_text, clean_text
from .trial import RunFacts, Trial, TrialState

__all__ = ["RecordProblem", "clean_meta", "meta_from_json", "trial_from_row"]

#: Longest string kept for a parameter value or a short field (longer ones are cut, and said so).
MAX_SHORT = 10_000
_DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class RecordProblem:
    """A field of a study file that could not be used as stored."""

    study: str
    field: str
    message: str
    trial: int | None = None

    def __str__(self) -> str:
        where = f"trial {self.trial}, " if self.trial is not None else ""
        return f"study {self.study!r}, {where}field {self.field!r}: {self.message}"


def _kind(x: Any) -> str:
    return "null" if x is None else type(x).__name__


def _json(text: Any, default: Any, note: Any) -> Any:
    if not isinstance(text, (str, bytes)):
        note(f"is a {_kind(text)}, not JSON text")
        return default
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        note(f"is not valid JSON ({type(exc).__name__})")
        return default


def _scalar(x: Any) -> bool:
    return x is None or isinstance(x, (bool, int, float)) or (isinstance(x, str) and len(x) <= MAX_SHORT)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _dict(value: Any, note: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        note(f"is a {_kind(value)}, not an object; shown as empty")
        return {}
    return value


def trial_from_row(study: str, row: Any, problems: list[RecordProblem]) -> Trial | None:
    """A :class:`Trial` from a stored row (number, state, value, params, info, intermediate,
    start, end, stdout, stderr, error[, metrics]); ``None`` when even its number is unusable."""
    (number, state, value, params, info, inter, start, end, stdout, stderr, error, *rest) = row
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        problems.append(RecordProblem(study, "number", f"{str(number)[:40]!r} is not a trial number; row skipped"))
        return None

    def noter(name: str) -> Any:
        return lambda msg: problems.append(RecordProblem(study, name, msg, number))

    trial = Trial(number=number, params={})
    trial.params = _params(_json(params, {}, noter("params")), noter("params"))
    trial.info = _dict(_json(info, {}, noter("info")), noter("info"))
    trial.run = _run_facts(trial.info)
    metrics = rest[0] if rest else None
    if metrics is None:  # written before metrics had their own field: they were info["metrics"]
        trial.metrics = _metrics(trial.info.pop("metrics", {}), noter("metrics"))
    else:
        trial.metrics = _metrics(_json(metrics, {}, noter("metrics")), noter("metrics"))
    if "values" in trial.info:  # several objectives (stored in the info JSON, see storage._row)
        trial.values = _values(trial.info.pop("values"), noter("values"))
    trial.intermediate = _intermediate(_json(inter, {}, noter("intermediate")), noter("intermediate"))
    trial.datetime_start = _time(start, noter("datetime_start"))
    trial.datetime_end = _time(end, noter("datetime_end"))
    trial.stdout = _text(stdout, noter("stdout")) or ""
    trial.stderr = _text(stderr, noter("stderr")) or ""
    trial.error = _text(error, noter("error"))
    try:
        trial.state = TrialState(state)
    except ValueError:
        noter("state")(f"unknown state {str(state)[:40]!r}; shown as failed")
        trial.state, trial.error = TrialState.FAILED, f"the study file gave this trial the state {str(state)[:40]!r}"
    if value is not None and not _number(value):
        noter("value")(f"{str(value)[:40]!r} is not a finite number; shown as missing")
        value = None
    trial.value = float(value) if value is not None else None
    if trial.values is not None and trial.value != trial.values[0]:
        noter("values")("the first objective differs from the trial's value; the value is read from it")
        trial.value = trial.values[0]
    if trial.state is TrialState.COMPLETE and trial.value is None:
        noter("value")("a complete trial without a value; shown as failed")
        trial.state, trial.error = TrialState.FAILED, "the study file holds no value for this complete trial"
    return trial


def _values(value: Any, note: Any) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(_number(v) for v in value):
        note(f"{str(value)[:60]!r} is not a list of finite numbers (one per objective); shown as missing")
        return None
    return [float(v) for v in value]


def _run_facts(info: dict[str, Any]) -> RunFacts | None:
    """The execution facts out of ``info``: under :attr:`RunFacts.KEY`, or as loose keys written by
    older versions (recognised by their ``worker`` label, which every trial run on a worker had)."""
    stored = info.pop(RunFacts.KEY, None)
    if isinstance(stored, dict):
        return RunFacts.from_json(stored)
    if not isinstance(info.get("worker"), str):
        return None
    return RunFacts.from_json({k: info.pop(k) for k in RunFacts.LEGACY if k in info})


def _params(value: Any, note: Any) -> dict[str, Any]:
    out = {}
    for k, v in _dict(value, note).items():
        if _scalar(v):
            out[k] = v
        else:
            note(f"parameter {k[:40]!r} holds a {_kind(v)} (or a string over {MAX_SHORT:,} characters); left out")
    return out


def _metrics(value: Any, note: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, v in _dict(value, note).items():
        if v is None or _number(v):
            out[k] = None if v is None else float(v)
        else:
            note(f"metric {k[:40]!r}: {str(v)[:40]!r} is not a finite number; left out")
    return out


def _intermediate(value: Any, note: Any) -> dict[int, float]:
    out = {}
    for k, v in _dict(value, note).items():
        try:
            step = int(k)
        except ValueError:
            step = None
        if step is None or not _number(v):
            note(f"step {k[:40]!r}: {str(v)[:40]!r} is not a step and a finite number; left out")
        else:
            out[step] = float(v)
    return out


def _time(value: Any, note: Any) -> float | None:
    if value is None or _number(value):
        return value if value is None else float(value)
    note(f"{str(value)[:40]!r} is not a time in seconds; shown as missing")
    return None


def _text(value: Any, note: Any) -> str | None:
    if value is None or isinstance(value, str):
        return bound_text(clean_text(value)) if value is not None else None
    note(f"is a {_kind(value)}, not text; shown as missing")
    return None


def meta_from_json(study: str, text: Any, problems: list[RecordProblem]) -> dict[str, Any]:
    """A study's ``meta`` from its stored JSON, every field the code reads checked (:func:`clean_meta`)."""

    def note(msg: str) -> None:
        problems.append(RecordProblem(study, "meta", msg))

    return clean_meta(study, _dict(_json(text, {}, note), note), problems)


def clean_meta(study: str, meta: dict[str, Any], problems: list[RecordProblem]) -> dict[str, Any]:
    """``meta`` with bad fields replaced by safe stand-ins, each one reported."""
    from .space import Space  # numpy-heavy; only when a study is read

    meta = dict(meta)

    def bad(key: str, msg: str, default: Any) -> None:
        problems.append(RecordProblem(study, key, msg))
        meta[key] = default

    directions = meta.get("directions")
    if directions is not None and (
        not isinstance(directions, list) or len(directions) < 2 or any(d not in _DIRECTIONS for d in directions)
    ):
        bad("directions", f"{str(directions)[:60]!r} is not a list of maximize/minimize; read as one objective", None)
    objectives = meta.get("objectives")
    if objectives is not None and (
        not isinstance(objectives, list)
        or not all(isinstance(o, str) for o in objectives)
        or len(objectives) != len(meta.get("directions") or [])
    ):
        bad("objectives", f"{str(objectives)[:60]!r} is not one name per direction; ignored", None)
    if meta.get("direction") not in _DIRECTIONS:
        bad("direction", f"{str(meta.get('direction'))[:40]!r} is not maximize/minimize; read as maximize", "maximize")
    try:
        Space.from_json(meta.get("space"))  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - any malformed space (wrong types, bad bounds) is reported
        bad("space", f"is not a valid search space ({type(exc).__name__}: {str(exc)[:80]}); read as empty", {})
    if not isinstance(meta.get("strategy"), str):
        bad("strategy", f"{str(meta.get('strategy'))[:40]!r} is not a strategy name; read as random", "random")
    seed = meta.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        bad("seed", f"{str(seed)[:40]!r} is not an integer; read as none", None)
    for key in ("strategy_options",):
        if key in meta and not isinstance(meta[key], dict):
            bad(key, f"is a {_kind(meta[key])}, not an object; read as empty", {})
    for key in ("source", "cell_hash", "objective", "pruner", "checkpoint"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            bad(key, f"is a {_kind(meta[key])}, not text; ignored", None)
    if not isinstance(meta.get("resumed", 0), int):
        bad("resumed", "is not a count; read as 0", 0)
    return meta
