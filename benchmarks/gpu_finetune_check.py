"""Device check of LoRA fine-tuning (#16) on a GPU machine that has torch, transformers and peft but
no chartsift environment, no vLLM and no model weights (nothing can be downloaded there, and at most
64 MiB travels with the tree).

It runs chartsift's own training loop (`flows.finetune.train`, `answer_loss`, `target_modules`,
checkpoints and resume) on CUDA, at two shapes with random weights: SmolLM2-135M's config (the CPU
default) and a Gemma 3 multimodal config shaped like MedGemma 4B (language model plus SigLIP vision
tower). Speed and the adapter's structure do not depend on the weights' values; loss falling from a
random start shows the loop learns. Examples are real chartsift training examples
(`transforms.finetune.build_examples` over `benchmarks/data/extract-train.jsonl`, synthetic notes
with no real PHI) tokenised by the SmolLM2 tokenizer; they are not de-identified here (Presidio and
spaCy are not on that machine), which the product's `chartsift finetune` always does.

Prints one JSON object. Not run in CI (no GPU there):

    python3 benchmarks/gpu_finetune_check.py --tokenizer DIR [--n 24] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.finetune import FinetuneConfig, target_modules, tokenize, train  # noqa: E402
from transforms.finetune import build_examples  # noqa: E402
from transforms.prompts import load_template  # noqa: E402

# MedGemma 4B (google/medgemma-4b-it config.json): Gemma 3 text model with a SigLIP vision tower
GEMMA3_4B_TEXT = {"hidden_size": 2560, "intermediate_size": 10240, "num_hidden_layers": 34, "num_attention_heads": 8,
                  "num_key_value_heads": 4, "head_dim": 256, "vocab_size": 262208, "sliding_window": 1024,
                  "rope_scaling": {"factor": 8.0, "rope_type": "linear"}}  # fmt: skip
SIGLIP = {"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27, "num_attention_heads": 16,
          "image_size": 896, "patch_size": 14, "vision_use_head": False}  # fmt: skip


def examples(train_file: Path, tokenizer_dir: Path, n: int) -> list[tuple[list[int], int]]:
    from transformers import AutoTokenizer

    records = [json.loads(x) for x in train_file.read_text().splitlines() if x.strip()][:n]
    exs, _ = build_examples([r["target"] for r in records], [r["text"] for r in records], load_template("extract_ft1"))
    return tokenize(exs, AutoTokenizer.from_pretrained(str(tokenizer_dir)), 4096)


TINY = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16}  # --tiny: the same code on CPU, in seconds (a dry run)


def random_base(kind: str, tokenizer_dir: Path, out: Path, tiny: bool) -> tuple[str, int]:
    """Save a randomly initialised model of `kind` to `out` (built on the GPU: seconds for 4B)."""
    import torch
    from transformers import AutoConfig, Gemma3Config, Gemma3ForConditionalGeneration, LlamaForCausalLM

    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        if kind == "smollm2-135m":
            model = LlamaForCausalLM(AutoConfig.from_pretrained(str(tokenizer_dir), **(TINY if tiny else {})))
        else:
            text = {**GEMMA3_4B_TEXT, **(TINY if tiny else {})}
            vision = {**SIGLIP, **({"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                                    "num_attention_heads": 4} if tiny else {})}  # fmt: skip
            model = Gemma3ForConditionalGeneration(Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=256))
        model = model.to(torch.bfloat16)
    n_params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(str(out))
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return str(out), n_params


def check(kind: str, data: list[tuple[list[int], int]], tokenizer_dir: Path, work: Path, steps: int, tiny: bool) -> dict:
    import torch
    from safetensors import safe_open

    gpu = torch.cuda.is_available()
    base, n_params = random_base(kind, tokenizer_dir, work / f"{kind}-base", tiny)
    out = work / f"{kind}-adapter"
    cfg = FinetuneConfig(train=(), out=str(out), epochs=100, lr=2e-3, grad_accum=4, warmup_steps=2,
                         save_every=steps, max_steps=steps)  # fmt: skip
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    model, state = train(cfg, data, base, out)
    if gpu:
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    names = [n for n, _ in model.named_modules()]
    trainable = {p.dtype for p in model.parameters() if p.requires_grad}
    model.save_pretrained(str(out))
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as f:
        keys = list(f.keys())
    adapter_cfg = json.loads((out / "adapter_config.json").read_text())
    tokens = sum(len(data[i][0]) for i in range(min(len(data), steps * cfg.grad_accum)))
    # resume: the same command with two more steps continues from the checkpoint
    resumed = train(FinetuneConfig(**{**cfg.__dict__, "max_steps": steps + 2}), data, base, out)[1]
    return {
        "params": n_params, "steps": state.step, "seconds": round(secs, 1), "train_tokens_per_s": round(tokens / secs),
        "loss_first": state.losses[0], "loss_last": state.losses[-1], "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 1) if gpu else None,
        "device": str(model.device), "trainable_dtypes": sorted(str(d) for d in trainable),
        "target_modules": target_modules(names), "adapter_tensors": len(keys),
        "adapter_vision_tensors": sum("vision" in k for k in keys),
        "adapter_language_tensors": sum("language_model" in k for k in keys) if kind != "smollm2-135m" else len(keys),
        "modules_to_save": adapter_cfg.get("modules_to_save"),
        "resumed_to_step": resumed.step, "resumed_losses": len(resumed.losses),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokenizer", type=Path, required=True, help="SmolLM2 tokenizer and config folder")
    ap.add_argument("--train", type=Path, default=ROOT / "benchmarks/data/extract-train.jsonl")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--out", type=Path, default=Path("/tmp/gpu-finetune-check"))
    ap.add_argument("--kinds", default="smollm2-135m,medgemma-4b-shape")
    ap.add_argument("--tiny", action="store_true", help="small shapes: a dry run of the same code on CPU")
    args = ap.parse_args()
    import peft
    import torch
    import transformers

    res: dict = {"gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "torch": torch.__version__,
                 "transformers": transformers.__version__, "peft": peft.__version__}  # fmt: skip
    data = examples(args.train, args.tokenizer, args.n)
    res["examples"], res["tokens_per_example"] = len(data), round(sum(len(d[0]) for d in data) / len(data))
    for kind in args.kinds.split(","):
        try:
            res[kind] = check(kind, data, args.tokenizer, args.out, steps=20 if kind == "smollm2-135m" else 6,
                              tiny=args.tiny)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a device check reports what failed and goes on
            res[kind] = {"error": f"{type(exc).__name__}: {str(exc)[:400]}"}
        print(json.dumps({kind: res[kind]}), flush=True)
    print(json.dumps(res, indent=1, default=str))


if __name__ == "__main__":
    main()
