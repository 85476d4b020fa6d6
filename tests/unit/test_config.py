import subprocess
import sys
from pathlib import Path

import pytest

from uiray.config import (
    ConfigError,
    DataConfig,
    DPOConfig,
    EvalConfig,
    GenerateConfig,
    SFTConfig,
    load_config,
    save_config,
)

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_typo_in_yaml_key_names_the_field(tmp_path):
    path = write(tmp_path, "train:\n  lerning_rate: 0.001\n")
    with pytest.raises(ConfigError, match=r"train\.lerning_rate: unknown field"):
        load_config(SFTConfig, path)


def test_negative_learning_rate_names_the_field(tmp_path):
    path = write(tmp_path, "train:\n  lr: -1e-5\n")
    with pytest.raises(ConfigError, match=r"train\.lr: Input should be greater than 0 \(got -1e-05\)"):
        load_config(SFTConfig, path)


def test_dotted_overrides_parse_values_and_win_over_the_file(tmp_path):
    path = write(tmp_path, "train:\n  lr: 1.0e-4\n")
    cfg = load_config(SFTConfig, path, ["train.lr=2e-5", "scaling.strategy=zero3", "lora.target_modules=[q_proj]"])
    assert cfg.train.lr == 2e-5
    assert cfg.scaling.strategy == "zero3"
    assert cfg.lora.target_modules == ["q_proj"]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("sampling.temprature=0.2", "sampling.temprature"),
        ("sampling.top_p=1.5", "sampling.top_p"),
        ("engine.max_model_len=8", "engine.max_model_len"),
        ("model.dtype=int3", "model.dtype"),
    ],
)
def test_bad_overrides_name_the_field(override, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(GenerateConfig, None, [override])


def test_malformed_override_and_missing_file_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="section.field=value"):
        load_config(GenerateConfig, None, ["sampling.temperature"])
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(GenerateConfig, tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("name", "cls"),
    [("generate", GenerateConfig), ("sft", SFTConfig), ("dpo", DPOConfig), ("data", DataConfig), ("eval", EvalConfig)],
)
def test_shipped_configs_load(name, cls):
    cfg = load_config(cls, CONFIGS / f"{name}.yaml")
    assert cfg == cls.model_validate(cfg.model_dump())


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config(DPOConfig, None, ["beta=0.25"])
    path = save_config(cfg, tmp_path / "run")
    assert path == tmp_path / "run" / "config.yaml"
    assert load_config(DPOConfig, path) == cfg


def test_dpo_defaults_follow_the_dojo_preset():
    cfg = DPOConfig()
    assert (cfg.lora.r, cfg.lora.alpha, cfg.beta, cfg.train.lr) == (256, 512, 0.1, 1e-6)


def test_importing_uiray_and_its_config_stays_light():
    code = (
        "import sys, uiray, uiray.config, uiray.cli\n"
        "heavy = [m for m in ('torch', 'vllm', 'ray', 'playwright', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_stage_yaml_files_are_the_documented_defaults():
    """configs/<stage>.yaml is what a user edits: it must load and match the schema's defaults."""
    from uiray.config import DataConfig, DPOConfig, EvalConfig, SFTConfig

    root = Path(__file__).resolve().parents[2] / "configs"
    from uiray.rl.config import GRPOConfig

    stages = (("sft", SFTConfig), ("dpo", DPOConfig), ("data", DataConfig), ("eval", EvalConfig), ("grpo", GRPOConfig))
    for name, cls in stages:
        assert load_config(cls, root / f"{name}.yaml") == cls(), f"configs/{name}.yaml differs from {cls.__name__}()"


def test_grpo_recipes_load_with_their_published_settings():
    from uiray.rl.config import GRPOConfig

    frontcoder = load_config(GRPOConfig, CONFIGS / "grpo" / "frontcoder.yaml")
    assert (frontcoder.sampling.n, frontcoder.kl_coef, frontcoder.lr, frontcoder.lora.enabled) == (4, 1e-3, 4e-6, False)
    assert frontcoder.reward.preset == "frontcoder"
    react = load_config(GRPOConfig, CONFIGS / "grpo" / "react.yaml")
    assert (react.sampling.n, react.reward.preset) == (4, "react")


def test_eval_leaves_room_for_the_longest_answer_the_data_stage_keeps():
    """An eval cut shorter than the training pages scores a model that learned them as truncated."""
    from uiray.config import EvalConfig

    assert EvalConfig().sampling.max_tokens >= DataConfig().max_tokens


def test_an_override_inside_a_section_keeps_the_stages_other_defaults_there(tmp_path):
    """eval's sampling is greedy; `sampling.max_tokens=100` must not bring SamplingConfig's temperature back."""
    from uiray.config import EvalConfig

    cfg = load_config(EvalConfig, None, ["sampling.max_tokens=100"])
    assert (cfg.sampling.max_tokens, cfg.sampling.temperature, cfg.sampling.n) == (100, 0.0, 1)
    partial = tmp_path / "eval.yaml"
    partial.write_text("sampling:\n  n: 3\n")
    assert load_config(EvalConfig, partial).sampling.temperature == 0.0
