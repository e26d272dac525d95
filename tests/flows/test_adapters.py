"""The shipped LoRA adapter and adapter resolution (flows.adapters)."""

import pytest

from flows.adapters import adapter_digest, resolve_adapter
from tests.support import ROOT
from transforms.errors import ConfigError


def test_the_shipped_adapter_matches_its_card():
    adapter = resolve_adapter("default", "smollm2-135m")
    assert adapter is not None and adapter.template == "extract_ft1"
    assert adapter.sha256 == adapter_digest(ROOT / "flows" / "engines" / "adapters" / "smollm2-extract-v2")


def test_when_no_adapter_is_asked_for_or_the_base_has_none_then_none():
    assert resolve_adapter("none", "smollm2-135m") is None
    assert resolve_adapter("default", "google/medgemma-4b-it") is None


def test_when_the_adapter_folder_is_missing_then_config_error(tmp_path):
    with pytest.raises(ConfigError):
        resolve_adapter(str(tmp_path / "nowhere"), "smollm2-135m")


def test_when_the_base_is_multimodal_then_lora_targets_only_its_language_model():
    import re

    from flows.finetune import TARGET_MODULES, target_modules

    assert target_modules(["model.layers.0.self_attn.q_proj"]) == list(TARGET_MODULES)  # SmolLM2: by name
    names = ["model.language_model.layers.0.self_attn.q_proj", "model.language_model.layers.0.mlp.down_proj",
             "model.vision_tower.vision_model.encoder.layers.0.self_attn.q_proj",
             "model.multi_modal_projector.mm_input_projection"]  # MedGemma / Gemma 3 4B shapes
    pattern = target_modules(names)
    assert [n for n in names if re.fullmatch(pattern, n)] == names[:2]


def test_when_figures_are_recorded_then_the_card_keeps_only_those_of_this_schema_version(tmp_path, monkeypatch):
    import json
    import shutil

    from flows import adapters

    folder = tmp_path / "adapter"
    shutil.copytree(ROOT / "flows" / "engines" / "adapters" / "smollm2-extract-v2", folder)
    digest = adapter_digest(folder)
    monkeypatch.setattr("transforms.schema.SCHEMA_VERSION", "0.9")
    adapters.record_eval(folder, "old-gold", "chartsift eval-extract --gold old", [("base", {"notes": "1"})])
    monkeypatch.undo()
    adapters.record_eval(folder, "new-gold", "chartsift eval-extract --gold new", [("base", {"notes": "2"})])
    card = json.loads((folder / adapters.ADAPTER_CARD).read_text())
    assert list(card["eval"]) == ["new-gold"]  # figures of other decoding rules are not shown as this code's
    assert "new-gold" in (folder / "README.md").read_text() and "old-gold" not in (folder / "README.md").read_text()
    assert adapter_digest(folder) == digest  # the weights, and so the checksum, are untouched
