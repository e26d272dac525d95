"""The spaCy side of Presidio, trimmed to what chartsift reads: NER entities and scores only, no
context scoring."""

from __future__ import annotations

from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine


class NerOnlyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine, less what only context scoring reads: no recognizer here declares
    context words, so lemmas, token offsets and keywords (a Python pass over every token, about a
    fifth of the de-identifier's time) are left empty. NER entities and scores are as Presidio's."""

    def _doc_to_nlp_artifact(self, doc, language: str) -> NlpArtifacts:  # noqa: ANN001 - a spaCy Doc
        entities, scores = self._get_updated_entities(self._get_entities(doc), self._get_scores_for_entities(doc))
        return NlpArtifacts(entities=entities, tokens=doc, tokens_indices=[], lemmas=[], nlp_engine=self,
                            language=language, scores=scores)  # fmt: skip


class NoContext(ContextAwareEnhancer):
    """Context scoring off: no chartsift recognizer declares context words (patterns carry their
    cues inside the regex), and the lean NLP artifacts above hold no lemmas to match."""

    def __init__(self) -> None:
        super().__init__(context_similarity_factor=0.0, min_score_with_context_similarity=0.0,
                         context_prefix_count=0, context_suffix_count=0)  # fmt: skip

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):  # noqa: ANN001
        return raw_results


def ner_listens(nlp) -> bool:  # noqa: ANN001 - a spaCy Language
    """True when the NER component reads the shared tok2vec (then tok2vec must stay enabled)."""
    try:
        ner = nlp.get_pipe("ner")
        return any(getattr(layer, "name", "") == "tok2vec-listener" for layer in ner.model.walk())
    except Exception:  # noqa: BLE001
        return True
