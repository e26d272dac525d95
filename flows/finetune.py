"""`chartsift finetune`: LoRA fine-tuning of the extraction model on gold notes (peft + torch).

The same code runs on CPU for the packaged small models and on GPU for MedGemma (language-only
LoRA on the attention and MLP projections, no `modules_to_save`, so vLLM can serve it). Every note
is de-identified by the flow's own stage before it becomes a training example; the loss is taken on
the answer tokens only. Deterministic (one seed for data order, LoRA init and dropout), resumable
(the same command again continues from the last checkpoint in the output folder), and the output folder is a
complete adapter: PEFT weights (bf16), `chartsift-adapter.json` (base model
and revision, prompt template, data recipe and counts, hyper-parameters, loss curve, sha256) and a
README model card. Nothing it prints or writes holds note text.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flows.adapters import ADAPTER_CARD, adapter_digest, write_model_card
from flows.settings import Settings
from transforms.errors import ConfigError
from transforms.finetune import ExampleStats, TrainingExample, build_examples
from transforms.keys import content_hash
from transforms.prompts import load_template
from transforms.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class FinetuneConfig:
    train: tuple[str, ...]  # gold JSONL files ({"text", "target"} per line)
    out: str
    base: str = "smollm2-135m"
    template: str = "extract_ft1"
    epochs: float = 2.0
    lr: float = 3e-4
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    grad_accum: int = 8
    warmup_steps: int = 8
    seed: int = 0
    limit: int | None = None  # first N examples of the training files (CI smoke runs)
    save_every: int = 10  # optimizer steps between checkpoints
    max_steps: int | None = None  # stop after this many optimizer steps (CI; resumable)
    name: str = "chartsift-extract"


@dataclass
class TrainState:
    step: int = 0  # optimizer steps done
    seen: int = 0  # examples consumed
    losses: list[float] = field(default_factory=list)  # mean loss per optimizer step
    seconds: float = 0.0


def read_gold(paths: tuple[str, ...], limit: int | None) -> list[dict]:
    records = []
    for p in paths:
        for i, line in enumerate(Path(p).read_text(encoding="utf-8").splitlines()):
            if line.strip():
                rec = json.loads(line)
                if "text" not in rec or "target" not in rec:
                    raise ConfigError(f"{Path(p).name} line {i + 1}: a training record needs 'text' and 'target'")
                records.append(rec)
    return records[:limit]


def prepare_examples(cfg: FinetuneConfig, settings: Settings) -> tuple[list[TrainingExample], ExampleStats, int]:
    """Gold notes through the flow's de-identification stage, then into training examples; a note
    the stage quarantines is left out (returned as a count)."""
    from flows.evaluation import deidentified_texts

    records = read_gold(cfg.train, cfg.limit)
    texts = deidentified_texts([r["text"] for r in records], "finetune", settings)
    kept = [(r["target"], t) for r, t in zip(records, texts, strict=True) if t is not None]
    examples, stats = build_examples([k[0] for k in kept], [k[1] for k in kept], load_template(cfg.template))
    return examples, stats, len(records) - len(kept)


def tokenize(examples: list[TrainingExample], tokenizer, max_len: int) -> list[tuple[list[int], int]]:
    """(token ids, number of answer tokens at the end) per example; the answer ends with EOS."""
    out = []
    for ex in examples:
        prompt = tokenizer.apply_chat_template(ex.messages, tokenize=False, add_generation_prompt=True)
        p_ids = tokenizer.encode(prompt, add_special_tokens=False)
        a_ids = tokenizer.encode(ex.answer, add_special_tokens=False) + [tokenizer.eos_token_id]
        if len(p_ids) + len(a_ids) > max_len:
            raise ConfigError(f"a training example is {len(p_ids) + len(a_ids)} tokens, over max_model_len {max_len}")
        out.append((p_ids + a_ids, len(a_ids)))
    return out


def lr_at(step: int, total: int, cfg: FinetuneConfig) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def example_order(n: int, epochs: float, seed: int) -> list[int]:
    """Each epoch a fresh seeded shuffle; a fractional epoch takes a prefix of the next one."""
    rng = random.Random(seed)
    order: list[int] = []
    while len(order) < math.ceil(n * epochs):
        perm = list(range(n))
        rng.shuffle(perm)
        order.extend(perm)
    return order[: math.ceil(n * epochs)]


def answer_loss(model, ids: list[int], n_answer: int, torch):
    """Cross-entropy on the answer tokens only; logits are computed for those positions alone
    (the vocabulary projection is most of a small model's cost)."""
    x = torch.tensor([ids], device=model.device)
    # bf16 autocast: 3x faster than fp32 on a CPU with AVX512-BF16 (measured: 1.7 s vs 5.5 s for a
    # 600-token example on SmolLM2-135M); the LoRA weights and optimizer state stay fp32
    with torch.autocast(model.device.type, dtype=torch.bfloat16):
        logits = model(input_ids=x, logits_to_keep=n_answer + 1).logits[0, :-1].float()
    return torch.nn.functional.cross_entropy(logits, x[0, -n_answer:])


def _progress(state: TrainState, total: int, t0: float) -> None:
    loss = f"{state.losses[-1]:.4f}" if state.losses else "-"
    done = int(30 * state.step / max(1, total))
    rate = (time.perf_counter() - t0) / max(1, state.step)
    sys.stderr.write(f"\rfinetune [{'#' * done}{'.' * (30 - done)}] step {state.step}/{total} loss {loss} "
                     f"{rate:.1f}s/step")  # fmt: skip
    sys.stderr.flush()


def target_modules(module_names: list[str]) -> list[str] | str:
    """The projections LoRA adapts. In a multimodal model (MedGemma, Gemma 3 4B+) only those of
    its language model (a regex PEFT matches on full names): the adapter stays language-only, no
    vision-tower weights, so vLLM can serve it."""
    if any(".language_model." in f".{n}." for n in module_names):
        return r".*\blanguage_model\b.*\.(" + "|".join(TARGET_MODULES) + r")$"
    return list(TARGET_MODULES)


def _load(cfg: FinetuneConfig, base_path: str, resume_dir: Path | None):
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(cfg.seed)
    dtype = torch.float32 if not torch.cuda.is_available() else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype)
    if resume_dir is not None:
        model = PeftModel.from_pretrained(model, str(resume_dir), is_trainable=True)
    else:
        lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, bias="none",
                          target_modules=target_modules([n for n, _ in model.named_modules()]),
                          task_type="CAUSAL_LM")  # fmt: skip
        model = get_peft_model(model, lora)
    if torch.cuda.is_available():
        model = model.cuda()
    return model


def _save_checkpoint(model, opt, state: TrainState, ckpt: Path, torch) -> None:
    tmp = ckpt.with_name(ckpt.name + ".tmp")
    model.save_pretrained(str(tmp))
    torch.save({"optimizer": opt.state_dict(), "torch_rng": torch.get_rng_state()}, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(asdict(state)))
    if ckpt.exists():
        import shutil

        shutil.rmtree(ckpt)
    tmp.rename(ckpt)


def train(cfg: FinetuneConfig, data: list[tuple[list[int], int]], base_path: str, out: Path) -> tuple[object, TrainState]:
    import torch

    ckpt = out / "checkpoint"
    resume = ckpt if (ckpt / "state.json").is_file() else None
    model = _load(cfg, base_path, resume)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    state = TrainState()
    if resume is not None:
        state = TrainState(**json.loads((ckpt / "state.json").read_text()))
        saved = torch.load(ckpt / "optimizer.pt", weights_only=False)
        opt.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["torch_rng"])
        log.info("resuming at step %d", state.step)
    order = example_order(len(data), cfg.epochs, cfg.seed)
    total = math.ceil(len(order) / cfg.grad_accum)
    stop = min(total, cfg.max_steps) if cfg.max_steps else total
    model.train()
    t0 = time.perf_counter() - state.seconds
    while state.step < stop:
        batch = order[state.step * cfg.grad_accum : (state.step + 1) * cfg.grad_accum]
        for g in opt.param_groups:
            g["lr"] = lr_at(state.step, total, cfg)
        step_loss = 0.0
        for i in batch:
            loss = answer_loss(model, *data[i], torch) / len(batch)
            loss.backward()
            step_loss += float(loss.detach())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        state.step, state.seen = state.step + 1, state.seen + len(batch)
        state.losses.append(round(step_loss, 5))
        state.seconds = time.perf_counter() - t0
        _progress(state, stop, t0)
        if state.step % cfg.save_every == 0 or state.step == stop:
            _save_checkpoint(model, opt, state, ckpt, torch)
    sys.stderr.write("\n")
    return model, state


def _weights_to_bf16(path: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in load_file(str(path)).items()}, str(path),
              metadata={"format": "pt"})  # fmt: skip


def finetune(cfg: FinetuneConfig, settings: Settings) -> dict:
    """Train, then write the adapter folder and its card; returns the card."""
    from flows.engines.models import resolve_base

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    base = resolve_base(cfg.base)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    examples, stats, quarantined = prepare_examples(cfg, settings)
    if not examples:
        raise ConfigError("no training example survived de-identification")
    from transformers import AutoTokenizer

    data = tokenize(examples, AutoTokenizer.from_pretrained(base.path), settings.inference.max_model_len)
    model, state = train(cfg, data, base.path, out)
    model.save_pretrained(str(out))
    _weights_to_bf16(out / "adapter_model.safetensors")  # half the size; merged and served in bf16 anyway
    card = _card(cfg, base, stats, quarantined, data, state)
    card["sha256"] = adapter_digest(out)
    card["adapter_id"] = f"{cfg.name}-{card['sha256'][:12]}"
    (out / ADAPTER_CARD).write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    write_model_card(out, card)
    return card


def _card(cfg: FinetuneConfig, base, stats: ExampleStats, quarantined: int, data, state: TrainState) -> dict:
    return {
        "name": cfg.name, "base_model": base.model_id, "base_revision": base.revision, "base": cfg.base,
        "prompt_template": load_template(cfg.template).version, "template": cfg.template,
        "schema_version": SCHEMA_VERSION,
        "data": {"files": [Path(p).name for p in cfg.train],
                 "files_sha256": {Path(p).name: content_hash(Path(p).read_text(encoding="utf-8"), length=16) for p in cfg.train},
                 "notes": stats.notes, "quarantined_by_deid": quarantined, "facts": stats.facts,
                 "facts_dropped_by_deid": stats.facts_dropped, "facts_by_type": stats.by_type,
                 "tokens": sum(len(d[0]) for d in data), "answer_tokens": sum(d[1] for d in data),
                 "recipe": "notes de-identified by chartsift's stage, target = gold facts as extraction-schema JSON"},
        "hyperparameters": {"rank": cfg.rank, "alpha": cfg.alpha, "dropout": cfg.dropout, "lr": cfg.lr,
                            "epochs": cfg.epochs, "grad_accum": cfg.grad_accum, "warmup_steps": cfg.warmup_steps,
                            "seed": cfg.seed, "target_modules": list(TARGET_MODULES), "loss": "answer tokens only"},
        "training": {"steps": state.step, "examples_seen": state.seen, "seconds": round(state.seconds, 1),
                     "loss_first": state.losses[0] if state.losses else None,
                     "loss_last": state.losses[-1] if state.losses else None, "loss_curve": state.losses},
        "eval": {},
    }  # fmt: skip
