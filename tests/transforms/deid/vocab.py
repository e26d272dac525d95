"""A small hand-made Vocabulary for the passes' unit tests (the real one reads big PyPI word lists)."""

from transforms.deid.vocabulary import Vocabulary


def vocabulary(**extra: frozenset[str]) -> Vocabulary:
    fields = dict(
        clinical_terms=frozenset({"foley", "aline", "levophed", "pain"}),
        places=frozenset({"espanola", "terre haute", "lake in the hills"}),
        wide_places=frozenset({"united states", "ohio"}),
        not_names=frozenset({"visited", "caller", "verbalized", "understanding", "denies", "summit", "ridge", "note", "ccu"}),
        any_names=frozenset({"rose", "donna", "adeyemi", "beckwith", "harold", "berg", "anh", "summit"}),
        first_names=frozenset({"rose", "donna", "harold", "anh"}),
        last_names=frozenset({"beckwith", "adeyemi", "berg"}),
        drugs=frozenset({"xanax", "vanco"}),
        known_words=frozenset({"rose", "why", "is", "so", "impulsive", "the", "patient", "denies", "pain", "seen", "by",
                               "visited", "caller", "note", "foley", "xanax", "summit", "ridge", "with", "and",
                               "received", "amiodarone"}),
        everyday=frozenset({"received", "amiodarone", "visited", "why", "is", "so", "the", "patient", "denies", "pain",
                            "seen", "by", "caller", "note", "foley", "xanax", "with", "and"}),
        spelt_right=frozenset({"received", "amiodarone", "visited"}),
    )  # fmt: skip
    fields.update(extra)
    return Vocabulary(**fields)
