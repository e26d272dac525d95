"""The words of the type rules (transforms.cues), read by grounded decoding and by grounding."""

from transforms import cues


def test_when_a_vital_is_written_then_its_value_is_the_number_right_after_its_words():
    assert cues.vital_values("VS: BP: 120/80, Temp of 38.2, sats 90%") == {
        "blood_pressure": ["120/80"], "temperature": ["38.2"], "oxygen_saturation": ["90"]}
    assert cues.vital_values("pain 9/10")["pain_score"] == ["9", "9/10"]  # written down as 9
    assert cues.vital_values("back pain since 10/3") == {}  # a date is no pain score


def test_when_a_name_is_only_a_vitals_words_then_it_names_no_other_fact():
    assert all(cues.vital_name(n) for n in ("RR", "pulse 63", "BP 165/61 MMHG", "O2 sat", "wt 138.3 kg"))
    assert not any(cues.vital_name(n) for n in ("O2", "chest pain", "heparin 5000 units", "troponin"))


def test_when_a_clause_speaks_of_medication_then_a_drug_dose_route_or_verb_says_so():
    assert cues.speaks_of_medication("apixaban")  # the drug dictionary
    assert cues.speaks_of_medication("Begin senna") and cues.speaks_of_medication("vanco 1 g IV")
    assert cues.speaks_of_medication("KCl 20mEq")
    assert not cues.speaks_of_medication("History of atrial fibrillation")
    assert not cues.speaks_of_medication("Underwent pacemaker placement")


def test_when_a_medication_heading_stands_alone_then_the_lines_under_it_are_a_medication_list():
    lines = ["Discharge medications:", "1. senna", "2. thiamine", "Diagnoses:", "- gout", "Meds: none", "x"]
    assert cues.medication_sections(lines) == [True, True, True, False, False, False, False]


def test_when_a_name_is_only_dosing_words_then_it_names_no_drug():
    assert all(cues.dosing_words_only(n) for n in ("po", "PRN", "titrated", "cont 5 mg", "d/c"))
    assert not any(cues.dosing_words_only(n) for n in ("lasix", "heparin gtt", "Tylenol 650 mg"))
