"""`chartsift finetune` end to end on the real SmolLM2-135M with a few examples: the loss goes
down, the adapter's card carries its sha256, the adapter loads in real vLLM on CPU (merged), and
every fact's provenance names it. Slow: ~1 min of training, ~1 min to load vLLM."""

import json

import pytest

from flows.adapters import ADAPTER_CARD, adapter_digest
from flows.finetune import FinetuneConfig, finetune
from flows.settings import Settings
from tests.support import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_when_finetune_runs_then_loss_falls_and_vllm_serves_the_adapter_with_its_checksum(tmp_path):
    out = tmp_path / "adapter"
    cfg = FinetuneConfig(train=(str(ROOT / "benchmarks" / "data" / "extract-train.jsonl"),), out=str(out),
                         limit=3, epochs=4, grad_accum=3, warmup_steps=1, lr=2e-3, name="ci-adapter")  # fmt: skip
    card = finetune(cfg, Settings())
    losses = card["training"]["loss_curve"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert card["sha256"] == adapter_digest(out) == json.loads((out / ADAPTER_CARD).read_text())["sha256"]
    assert card["data"]["notes"] == 3 and "README.md" in {p.name for p in out.iterdir()}
    assert not (out / "tokenizer.json").exists()

    from flows.runtime import get_engine
    from transforms.extraction import ExtractPolicy, extract_facts
    from transforms.prompts import load_template

    settings = Settings(inference={"engine": "cpu", "adapter": str(out), "max_tokens": 64, "retry_max_tokens": 64})
    engine = get_engine(settings.inference)
    assert engine.info.adapter_sha256 == card["sha256"] and engine.info.prompt_template == "extract_ft1"
    note = {"note_key": "n1", "patient_key": "p1", "text": "Continue metformin 500 mg po BID. Never smoker.",
            "deid_version": "d", "phi_tokens": [], "source_key": "s", "source_format": "txt"}  # fmt: skip
    res = extract_facts([note], engine, load_template("extract_ft1"), ExtractPolicy(64, 64, b"k" * 32), "run")
    assert len(res.notes) == 1 and res.generated_tokens > 0
    for f in res.facts:
        assert f["adapter_id"] == card["adapter_id"] and f["adapter_sha256"] == card["sha256"]
