from __future__ import annotations

import numpy as np
import pytest

import jhpo
from jhpo.space import Space


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
