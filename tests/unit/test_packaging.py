"""The wheel ships the embedded corpus as data and none of the code that generates it."""

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_holds_the_corpus_file_and_no_corpus_code(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT / "uiray", source / "uiray", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path)]
    subprocess.run([*build, str(source)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("uiray-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "installed")
    assert "uiray/data/embedded_corpus.parquet" in names
    assert not [n for n in names if "corpus" in n and n.endswith(".py")]  # neither generator nor templates
    assert not [n for n in names if n.endswith((".html", ".css", ".js")) and "corpus" in n]

    check = "import uiray; from uiray.data.embedded import load_embedded; print(uiray.__file__, len(load_embedded()))"
    # -S: no .pth files, so the checkout's editable install cannot answer `import uiray`; site-packages still
    # serves the dependencies (pyarrow)
    env = {"PYTHONPATH": f"{tmp_path / 'installed'}:{sysconfig.get_paths()['purelib']}"}
    out = subprocess.run(
        [sys.executable, "-S", "-c", check], capture_output=True, text=True, env=env, check=True, cwd=tmp_path
    ).stdout
    where, rows = out.split()
    assert where.startswith(str(tmp_path / "installed")) and rows == "1000"
