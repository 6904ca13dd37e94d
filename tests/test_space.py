from __future__ import annotations

import numpy as np
import pytest

import jhpo
from jhpo.space import INACTIVE_UNIT, Clause, Condition, Space, choice, integer, uniform


@pytest.mark.parametrize(
    "dist",
    [
        jhpo.uniform(-1, 3),
        jhpo.uniform(0, 1, step=0.2),
        jhpo.loguniform(1e-5, 1e2),
        jhpo.integer(0, 9),
        jhpo.integer(1, 1000, log=True),
        jhpo.integer(16, 256, step=16),
        jhpo.choice("a", 1, None, True),
    ],
)
def test_unit_roundtrip_and_samples_stay_inside(dist: jhpo.space.Distribution) -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        v = dist.sample(rng)
        assert dist.contains(v), v
        u = dist.to_unit(v)
        assert 0.0 <= u <= 1.0
        assert dist.from_unit(u) == v
    for u in np.linspace(0, 1, 57):
        assert dist.contains(dist.from_unit(u))


def test_log_sampling_is_uniform_in_log_space() -> None:
    d = jhpo.loguniform(1e-4, 1)
    xs = np.array([d.sample(np.random.default_rng(i)) for i in range(4000)])
    frac_below = np.mean(xs < 1e-2)
    assert 0.45 < frac_below < 0.55  # half the decades lie below 1e-2


def test_grid_levels() -> None:
    assert jhpo.loguniform(1e-3, 1e-1).grid(3) == pytest.approx([1e-3, 1e-2, 1e-1])
    assert jhpo.uniform(0, 1).grid(5) == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    assert jhpo.integer(1, 4).grid(2) == [1, 2, 3, 4]  # all integers when few
    assert len(jhpo.integer(1, 1000).grid(5)) == 5
    assert jhpo.choice("a", "b").grid(9) == ["a", "b"]
    s = Space({"a": jhpo.choice("x", "y"), "n": jhpo.integer(1, 3)})
    assert s.grid_size(5) == 6 and len(list(s.grid(5))) == 6


def test_space_json_roundtrip_and_contains() -> None:
    s = Space(
        {
            "lr": jhpo.loguniform(1e-4, 1),
            "n": jhpo.integer(2, 8, step=2),
            "k": jhpo.choice(True, False),
            "e": jhpo.resource(1, 27),
        }
    )
    assert Space.from_json(s.to_json()) == s
    assert s.resource_name == "e" and s.searched.names == ["lr", "n", "k"]
    assert s.contains({"lr": 0.1, "n": 4, "k": True, "e": 3})
    assert not s.contains({"lr": 0.1, "n": 5, "k": True, "e": 3})
    assert not s.contains({"lr": 0.1, "n": 4, "k": 1, "e": 3})  # 1 is not True for a choice
    assert not s.contains({"lr": 0.1, "n": 4})


def test_space_rejects_non_distributions() -> None:
    with pytest.raises(TypeError, match="jhpo.uniform"):
        Space({"x": (0, 1)})  # type: ignore[dict-item]


# -- conditional spaces (issue 15) ---------------------------------------------------------


def _tree() -> Space:
    return Space(
        {
            "k": choice("a", "b"),
            "x": integer(0, 3),
            "y": choice(1, 2, 3),
            "z": uniform(0, 1),
            "r": uniform(0, 1),
        },
        conditions={
            "x": Condition((Clause("k", "==", "a"),)),
            "y": Condition((Clause("k", "==", "b"),)),
            "z": Condition((Clause("k", "==", "b"), Clause("y", ">", 1))),
            "r": Condition((), runtime=True),
        },
    )


def test_conditional_space_prunes_samples_and_decodes_to_active_parameters_only() -> None:
    sp = _tree()
    assert sp.prune({"k": "a", "x": 1, "y": 2, "z": 0.5, "r": 0.1}) == {"k": "a", "x": 1, "r": 0.1}
    assert sp.prune({"k": "b", "x": 1, "y": 1, "z": 0.5}) == {"k": "b", "y": 1}  # nested: y > 1 fails
    rng = np.random.default_rng(0)
    for _ in range(50):
        p = sp.sample(rng)
        assert sp.contains(p) and p == sp.prune(p)
        assert sp.contains(sp.from_unit(sp.to_unit(p)))
    assert not sp.contains({"k": "a", "r": 0.1})  # x is active and missing
    assert sp.contains({"k": "a", "x": 0})  # r is known only after the trial: may be absent
    assert not sp.contains({"k": "a", "x": 0, "y": 1})  # y is inactive under k == "a"


def test_inactive_parameters_encode_to_a_fixed_position_or_a_fresh_draw() -> None:
    sp = _tree()
    u = sp.to_unit({"k": "a", "x": 2})
    assert u[2] == u[3] == u[4] == INACTIVE_UNIT
    drawn = sp.to_unit({"k": "a", "x": 2}, fill=np.random.default_rng(1))
    assert len({drawn[2], drawn[3], drawn[4]}) == 3 and drawn[0] == u[0]
    U = np.random.default_rng(2).random((20, 5))
    imputed = sp.impute(U)
    for row, raw in zip(imputed, U):
        active = sp.from_unit(raw)
        assert sp.from_unit(row) == active
        for j, name in enumerate(sp.names):
            if name not in active and name != "r":
                assert row[j] == INACTIVE_UNIT


def test_conditional_grid_holds_each_distinct_configuration_once() -> None:
    sp = Space(
        {"kernel": choice("rbf", "linear"), "C": choice(1, 10), "gamma": choice(0.1, 1.0)},
        conditions={"gamma": Condition((Clause("kernel", "==", "rbf"),))},
    )
    points = list(sp.grid(5))
    assert len(points) == sp.grid_size(5) == sp.n_configurations() == 2 * 2 + 2
    assert all(("gamma" in p) == (p["kernel"] == "rbf") for p in points)


def test_conditions_round_trip_through_json_and_describe_as_a_tree() -> None:
    sp = _tree()
    again = Space.from_json(sp.to_json())
    assert again == sp and again.conditions == sp.conditions
    assert Space.from_json(Space({"a": uniform(0, 1)}).to_json()).conditions == {}
    tree = "\n".join(sp.describe_tree())
    assert "if k == 'b':\n  y = choice(1, 2, 3)\n  if y > 1:\n    z = uniform(0, 1)" in tree
    assert "r = uniform(0, 1)  (active when the cell reads it)" in tree
    assert sp.settle({"k": "a", "x": 1, "r": 0.2}, read=[]) == {"k": "a", "x": 1}
    assert sp.settle({"k": "a", "x": 1, "r": 0.2}, read=["r"]) == {"k": "a", "x": 1, "r": 0.2}


def test_a_condition_must_test_an_earlier_parameter() -> None:
    with pytest.raises(ValueError, match="listed before it"):
        Space({"x": uniform(0, 1), "k": choice("a", "b")}, conditions={"x": Condition((Clause("k", "==", "a"),))})
    assert Clause("flag", "truthy", True).holds(1) and not Clause("flag", "truthy", False).holds(1)
    assert Clause("k", "in", ["a", True]).holds(True) and not Clause("k", "==", 1).holds(True)


@pytest.mark.parametrize("strategy", ["grid", "random", "sobol", "bayes", "genetic", "hyperband"])
def test_every_strategy_proposes_only_valid_configurations_of_a_tree(strategy: str) -> None:
    import jhpo

    sp = Space(
        {"k": choice("a", "b"), "x": integer(0, 3), "y": uniform(0, 1), "e": jhpo.resource(1, 9)},
        conditions={"x": Condition((Clause("k", "==", "a"),)), "y": Condition((Clause("k", "==", "b"),))},
    )
    study = jhpo.Study(sp, strategy=strategy, seed=0, storage=":memory:")
    study.optimize(lambda t: t.params.get("x", 0) + t.params.get("y", 0), n_trials=14)
    assert len(study.trials) >= 5
    for t in study.trials:
        assert sp.contains(t.params), t.params
    assert {t.params["k"] for t in study.trials} == {"a", "b"}
