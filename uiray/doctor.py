"""`uiray doctor`: check what the pipeline needs and say how to fix what is missing.

Each check returns (ok, detail, fix). A failed required check makes the command exit 1; warnings
(low memory, no GPU) are printed but do not fail.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable

from uiray.models import KNOWN_MODELS, cache_dir, is_prepared, known_model_dir

Check = tuple[bool, str, str]
SETUP = "run ./setup.sh"
CUDA_ONLY_WHEELS = ["torchvision", "torchaudio", "torchcodec", "triton"]


def check_python() -> Check:
    ok = sys.version_info[:2] in {(3, 11), (3, 12)}
    return ok, sys.version.split()[0], "use Python 3.11 or 3.12"


def check_torch() -> Check:
    import torch

    device = "CUDA " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU only"
    return True, f"torch {torch.__version__} ({device})", SETUP


def check_cuda_only_wheels() -> Check:
    import torch

    if torch.cuda.is_available():
        return True, "GPU torch: CUDA wheels are fine", ""
    found = [name for name in CUDA_ONLY_WHEELS if importlib.util.find_spec(name) is not None]
    detail = f"installed: {', '.join(found)}" if found else "none installed"
    return not found, detail, f"pip uninstall -y {' '.join(found)} (CUDA builds break transformers on CPU)"


def check_vllm() -> Check:
    import vllm

    return True, f"vllm {vllm.__version__}", SETUP


def check_packages() -> Check:
    names = ["transformers", "peft", "ray", "datasketch", "playwright", "deepspeed", "wandb"]
    versions = [f"{n} {importlib.metadata.version(n)}" for n in names]
    for name in ["transformers", "peft"]:
        importlib.import_module(name)  # fails loudly on a broken install
    return True, ", ".join(versions), SETUP


def check_chromium() -> Check:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_content("<button id=b onclick='this.textContent=6*7'>x</button>")
        page.click("#b")
        answer = page.text_content("#b")
        browser.close()
    return answer == "42", f"{version}; Playwright renders and clicks", "sudo apt-get install -y chromium"


def check_models() -> Check:
    missing = [name for name in KNOWN_MODELS if not is_prepared(known_model_dir(name))]
    detail = f"cache {cache_dir()}: " + (f"missing {', '.join(missing)}" if missing else "all prepared")
    return not missing, detail, "uiray model prepare"


def check_ray() -> Check:
    """Start (or, inside a Ray job, join) a cluster and run one task on it."""
    import ray

    from uiray.cluster import init_ray

    context = init_ray()
    try:
        answer = ray.get(ray.remote(lambda: 6 * 7).options(num_cpus=0).remote(), timeout=120)
        cpus = ray.cluster_resources().get("CPU", 0)
        where = "joined " + os.environ["RAY_ADDRESS"] if os.environ.get("RAY_ADDRESS") else "local cluster"
        dashboard = f", dashboard {context.dashboard_url}" if context else ""
        return answer == 42, f"ray {ray.__version__}: {where}, {cpus:.0f} CPUs{dashboard}", SETUP
    finally:
        ray.shutdown()


def check_cdn() -> Check:
    from uiray.render.cdn import CDN_PACKAGES, TOOL_PACKAGES, CdnShim, cdn_dir
    from uiray.render.jsx import JsxError, esbuild_binary

    missing = sorted(set(CDN_PACKAGES) - CdnShim().available)
    try:
        esbuild_binary()
    except JsxError:
        missing += sorted(TOOL_PACKAGES)
    wanted = len(CDN_PACKAGES) + len(TOOL_PACKAGES)
    detail = f"{cdn_dir()}: " + (f"missing {', '.join(missing)}" if missing else f"{wanted} packages")
    return not missing, detail, "python -m uiray.render.cdn"


def check_memory() -> Check:
    import psutil

    free = psutil.virtual_memory().available / 1024**3
    disk = shutil.disk_usage(cache_dir().parent if cache_dir().parent.exists() else "/").free / 1024**3
    ok = free >= 4 and disk >= 5
    return (
        ok,
        f"{free:.1f} GiB RAM available, {disk:.0f} GiB disk free",
        "free memory/disk (4 GiB RAM, 5 GiB disk)",
    )


# (name, check, required)
CHECKS: list[tuple[str, Callable[[], Check], bool]] = [
    ("python", check_python, True),
    ("torch", check_torch, True),
    ("cuda-only wheels", check_cuda_only_wheels, True),
    ("vllm", check_vllm, True),
    ("packages", check_packages, True),
    ("chromium", check_chromium, True),
    ("model cache", check_models, True),
    ("cdn cache", check_cdn, True),
    ("ray", check_ray, True),
    ("memory", check_memory, False),
]


def run_checks() -> int:
    failed = 0
    for name, check, required in CHECKS:
        try:
            ok, detail, fix = check()
        except Exception as e:  # a check that crashes is a failed check, with the reason shown
            ok, detail, fix = False, f"{type(e).__name__}: {e}".splitlines()[0], SETUP
        status = "ok  " if ok else ("FAIL" if required else "warn")
        print(f"{status} {name:17s} {detail}" + ("" if ok else f"\n     fix: {fix}"), flush=True)
        failed += int(required and not ok)
    print("all required checks passed" if not failed else f"{failed} required check(s) failed")
    return 1 if failed else 0
