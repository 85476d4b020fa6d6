import pytest

from uiray.reward.compose import PRESETS, RewardPreset, compose

GATES_OK = {"repetition": 1, "render": 1}


def test_frontcoder_formula_by_hand():
    result = compose({**GATES_OK, "checklist": 0.8, "similarity": 0.5, "length": 1.0}, "frontcoder")
    # 1 * 1 * (0.6 * 0.8 + 0.3 * 0.5 + 0.1 * 1.0) = 0.48 + 0.15 + 0.1 = 0.73
    assert result["total"] == pytest.approx(0.73)
    assert result["preset"] == "frontcoder"
    assert result["gates"] == {"repetition": 1.0, "render": 1.0}
    assert result["weights"] == pytest.approx({"checklist": 0.6, "similarity": 0.3, "length": 0.1})
    assert result["missing"] == []
    assert result["components"] == {
        "repetition": 1.0,
        "render": 1.0,
        "checklist": 0.8,
        "similarity": 0.5,
        "length": 1.0,
    }


def test_frontcoder_second_example_by_hand():
    result = compose({**GATES_OK, "checklist": 0.35, "similarity": 0.9, "length": 0.25}, "frontcoder")
    # 0.6 * 0.35 + 0.3 * 0.9 + 0.1 * 0.25 = 0.21 + 0.27 + 0.025 = 0.505
    assert result["total"] == pytest.approx(0.505)


def test_render_failure_zeroes_the_whole_reward():
    # FrontCoder's code would still pay 0.6 * 0.8 + 0.1 * 1.0 = 0.58 here; we pay 0.
    result = compose({"repetition": 1, "render": 0, "checklist": 0.8, "similarity": 0.5, "length": 1.0}, "frontcoder")
    assert result["total"] == 0.0
    assert result["gates"] == {"repetition": 1.0, "render": 0.0}


def test_repetition_zeroes_the_whole_reward():
    result = compose({"repetition": 0, "render": 1, "checklist": 1.0, "similarity": 1.0, "length": 1.0}, "frontcoder")
    assert result["total"] == 0.0


def test_missing_similarity_renormalises_the_remaining_weights():
    result = compose({**GATES_OK, "checklist": 0.8, "similarity": None, "length": 1.0}, "frontcoder")
    # Available weights 0.6 + 0.1 = 0.7 scaled to 1.0: checklist 0.6/0.7 = 6/7, length 0.1/0.7 = 1/7.
    # total = 6/7 * 0.8 + 1/7 * 1.0 = (4.8 + 1.0) / 7 = 5.8 / 7 = 0.828571...
    assert result["weights"] == pytest.approx({"checklist": 6 / 7, "length": 1 / 7})
    assert result["total"] == pytest.approx(5.8 / 7)
    assert result["missing"] == ["similarity"]
    assert "similarity" not in result["components"]
    # An absent key is missing in the same way as None.
    absent = compose({**GATES_OK, "checklist": 0.8, "length": 1.0}, "frontcoder")
    assert absent["total"] == pytest.approx(5.8 / 7)
    assert absent["missing"] == ["similarity"]


def test_default_preset_without_judge_or_reference():
    components = {
        **GATES_OK,
        "interactivity": 1.0,
        "completeness": 0.5,
        "accessibility": 0.8,
        "visual": 0.6,
        "length": 1.0,
    }
    result = compose(components)
    # checklist (0.1) and similarity (0.05) missing: available 0.85, scale 1/0.85.
    # sum = 0.3*1.0 + 0.2*0.5 + 0.15*0.8 + 0.15*0.6 + 0.05*1.0 = 0.3 + 0.1 + 0.12 + 0.09 + 0.05 = 0.66
    # total = 0.66 / 0.85 = 0.776470...
    assert result["preset"] == "default"
    assert result["missing"] == ["checklist", "similarity"]
    assert result["total"] == pytest.approx(0.66 / 0.85)
    assert sum(result["weights"].values()) == pytest.approx(1.0)
    assert result["weights"]["interactivity"] == pytest.approx(0.3 / 0.85)


def test_default_preset_weights_sum_to_one():
    assert PRESETS["default"].total_weight == pytest.approx(1.0)
    assert PRESETS["frontcoder"].total_weight == pytest.approx(1.0)


def test_missing_gate_is_an_error():
    with pytest.raises(ValueError, match="render"):
        compose({"repetition": 1, "checklist": 0.5}, "frontcoder")
    with pytest.raises(ValueError, match="repetition"):
        compose({"repetition": None, "render": 1, "checklist": 0.5}, "frontcoder")


def test_all_weighted_components_missing_is_an_error():
    with pytest.raises(ValueError, match="all weighted components missing"):
        compose({**GATES_OK, "checklist": None}, "frontcoder")


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), "0.5", True])
def test_values_outside_unit_interval_are_rejected_by_name(bad):
    with pytest.raises(ValueError, match="'checklist'"):
        compose({**GATES_OK, "checklist": bad, "similarity": 0.5, "length": 1.0}, "frontcoder")


def test_unknown_components_are_kept_but_do_not_count():
    result = compose({**GATES_OK, "checklist": 1.0, "ux_vibes": 0.1}, "frontcoder")
    # Only checklist is available: its weight becomes 1.0 and total = 1.0.
    assert result["components"]["ux_vibes"] == 0.1
    assert result["total"] == pytest.approx(1.0)
    assert result["missing"] == ["similarity", "length"]
    with pytest.raises(ValueError, match="'ux_vibes'"):
        compose({**GATES_OK, "checklist": 1.0, "ux_vibes": 2.0}, "frontcoder")


def test_unknown_preset_name_is_an_error():
    with pytest.raises(ValueError, match="unknown reward preset 'frontcoders'"):
        compose(GATES_OK, "frontcoders")


def test_custom_preset_with_fractional_gate_and_total_weight_two():
    preset = RewardPreset("mine", gates=("render",), weights={"a": 1.5, "b": 0.5})
    result = compose({"render": 0.5, "a": 0.4, "b": None}, preset)
    # b missing: a's weight scaled to the preset total 2.0; total = 0.5 * (2.0 * 0.4) = 0.4
    assert result["weights"] == {"a": 2.0}
    assert result["total"] == pytest.approx(0.4)
    assert result["preset"] == "mine"


def test_preset_validation():
    with pytest.raises(ValueError, match="both gate and weighted"):
        RewardPreset("x", gates=("render",), weights={"render": 1.0})
    with pytest.raises(ValueError, match="> 0"):
        RewardPreset("x", gates=(), weights={"a": 0.0})
    with pytest.raises(ValueError, match="at least one"):
        RewardPreset("x", gates=("render",), weights={})
    # The preset keeps its own read-only copy of the weights.
    weights = {"a": 1.0}
    preset = RewardPreset("x", gates=(), weights=weights)
    weights["a"] = 5.0
    assert preset.weights["a"] == 1.0
    with pytest.raises(TypeError):
        preset.weights["a"] = 2.0
