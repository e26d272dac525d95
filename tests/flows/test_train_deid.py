"""The trained PHI tagger: the training command end to end on a few notes, the shipped model's
identity, grouped folds, site lexicons, and what the tagger changes on real-style text."""

import hashlib
import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.runtime import deid_policy, read_word_files
from flows.settings import DeidSettings
from flows.train_deid import (
    GoldNote,
    _read,
    all_folds,
    ceiling_counts,
    cross_validate,
    folds,
    read_gold,
    rules_deidentifier,
)
from tests.support import ROOT, SITE_SECRET
from transforms.deid import DEID_VERSION, Deidentifier
from transforms.deid.tagger import BUILTIN_MODEL
from transforms.records import PhiSpan

PHYSIONET = ROOT.parent / "shared" / "data" / "physionet-deid-dev.jsonl"
DEV = ROOT / "benchmarks" / "data" / "deid-dev.jsonl"


@pytest.fixture(scope="module")
def tagged():
    return Deidentifier(deid_policy(DeidSettings(secret=SITE_SECRET)))


@pytest.mark.slow
def test_when_train_deid_runs_on_a_few_notes_then_it_writes_a_model_and_its_card(tmp_path):
    out = tmp_path / "tiny.crfsuite"
    args = ["train-deid", "--out", str(out), "--limit", "12", "--extra", str(DEV), "--real-weight", "1"]
    if PHYSIONET.exists():
        args += ["--real", str(PHYSIONET)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert card["data"]["extra"]["notes"] == 12
    spans = out.with_suffix(".spans.json")  # the second stage, trained on out-of-fold candidates
    assert card["span_classifier_sha256"] == hashlib.sha256(spans.read_bytes()).hexdigest()
    d = Deidentifier(deid_policy(DeidSettings(secret=SITE_SECRET, tagger=str(out))))
    assert d.span_classifier is not None and d.span_classifier.card["crf_sha256"] == card["sha256"]
    result = d.process_batch([("Seen by Dr. Kowalski on 03/14/2024.", "p1", None)])[0]
    assert "Kowalski" not in result[1].text and "03/14/2024" not in result[1].text


@pytest.mark.slow
def test_when_cross_validating_then_the_held_out_synthetic_files_are_scored_apart_from_the_real_notes(tmp_path):
    rules = rules_deidentifier()
    files = [DEV.with_name(f"deid-dev{i}.jsonl") for i in (2, 3, 4)]
    real, extra = _read(DEV, files, rules, limit=9)
    res = cross_validate(real, extra, 3, tmp_path, rules)  # nested: 3 folds at least
    assert res["tagger"]["notes"] == 9 and res["synthetic"]["notes"] == 27  # each file held out once
    assert 0.0 < res["synthetic"]["recall"] <= 1.0 and sum(f["notes"] for f in res["folds"]) == 9
    assert 0.0 < res["ceiling"]["recall"] <= 1.0 and 0.0 < res["ceiling"]["precision"] <= 1.0


def test_when_the_candidates_ceiling_is_counted_then_an_oracle_keeps_exactly_what_touches_gold():
    text = "Seen by Kowalski at Mercy Hospital, 5/5 strength, call 555-0100 or Pat."
    at = text.index
    gold = [{"start": at("Kowalski"), "end": at("Kowalski") + 8}, {"start": at("Mercy"), "end": at("Mercy") + 5},
            {"start": at("Pat"), "end": at("Pat") + 3}]  # fmt: skip
    cands = [(PhiSpan(at("Kowalski"), at("Kowalski") + 8, "PERSON"), True),  # a name: kept
             (PhiSpan(at("Mercy"), at("Hospital") + 8, "ORGANIZATION"), True),  # touches gold: kept whole ("Hospital" is wrong)
             (PhiSpan(at("5/5"), at("5/5") + 3, "DATE"), True),  # a strength: dropped
             (PhiSpan(at("555"), at("555") + 8, "PHONE"), False)]  # a phone the classifier does not decide: kept, wrong here
    c = ceiling_counts(text, gold, cands)
    assert c == {"gold": 8 + 5 + 3, "covered": 8 + 5, "oracle_tp": 8 + 5, "oracle_fp": len("Hospital") + 7}


def test_when_the_model_is_shipped_then_its_card_and_the_deid_version_name_it():
    card = json.loads(BUILTIN_MODEL.with_suffix(".json").read_text())
    sha = hashlib.sha256(BUILTIN_MODEL.read_bytes()).hexdigest()
    spans = hashlib.sha256(BUILTIN_MODEL.with_suffix(".spans.json").read_bytes()).hexdigest()
    assert card["sha256"] == sha and sha[:12] in DEID_VERSION
    assert card["span_classifier_sha256"] == spans and spans[:12] in DEID_VERSION
    assert card["size_bytes"] + card["span_classifier_bytes"] < 5_000_000


def test_when_folds_are_cut_then_no_patient_is_in_two_of_them():
    notes = [GoldNote(f"physionet-deid-{p}-{n}", str(p), "", []) for p in range(20) for n in range(3)]
    cut = folds(notes, 5)
    owners = {}
    for i, f in enumerate(cut):
        for n in f:
            assert owners.setdefault(n.group, i) == i
    assert sorted(len(f) for f in cut) == [12] * 5


def test_when_real_and_synthetic_notes_are_cut_then_patients_and_files_each_stay_in_one_fold():
    real = [GoldNote(f"physionet-deid-{p}-{n}", str(p), "", [], real=True) for p in range(9) for n in range(2)]
    extra = [GoldNote(f"s{f}-{n}", f"deid-dev{f}.jsonl", "", []) for f in range(4) for n in range(5)]
    cut = all_folds(real, extra, 3)
    owners = {}
    for i, fold in enumerate(cut):
        assert any(n.real for n in fold) and any(not n.real for n in fold)
        for n in fold:
            assert owners.setdefault(n.group, i) == i
    assert sorted(n.id for f in cut for n in f) == sorted(n.id for n in real + extra)
    other = all_folds(real, extra, 3, seed=14)  # another partition of the same notes, grouped the same way
    assert [sorted(n.id for n in f) for f in other] != [sorted(n.id for n in f) for f in cut]
    assert sorted(n.id for f in other for n in f) == sorted(n.id for n in real + extra)
    assert all(len({i for i, f in enumerate(other) for n in f if n.group == g}) == 1 for g in owners)


def test_when_the_tagger_runs_then_a_recurring_name_is_replaced_everywhere(tagged):
    text = ("Daughter Ngozi Okonkwo-Baptiste at bedside. OKONKWO-BAPTISTE asked about the plan; "
            "later okonkwo-baptiste called again. Ngozi will return tomorrow.")  # fmt: skip
    res = tagged.process_batch([(text, "p1", None)])[0][1]
    assert "okonkwo" not in res.text.lower() and "ngozi" not in res.text.lower()


def test_when_clinical_shorthand_is_read_then_the_tagger_leaves_it(tagged):
    text = "NEURO: ALERT. CV: ON LEVO AND NEO, A-LINE DAMPENED. RESP: FIO2 40%, SPO2 98%. GI: NEPRO @ 20. RECEIVED FENT, NITRO GTT."
    res = tagged.process_batch([(text, "p1", None)])[0]
    assert res[0] == [], [text[s.start : s.end] for s in res[0]]


def test_when_a_site_lists_its_staff_then_those_names_are_found_in_any_case(tmp_path):
    roster = tmp_path / "staff.txt"
    roster.write_text("# staff roster\nQuartermain\nharbor view medical\n")
    names = read_word_files((str(roster),))
    assert "quartermain" in names and "harbor view medical" in names
    d = Deidentifier(deid_policy(DeidSettings(secret=SITE_SECRET, tagger=None, site_names=(str(roster),))))
    plain = Deidentifier(deid_policy(DeidSettings(secret=SITE_SECRET, tagger=None)))
    text = "k 3.1, repleted; quartermain aware."
    assert [text[s.start : s.end] for s in d.analyze_batch([text])[0]] == ["quartermain"]
    assert plain.analyze_batch([text])[0] == []


@pytest.mark.slow
def test_when_a_roster_from_other_folds_is_given_then_recall_on_physionet_rises():
    """The site-lexicon effect on real notes: clinicians' names gathered from the gold of the other
    folds (as a hospital's roster would list them) raise recall on the held-out fold."""
    if not PHYSIONET.exists():
        pytest.skip("PhysioNet dev half not present")
    from flows.train_deid import prepare, rules_deidentifier, score

    notes = read_gold(PHYSIONET, group_by_patient=True)
    caught = {"plain": 0, "site": 0, "plain_uncued": 0, "site_uncued": 0}
    for k, held in enumerate(folds(notes, 3)):
        others = [n for j, f in enumerate(folds(notes, 3)) if j != k for n in f]
        roster = frozenset(n.text[g["start"] : g["end"]].lower() for n in others for g in n.phi
                           if g["type"] == "HCPName" and g["end"] - g["start"] > 2)  # fmt: skip
        for name, d in (("plain", rules_deidentifier()), ("site", rules_deidentifier(site_names=roster))):
            copy = [GoldNote(n.id, n.group, n.text, n.phi) for n in held]
            prepare(copy, d)
            caught[name] += score(copy, d, None)[0].by_gold_type["HCPName"].tp
            for n in copy:  # without the weak lower-case cues ("dr cuscuna", scored 0.55)
                n.rule_spans = [s for s in n.rule_spans if round(s.score, 2) != 0.55]
            caught[name + "_uncued"] += score(copy, d, None)[0].by_gold_type["HCPName"].tp
    # the cues of 0.10 already find every roster name these notes hold after a role word; where
    # no cue precedes a name, the roster is what finds it
    assert caught["site"] >= caught["plain"] and caught["site_uncued"] > caught["plain_uncued"], caught
