import pytest
from pydantic import ValidationError

from flows.settings import Settings


def test_when_env_sets_nested_values_then_settings_read_them(monkeypatch):
    monkeypatch.setenv("CHARTSIFT_INFERENCE__ENGINE", "fake")
    monkeypatch.setenv("CHARTSIFT_SOURCE__SHARD_SIZE", "7")
    s = Settings()
    assert s.inference.engine == "fake" and s.source.shard_size == 7


def test_when_only_locations_change_then_fingerprint_is_stable():
    a, b = Settings(), Settings()
    b.source.uri, b.sink.uri = "s3://x/y", "elsewhere"
    assert a.fingerprint() == b.fingerprint()
    b.inference.max_tokens = 100
    assert a.fingerprint() != b.fingerprint()


def test_when_fingerprinted_then_the_secret_itself_is_not_in_it(monkeypatch):
    monkeypatch.setenv("CHARTSIFT_DEID__SECRET", "hunter2-very-secret")
    s = Settings()
    assert "hunter2" not in s.fingerprint() and "hunter2" not in repr(s)
    assert s.fingerprint() != Settings(deid={"secret": "other"}).fingerprint()


def test_when_parallelism_is_asked_of_the_cpu_engine_then_settings_refuse():
    with pytest.raises(ValidationError):
        Settings(inference={"engine": "cpu", "tensor_parallel_size": 2})


def test_when_sse_kms_is_set_then_the_key_id_goes_with_each_put():
    from flows.settings import S3Settings

    assert S3Settings(sse="aws:kms", sse_kms_key_id="alias/site").put_args() == {
        "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/site"}  # fmt: skip
    assert S3Settings().put_args() == {}


def test_de_identification_settings_and_the_policy_they_build_share_their_defaults():
    import dataclasses

    from flows.settings import DeidSettings
    from transforms.deid import DeidPolicy

    settings = DeidSettings()
    # scalar settings only (site files and their words differ in kind)
    shared = [f.name for f in dataclasses.fields(DeidPolicy)
              if f.name in DeidSettings.model_fields and not isinstance(getattr(settings, f.name), tuple)]  # fmt: skip
    assert {"mode", "spacy_model", "tagger_veto", "tagger_threshold", "max_shift_days"} <= set(shared)
    assert {n: getattr(settings, n) for n in shared if n != "secret"} == {
        f.name: f.default for f in dataclasses.fields(DeidPolicy) if f.name in shared and f.name != "secret"
    }


def test_when_settings_go_to_a_cluster_then_only_the_key_id_travels_and_a_worker_restores_the_key(monkeypatch):
    import pickle

    from flows.settings import DeidSettings
    from transforms.errors import ConfigError

    secret = "site-secret-for-this-test-0123456789-abcdefghij"
    deid = DeidSettings(secret=secret)
    sent = deid.by_reference()
    assert secret.encode() not in pickle.dumps(sent) and sent.key_id == deid.key_id
    monkeypatch.setenv("CHARTSIFT_DEID__SECRET", secret)  # the worker's own environment
    assert sent.resolved().secret.get_secret_value() == secret and deid.resolved() is deid
    monkeypatch.setenv("CHARTSIFT_DEID__SECRET", "another-site-secret-0123456789-abcdefghijkl")
    with pytest.raises(ConfigError, match="key id") as err:
        sent.resolved()
    assert secret not in str(err.value)
