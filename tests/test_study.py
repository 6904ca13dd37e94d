from __future__ import annotations

import math

import pytest

import jhpo
from jhpo.study import SearchAborted, StudyExists, StudyMismatch
from jhpo.trial import TrialState

SPACE = {"x": jhpo.uniform(-2, 2), "k": jhpo.choice("a", "b")}


def f(t: jhpo.Trial) -> float:
    return (t.params["x"] - 1) ** 2 + (t.params["k"] == "b")


def test_ask_tell_and_best(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = jhpo.Study(SPACE, strategy="random", direction="minimize", seed=0, storage=str(tmp_path / "s.db"))
    t = s.ask()
    assert t.state is TrialState.RUNNING and set(t.params) == {"x", "k"}
    s.tell(t, 3.0)
    s.optimize(f, n_trials=30)
    assert len(s.trials) == 31
    assert s.best_value == min(t.value for t in s.trials if t.value is not None)
    df = s.to_dataframe()
    assert list(df["number"]) == list(range(31))
    assert {"params_x", "params_k", "value", "state", "duration"} <= set(df.columns)


@pytest.mark.parametrize(
    "bad, reason", [(None, "None"), ("abc", "str"), (math.nan, "NaN"), ([1, 2], "list"), (True, "True")]
)
def test_bad_objective_fails_the_trial_with_reason(bad: object, reason: str) -> None:
    s = jhpo.Study(SPACE, strategy="random", storage=":memory:")
    t = s.tell(s.ask(), bad)
    assert t.state is TrialState.FAILED and reason in (t.error or "")
    assert s.best_trial is None


def test_failing_trials_are_recorded_and_search_goes_on() -> None:
    s = jhpo.Study(SPACE, strategy="random", seed=1, storage=":memory:")

    def sometimes(t: jhpo.Trial) -> float:
        if t.params["k"] == "b":
            raise ValueError("bad k")
        return t.params["x"]

    s.enqueue({"x": 0.0, "k": "a"})
    s.optimize(sometimes, n_trials=20)
    failed = [t for t in s.trials if t.state is TrialState.FAILED]
    assert failed and all("ValueError: bad k" in (t.error or "") for t in failed)
    assert len(s.trials) == 20


def test_first_three_failures_abort_with_first_traceback() -> None:
    s = jhpo.Study(SPACE, strategy="random", storage=":memory:")

    def broken(t: jhpo.Trial) -> float:
        raise ZeroDivisionError(f"no {t.number}")

    with pytest.raises(SearchAborted) as info:
        s.optimize(broken, n_trials=10)
    assert "ZeroDivisionError: no 0" in str(info.value)
    assert len(s.trials) == 3 and all(t.state is TrialState.FAILED for t in s.trials)


def test_report_prunes_and_is_a_noop_outside() -> None:
    jhpo.report(1.0, step=0)  # outside a search: nothing happens

    class StopAtTwo(jhpo.strategies.Pruner):
        def should_prune(self, trial, step, trials):  # type: ignore[no-untyped-def]
            return "step 2 is enough" if step >= 2 else None

    s = jhpo.Study(SPACE, strategy="random", storage=":memory:", pruner=StopAtTwo())

    def curve(t: jhpo.Trial) -> float:
        for step in range(5):
            jhpo.report(step * 0.1, step=step)
        return 1.0

    s.optimize(curve, n_trials=2)
    assert all(t.state is TrialState.PRUNED for t in s.trials)
    assert s.trials[0].intermediate == {0: 0.0, 1: 0.1, 2: 0.2}
    assert s.trials[0].error == "step 2 is enough"


def test_interrupt_marks_running_trial_and_returns() -> None:
    s = jhpo.Study(SPACE, strategy="random", storage=":memory:")

    def ctrl_c(t: jhpo.Trial) -> float:
        if t.number == 3:
            raise KeyboardInterrupt
        return 1.0

    s.optimize(ctrl_c, n_trials=10)
    assert s.stop_reason == "interrupted"
    assert [t.state for t in s.trials] == [TrialState.COMPLETE] * 3 + [TrialState.INTERRUPTED]


def test_timeout_and_stop() -> None:
    import time

    s = jhpo.Study(SPACE, strategy="random", storage=":memory:")
    s.optimize(lambda t: time.sleep(0.05) or 1.0, timeout=0.3)
    assert s.stop_reason == "timeout" and 2 <= len(s.trials) <= 8

    s2 = jhpo.Study(SPACE, strategy="random", storage=":memory:")
    s2.optimize(lambda t: s2.stop() or 1.0, n_trials=10)
    assert s2.stop_reason == "stopped" and len(s2.trials) == 1


def test_resume_refuses_overwrite_and_reports_changes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.db")
    s = jhpo.Study(SPACE, strategy="random", seed=0, storage=db, name="exp")
    s.optimize(f, n_trials=5)
    with pytest.raises(StudyExists, match="--resume"):
        jhpo.Study(SPACE, strategy="random", storage=db, name="exp")
    again = jhpo.Study(SPACE, strategy="random", seed=0, storage=db, name="exp", resume=True)
    assert [t.params for t in again.trials] == [t.params for t in s.trials]
    changed = {"x": jhpo.uniform(-3, 3), "lr": jhpo.loguniform(1e-3, 1)}
    with pytest.raises(StudyMismatch) as info:
        jhpo.Study(changed, strategy="random", storage=db, name="exp", resume=True)
    msg = str(info.value)
    assert "`x` changed from uniform(-2, 2) to uniform(-3, 3)" in msg
    assert "`k` is no longer tuned" in msg and "`lr` is newly tuned" in msg and "--allow-changes" in msg


def test_load_study_reads_back_everything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.db")
    s = jhpo.Study(SPACE, strategy="random", seed=0, storage=db, name="exp")

    def noisy(t: jhpo.Trial) -> float:
        print("out", t.number)
        jhpo.report(0.5, step=1)
        return f(t)

    s.optimize(noisy, n_trials=4)
    loaded = jhpo.load_study("exp", db)
    assert [t.to_json() for t in loaded.trials] == [t.to_json() for t in s.trials]
    with pytest.raises(KeyError, match="stored studies: exp"):
        jhpo.load_study("nope", db)


def test_repr_is_readable() -> None:
    s = jhpo.Study(SPACE, strategy="random", storage=":memory:", name="r")
    s.optimize(f, n_trials=3)
    assert "Study(name='r', strategy='random'" in repr(s)


def test_enqueue_validates_against_the_space() -> None:
    s = jhpo.Study(SPACE, strategy="random", storage=":memory:")
    with pytest.raises(ValueError, match=r"`x` = 7 is outside uniform\(-2, 2\)"):
        s.enqueue({"x": 7, "k": "a"})
    with pytest.raises(ValueError, match="missing `k`"):
        s.enqueue({"x": 0.5})
    with pytest.raises(ValueError, match="`y` is not a parameter"):
        s.enqueue({"x": 0.5, "k": "a", "y": 1})
    with pytest.raises(ValueError, match="`k` = 'c' is outside"):
        s.enqueue({"x": 0.5, "k": "c"})
    s.enqueue({"x": 7, "k": "a"}, {"baseline": True})  # the user's own defaults may lie outside the range
    s.enqueue({"x": 0.5, "k": "b"})
    s.optimize(f, n_trials=3)
    assert [t.params for t in s.trials[:2]] == [{"x": 7, "k": "a"}, {"x": 0.5, "k": "b"}]


def test_an_empty_study_name_is_an_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("", "   "):
        with pytest.raises(ValueError, match="study name is empty"):
            jhpo.Study(SPACE, storage=str(tmp_path / "s.db"), name=name)
    with pytest.raises(ValueError, match="undecodable"):
        jhpo.Study(SPACE, storage=str(tmp_path / "s.db"), name="run-\udcff")
    assert not (tmp_path / "s.db").exists()  # refused before the file was touched


def test_resuming_a_misspelt_study_says_which_exist(tmp_path, ip) -> None:  # type: ignore[no-untyped-def]
    from IPython.core.error import UsageError

    from jhpo.study import StudyNotFound

    db = str(tmp_path / "s.db")
    jhpo.Study(SPACE, strategy="random", storage=db, name="svm_rbf").optimize(f, n_trials=2)
    with pytest.raises(StudyNotFound, match=r"did you mean 'svm_rbf' .*without --resume"):
        jhpo.Study(SPACE, strategy="random", storage=db, name="svm_rfb", resume=True)
    cell = "x = 0.5  # tune: uniform(-2, 2)\nk = 'a'  # tune: choice('a', 'b')\nscore = x\n"
    with pytest.raises(UsageError, match="did you mean 'svm_rbf'"):
        ip.run_cell_magic(
            "tune", f"--strategy random --maximize score --study svm_rfb --resume --storage {db} --quiet", cell
        )
    # a name unlike any stored one starts the study (what the course notebooks rely on on their first run),
    # and so does a close name of another search (lesson4_random beside lesson3_random)
    assert jhpo.Study(SPACE, strategy="random", storage=db, name="lesson_one", resume=True).trials == []
    assert jhpo.Study(SPACE, strategy="grid", storage=db, name="svm_rbg", resume=True).trials == []
    other = {"x": jhpo.uniform(0, 1)}
    assert jhpo.Study(other, strategy="random", storage=db, name="svm_rbc", resume=True).trials == []


def test_unnamed_studies_get_a_readable_name() -> None:
    s = jhpo.Study(SPACE, strategy="random", storage=":memory:", meta={"objective": "val_acc"})
    assert s.name.startswith("val_acc-x-k-") and len(s.name) == len("val_acc-x-k-") + 4
    assert jhpo.Study(SPACE, strategy="random", storage=":memory:").name.startswith("study-x-k-")


def test_undecodable_text_is_stored_escaped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.db")
    s = jhpo.Study(SPACE, strategy="random", storage=db, name="u")

    def noisy(t: jhpo.Trial) -> float:
        t.stdout = "file \udcff name"  # what surrogateescape makes of a non-UTF-8 file name
        if t.number == 1:
            raise OSError("cannot open \udce9t\udce9.csv")
        return 1.0

    s.optimize(noisy, n_trials=3)
    again = jhpo.load_study("u", db)
    assert [t.state for t in again.trials] == [TrialState.COMPLETE, TrialState.FAILED, TrialState.COMPLETE]
    assert again.trials[0].stdout == "file \\udcff name"
    assert "cannot open \\udce9t\\udce9.csv" in (again.trials[1].error or "")


def test_a_surrogate_in_the_cell_is_an_annotation_error_naming_the_line(ip) -> None:  # type: ignore[no-untyped-def]
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match=r"(?s)cell line 4.*undecodable character"):
        ip.run_cell_magic("tune", "--maximize x --quiet", "x = 0.5  # tune: uniform(0, 1)\n\nname = '\udcff'\n")


@pytest.mark.parametrize(
    "bad", ["uniform(0, 1" + "0" * 400 + ")", "integer(0, 1" + "0" * 30 + ")", "loguniform(1e-400, 1)"]
)
def test_bounds_that_overflow_are_annotation_errors_naming_the_line(ip, bad: str) -> None:  # type: ignore[no-untyped-def]
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="cell line 3"):  # the %%tune line is line 1
        ip.run_cell_magic("tune", "--maximize x --quiet --dry-run", f"y = 1\nx = 0.5  # tune: {bad}\n")
