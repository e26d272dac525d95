#!/usr/bin/env bash
# GPU smoke check, throughput figure and adaptation check, under 30 minutes on one GPU with whatever model is present.
# Needs an environment with chartsift installed with the gpu extra (pip install -e '.[gpu]') and a
# model folder (no hub access): MODEL=/models/medgemma-4b-it benchmarks/gpu_check.sh
# Prints: the GPU, a real extract-notes run over the samples (GPU engine, notes/s, tokens/s),
# raw vs pipeline generation throughput on the same prompts (the ratio should be >= 0.95), and a
# LoRA fine-tune of the model with base vs adapter figures (not yet run: no GPU was lent).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${MODEL:?set MODEL to a local model folder (e.g. /models/medgemma-4b-it)}"
export CHARTSIFT_INFERENCE__ENGINE=gpu CHARTSIFT_INFERENCE__MODEL="$MODEL" HF_HUB_OFFLINE=1
export CHARTSIFT_INFERENCE__MAX_MODEL_LEN=${MAX_MODEL_LEN:-8192} CHARTSIFT_INFERENCE__MAX_NUM_SEQS=${MAX_NUM_SEQS:-128}
export CHARTSIFT_INFERENCE__TENSOR_PARALLEL_SIZE=${TP:-1}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__, 'cuda', torch.cuda.is_available())"
out=$(mktemp -d)
timeout 300 chartsift run --source samples/notes --output "$out" --engine gpu
timeout 240 chartsift bench extract --n "${N:-64}" --max-tokens 512 --repeats 2
# Domain adaptation on the GPU (#16): a short LoRA fine-tune of $MODEL on the project's synthetic
# training split (language-only adapter: flows.finetune.target_modules), then base vs adapter on
# the never-trained split, served by vLLM with enable_lora. FT_NOTES=0 skips it.
if [ "${FT_NOTES:-60}" -gt 0 ]; then
  timeout 600 chartsift finetune --base "$MODEL" --train benchmarks/data/extract-train.jsonl \
    --out "$out/adapter" --limit "${FT_NOTES:-60}" --epochs 1 --grad-accum 4 --name gpu-check
  timeout 600 chartsift eval-extract --gold benchmarks/data/extract-heldout.jsonl --engine gpu \
    --limit "${EVAL_NOTES:-30}" --compare "$out/adapter"
fi
