"""docs/reference/ says what the configs say: every field, its default and its docstring."""

from pathlib import Path

import config_docs


def test_the_reference_pages_match_the_configs():
    assert config_docs.main(["--check"]) == 0, "run `python tools/config_docs.py`"


def test_a_page_that_drifts_from_its_config_is_caught(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config_docs, "OUT", tmp_path)
    monkeypatch.setattr(config_docs, "ROOT", tmp_path)
    assert config_docs.main([]) == 0 and config_docs.main(["--check"]) == 0
    page = Path(tmp_path / "serve.md")
    page.write_text(page.read_text().replace("`64`", "`32`"))  # max_concurrent's default, as a stale page says
    assert config_docs.main(["--check"]) == 1
    assert "serve.md" in capsys.readouterr().err
    assert "| `max_concurrent` | int | `64` |" in config_docs.page("serve", config_docs.commands()["serve"])
