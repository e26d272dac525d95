"""Constants and helpers shared by tests (fixtures live in conftest.py)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "notes"
SECRET = b"test-secret"
# the site secret every flow run in the tests uses (set in conftest before anything reads settings)
SITE_SECRET = "chartsift-tests-site-secret-7Qm2xV9pL4nR8sK1"


def _misquoting_engine():
    from flows.engines.fake import FakeEngine

    class MisquotingEngine(FakeEngine):
        """The fake engine, but every diagnosis quotes words its note does not hold (a model that
        paraphrases): those facts must reach `facts_ungrounded`, never `facts`."""

        @staticmethod
        def _answer(note: str) -> dict:
            answer = FakeEngine._answer(note)
            for d in answer["diagnoses"]:
                d["evidence"] = "words this note never wrote"
            return answer

    return MisquotingEngine


def __getattr__(name: str):  # the engine registry imports "tests.support:MisquotingEngine" lazily
    if name == "MisquotingEngine":
        return _misquoting_engine()
    raise AttributeError(name)
