"""The engine registry: engines by name or "module:Class", the fake's knobs in its own config."""

import pytest
from pydantic import ValidationError

from flows.engines import build_engine, engine_class
from flows.engines.fake import FakeEngine
from flows.settings import InferenceSettings, Settings
from transforms.errors import ConfigError


class SiteEngine(FakeEngine):
    """A site's own engine, plugged in by its import path."""

    @classmethod
    def from_settings(cls, settings, name):  # noqa: ANN001, ANN206
        engine = super().from_settings(settings, name)
        engine.site = name
        return engine


def test_when_an_engine_is_named_then_the_registry_builds_it_without_importing_vllm():
    engine = build_engine(InferenceSettings(engine="fake"))
    assert isinstance(engine, FakeEngine) and engine.info.name == "fake"


def test_when_a_module_class_spec_is_given_then_the_sites_engine_is_built():
    spec = f"{__name__}:SiteEngine"
    engine = build_engine(InferenceSettings(engine=spec))
    assert isinstance(engine, SiteEngine) and engine.site == spec


def test_when_an_engine_cannot_be_loaded_then_a_config_error_names_it():
    with pytest.raises(ConfigError, match="no_such_module"):
        engine_class("no_such_module:Engine")
    with pytest.raises(ValidationError, match="engine must be one of"):
        InferenceSettings(engine="vllm please")


def test_when_fake_faults_are_set_then_they_stay_out_of_the_fingerprint_but_show_in_provenance(monkeypatch):
    plain = Settings()
    monkeypatch.setenv("CHARTSIFT_INFERENCE__FAKE__DRIFT_PROB", "0.5")
    faulty = Settings()
    assert faulty.inference.fake.drift_prob == 0.5 and faulty.fingerprint() == plain.fingerprint()
    assert FakeEngine.from_settings(plain.inference).info.model_revision == "1"
    assert FakeEngine.from_settings(faulty.inference).info.model_revision == "1+faults-0-0-0-0.5"
