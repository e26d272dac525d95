"""The extraction corpus (benchmarks/extract_corpus.py): targets fit the schema, quote their notes,
and the splits share no note."""

import importlib.util
import json

from tests.support import ROOT
from transforms.schema import Extraction

spec = importlib.util.spec_from_file_location("extract_corpus", ROOT / "benchmarks" / "extract_corpus.py")
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)
generate = corpus.generate


def test_the_shipped_corpus_targets_fit_the_schema_and_quote_their_notes():
    for split in ("train", "heldout", "heldout-styles"):
        for rec in generate(split, 12):
            ext = Extraction(**rec["target"])
            for facts in (ext.medications, ext.diagnoses, ext.labs, ext.vitals, ext.procedures, ext.allergies):
                assert all(f.evidence in rec["text"] for f in facts)
    train = {json.dumps(r["target"]) for r in generate("train", 50)}
    assert not train & {json.dumps(r["target"]) for r in generate("heldout", 50)}
