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
