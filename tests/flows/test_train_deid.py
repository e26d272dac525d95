"""The trained PHI tagger: the training command end to end on a few notes, the shipped model's
identity, grouped folds, site lexicons, and what the tagger changes on real-style text."""

import hashlib
import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.runtime import deid_policy, read_word_files
from flows.settings import DeidSettings
from flows.train_deid import GoldNote, folds, read_gold
from tests.support import ROOT, SITE_SECRET
from transforms.deid import DEID_VERSION, Deidentifier
from transforms.deid.tagger import BUILTIN_MODEL

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
    d = Deidentifier(deid_policy(DeidSettings(secret=SITE_SECRET, tagger=str(out))))
    result = d.process_batch([("Seen by Dr. Kowalski on 03/14/2024.", "p1", None)])[0]
    assert "Kowalski" not in result[1].text and "03/14/2024" not in result[1].text


def test_when_the_model_is_shipped_then_its_card_and_the_deid_version_name_it():
    card = json.loads(BUILTIN_MODEL.with_suffix(".json").read_text())
    sha = hashlib.sha256(BUILTIN_MODEL.read_bytes()).hexdigest()
    assert card["sha256"] == sha and sha[:12] in DEID_VERSION
    assert card["size_bytes"] < 5_000_000


def test_when_folds_are_cut_then_no_patient_is_in_two_of_them():
    notes = [GoldNote(f"physionet-deid-{p}-{n}", str(p), "", []) for p in range(20) for n in range(3)]
    cut = folds(notes, 5)
    owners = {}
    for i, f in enumerate(cut):
        for n in f:
            assert owners.setdefault(n.group, i) == i
    assert sorted(len(f) for f in cut) == [12] * 5


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
    text = "md quartermain aware of k 3.1, repleted."
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
    caught = {"plain": 0, "site": 0}
    for k, held in enumerate(folds(notes, 3)):
        others = [n for j, f in enumerate(folds(notes, 3)) if j != k for n in f]
        roster = frozenset(n.text[g["start"] : g["end"]].lower() for n in others for g in n.phi
                           if g["type"] == "HCPName" and g["end"] - g["start"] > 2)  # fmt: skip
        for name, d in (("plain", rules_deidentifier()), ("site", rules_deidentifier(site_names=roster))):
            copy = [GoldNote(n.id, n.group, n.text, n.phi) for n in held]
            prepare(copy, d)
            caught[name] += score(copy, d, None)[0].by_gold_type["HCPName"].tp
    assert caught["site"] > caught["plain"]
