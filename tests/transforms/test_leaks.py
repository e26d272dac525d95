from transforms.deid.leaks import fact_leaks, phi_tokens, text_leaks
from transforms.records import PhiSpan

TEXT = "Seen Harold Beckwith, MRN 00482913, on 3/14/2024."
SPANS = [PhiSpan(5, 20, "PERSON"), PhiSpan(26, 34, "MRN"), PhiSpan(39, 48, "DATE")]


def test_when_a_found_value_survives_in_the_text_then_it_is_reported_by_type():
    assert text_leaks(TEXT, SPANS, "Seen Avery Quinn, MRN 00482913, on 4/1/2024.") == ["MRN"]
    assert text_leaks(TEXT, SPANS, "Seen Avery Quinn, MRN 11111111, on 4/1/2024.") == []
    # a surrogate that happens to equal a real value elsewhere in the note is not a leak
    out = "Seen Avery Beckwith, MRN 11111111, on 4/1/2024."
    assert text_leaks(TEXT, SPANS, out, replaced=[(5, 19, 5, 20), (26, 34, 26, 34), (39, 47, 39, 48)]) == ["PERSON"]
    # ... but a surname that survives inside its own span's output is one ("Avery Beckwith")
    collision = "Seen Avery Quinn, MRN 11111111, on 4/1/2024. Call Beckwith Clinic."
    spans = SPANS + [PhiSpan(54, 69, "ORGANIZATION")]
    text = TEXT + " Call Dunmore Clinic."
    assert text_leaks(text, spans, collision.replace("Beckwith Clinic", "Beckwith Clinic"),
                      replaced=[(5, 16, 5, 20), (22, 30, 26, 34), (35, 43, 39, 48), (50, 65, 54, 69)]) == []


def test_when_a_fact_repeats_a_phi_value_then_the_keyed_tokens_catch_it_in_any_case():
    tokens = set(phi_tokens(b"k", TEXT, SPANS))
    assert not any("Beckwith" in t for t in tokens)  # tokens are keyed hashes, not values
    assert fact_leaks(b"k", tokens, ["pneumonia in HAROLD BECKWITH"]) == 1
    assert fact_leaks(b"k", tokens, ["pneumonia", "metformin 500 mg"]) == 0
    assert fact_leaks(b"other-key", tokens, ["Harold Beckwith"]) == 0


def test_when_a_name_with_diacritics_survives_then_it_is_a_leak():
    text = "Seen Zoë Hernández today."
    spans = [PhiSpan(5, 19, "PERSON")]
    assert text_leaks(text, spans, "Seen Avery Hernández today.") == ["PERSON"]
    assert text_leaks(text, spans, "Seen Avery Quinn today.") == []


def test_when_a_surname_particle_recurs_alone_then_it_is_no_leak_but_the_name_is():
    text = "Seen with Anke van Velden today. Family came by van."
    spans = [PhiSpan(10, 25, "PERSON")]
    out = "Seen with Avery Quinn today. Family came by van."
    assert text_leaks(text, spans, out, replaced=[(10, 21, 10, 25)]) == []
    assert text_leaks(text, spans, "Seen with Avery Velden today. Family came by van.") == ["PERSON"]


def test_when_a_lower_case_stop_word_slipped_into_a_name_then_its_other_copies_are_no_leak():
    text = "My brother just turned 93. But Wenda just left."
    spans = [PhiSpan(11, 15, "PERSON"), PhiSpan(31, 36, "PERSON")]  # "just" tagged by mistake, "Wenda"
    out = "My brother Avery turned 93. But Quinn just left."
    assert text_leaks(text, spans, out, replaced=[(11, 16, 11, 15), (32, 37, 31, 36)]) == []
    assert text_leaks(text, spans, out.replace("Quinn", "Wenda")) == ["PERSON"]
