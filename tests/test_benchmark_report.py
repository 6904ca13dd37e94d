"""The quality benchmark's report: scores, the pairing with each peer, overlapping loaded runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not an installed package

from benchmarks import quality  # noqa: E402


def _run(problem: str, method: str, seed: int, final: float) -> dict:
    # Best-so-far curves of 30 trials: flat at 0 until trial 10, then the final value.
    best = [0.0] * 9 + [final / 2] * 10 + [final] * 11
    return {"problem": problem, "method": method, "seed": seed, "best": best, "ask": 0.01}


def _results() -> list[dict]:
    out = []
    for p, (b, a) in {"svc": ((0.4, 0.6, 0.8), (0.2, 0.6, 1.0)), "knn": ((1.0, 1.0, 0.5), (0.5, 0.0, 0.5))}.items():
        for s in range(3):
            out.append(_run(p, "bayes", s, b[s]))
            out.append(_run(p, "ax", s, a[s]))
            out.append(_run(p, "random", s, 0.0))
    return out


def test_normalized_scores_put_random_at_0_and_the_best_run_at_100() -> None:
    scores = quality.normalized(_results(), (30,))
    assert scores[("svc", "random")][:, 0] == pytest.approx([0.0, 0.0, 0.0])
    assert scores[("svc", "ax")][:, 0] == pytest.approx([20.0, 60.0, 100.0])
    assert scores[("knn", "bayes")][:, 0] == pytest.approx([100.0, 100.0, 50.0])


def test_pairing_with_a_peer_is_by_problem_and_seed() -> None:
    results = _results()
    probs = ["svc", "knn"]
    scores = quality.normalized(results, (10, 20, 30))
    text = "\n".join(quality.paired_lines(results, scores, probs, ["bayes", "random", "ax"], (10, 20, 30)))
    # svc: bayes 40, 60, 80 against ax 20, 60, 100 -> gap 0; knn: 100, 100, 50 against 50, 0, 50 -> +50.
    assert "| svc | +0.0 (3) |" in text
    assert "| knn | +50.0 (3) |" in text
    # Suite mean paired by seed after 20 and 30 trials: seed 0 (20 + 50) / 2 = 35, seed 1 (0 + 100) / 2 = 50,
    # seed 2 (-20 + 0) / 2 = -10; after 10 trials (the best so far is half the final) half of each.
    diffs = np.array([35.0, 50.0, -10.0])
    mean, half = quality._ci(diffs)
    early = quality._ci(diffs / 2)
    last_row = f"| ax | 3 | +{early[0]:.1f} ± {early[1]:.1f} | +{mean:.1f} ± {half:.1f} | +{mean:.1f} ± {half:.1f} |"
    assert text.rstrip().endswith(last_row)
    assert "random" not in text.split("| problem |")[1].split("\n")[0]  # random is no peer


def test_a_run_loaded_from_two_files_counts_once_the_later_copy(tmp_path: Path) -> None:
    results = _results()
    redone = [{**r, "best": [*r["best"][:-1], 1.0]} for r in results if r["method"] == "ax" and r["problem"] == "svc"]
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(results))
    second.write_text(json.dumps(redone))
    out = tmp_path / "report.md"
    quality.main(
        ["--methods", "bayes,random,ax", "--problems", "svc,knn", "--seeds", "3", "--no-run", "--no-cost"]
        + ["--load", str(first), "--load", str(second), "--out", str(out)]
    )
    row = next(line for line in out.read_text().splitlines() if line.startswith("| svc | maximize |"))
    # ax's mean best on svc is that of the later copies (1.0 each), not a mean over both files' copies.
    assert row.split(" | ")[4] == "1"


def test_a_variant_of_the_base_is_paired_with_it_too() -> None:
    # An option measured against the default ("bayes-avg": bayes with another prior mean) is a peer;
    # another strategy ("random") is not.
    results = [{**r, "method": "bayes-avg"} for r in _results() if r["method"] == "ax"] + _results()
    scores = quality.normalized(results, (10, 20, 30))
    methods = ["bayes", "bayes-avg", "random"]
    text = "\n".join(quality.paired_lines(results, scores, ["svc", "knn"], methods, (10, 20, 30)))
    assert "| problem | bayes-avg |" in text
    assert "| knn | +50.0 (3) |" in text


def test_the_hindsight_ceiling_takes_the_best_method_on_each_problem() -> None:
    results = _results()
    scores = quality.normalized(results, (10, 20, 30))
    text = "\n".join(quality.hindsight_lines(scores, ["svc", "knn"], ["bayes", "random", "ax"], (10, 20, 30)))
    # After 30 trials (top = 1.0 on both): svc, bayes 40/60/80 and ax 20/60/100 -> both 60; knn, bayes
    # 100/100/50 -> 83.3 and ax 50/0/50 -> 33.3. Ceiling (60 + 83.3) / 2 = 71.7; the anchor's (60 + 33.3) / 2.
    assert "| 30 | 71.7 | 46.7 |" in text
    # After 10 trials every best is half its final: knn's bayes 41.7, svc's 30 -> 35.8; ax (30 + 16.7) / 2.
    assert "| 10 | 35.8 | 23.3 |" in text
    # Without an anchor on every problem the anchors' column stays empty.
    last = quality.normalized(results, (30,))
    text = "\n".join(quality.hindsight_lines(last, ["svc", "knn"], ["bayes", "random"], (30,)))
    assert "| 30 | 71.7 |  |" in text
