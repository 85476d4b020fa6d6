import os
import subprocess
import sys

from uiray.cli import build_parser, main


def test_help_lists_only_working_commands():
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert sorted(subparsers.choices) == [
        "data",
        "doctor",
        "dpo",
        "eval",
        "generate",
        "grpo",
        "labels",
        "merge",
        "model",
        "pipeline",
        "render",
        "reward",
        "serve",
        "sft",
    ]


def test_config_errors_exit_2_and_name_the_field(capsys):
    assert main(["generate", "a timer", "-o", "x.html", "sampling.temprature=0.2"]) == 2
    assert "sampling.temprature: unknown field" in capsys.readouterr().err


def test_stray_arguments_are_rejected():
    out = subprocess.run(
        [sys.executable, "-m", "uiray.cli", "generate", "a timer", "--bogus"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "unrecognized arguments: --bogus" in out.stderr


def test_model_list_names_the_default_model():
    out = subprocess.run([sys.executable, "-m", "uiray.cli", "model", "list"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "smollm2-135m-instruct" in out.stdout


def test_log_level_sets_what_reaches_stderr_and_stdout_keeps_the_result(capsys, monkeypatch):
    import logging

    from uiray.logs import ENV

    monkeypatch.setenv(ENV, "INFO")  # restored after the test: main() sets it for Ray workers
    monkeypatch.setenv("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    assert main(["--log-level", "warning", "model", "list"]) == 0
    assert logging.getLogger("uiray").level == logging.WARNING and os.environ[ENV] == "WARNING"
    logging.getLogger("uiray.data").info("not shown at WARNING")
    logging.getLogger("uiray.data").warning("2 rows were cut")
    out, err = capsys.readouterr()
    assert "smollm2-135m-instruct" in out and "[uiray" not in out
    assert err == "[uiray data] WARNING 2 rows were cut\n"

    assert main(["--log-level", "debug", "model", "list"]) == 0
    logging.getLogger("uiray.train").debug("shown at DEBUG")
    assert capsys.readouterr().err == "[uiray train] shown at DEBUG\n"
    assert main(["--log-level", "info", "model", "list"]) == 0  # leave INFO behind for later tests


def test_eval_models_and_replies_become_overrides_and_trailing_overrides_stay_overrides():
    from uiray.cli import eval_overrides

    def parse(*argv):
        return eval_overrides(build_parser().parse_args(["eval", *argv]))

    assert parse("--models", "base", "outputs/sft", "limit=5") == ["limit=5", "models=[base,outputs/sft]"]
    assert parse("--replies", "r.jsonl") == ["replies=r.jsonl", "models=[]"]
    assert parse("--replies", "r.jsonl", "--models", "m") == ["models=[m]", "replies=r.jsonl"]
    assert parse("limit=3") == ["limit=3"]
