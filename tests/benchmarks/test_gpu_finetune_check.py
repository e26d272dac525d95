"""The GPU fine-tune check (benchmarks/gpu_finetune_check.py) as a dry run on CPU with small shapes:
the same training loop on a Gemma 3 multimodal model (MedGemma's architecture) gives a
language-only adapter (no vision-tower tensors, no modules_to_save: what vLLM can serve), the loss
falls, and a checkpoint resumes."""

import json
import subprocess
import sys

import pytest

from flows.engines.models import resolve_base
from tests.support import ROOT

pytestmark = pytest.mark.slow


def test_when_the_gpu_check_runs_small_on_cpu_then_the_multimodal_adapter_is_language_only(tmp_path):
    tokenizer = resolve_base("smollm2-135m").path  # the prepared model folder: tokenizer and config
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_finetune_check.py"), "--tokenizer", tokenizer,
                          "--tiny", "--n", "4", "--out", str(tmp_path)], capture_output=True, text=True, check=True)  # fmt: skip
    res = json.loads(out.stdout[out.stdout.index("{\n") :])
    for kind in ("smollm2-135m", "medgemma-4b-shape"):
        r = res[kind]
        assert "error" not in r, r
        assert r["loss_last"] < r["loss_first"] and r["resumed_to_step"] == r["steps"] + 2
        assert r["trainable_dtypes"] == ["torch.float32"] and r["modules_to_save"] is None
    mm = res["medgemma-4b-shape"]
    assert "language_model" in mm["target_modules"] and mm["adapter_tensors"] > 0
    assert mm["adapter_vision_tensors"] == 0 and mm["adapter_language_tensors"] == mm["adapter_tensors"]
