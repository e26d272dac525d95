"""The column catalogue covers every output column; the shipped data dictionary is generated from it."""

from tests.support import ROOT
from transforms import tables
from transforms.catalogue import CATALOGUE, Sensitivity, data_dictionary


def test_every_output_column_has_a_type_a_description_and_a_class():
    for name, schema in (("notes", tables.NOTES), ("facts", tables.FACTS), ("quarantine", tables.QUARANTINE),
                         ("runs", tables.RUNS), ("metrics", tables.METRICS)):  # fmt: skip
        for f in schema:
            c = CATALOGUE[(name, f.name)]
            assert c.type == str(f.type) and len(c.description) > 10 and isinstance(c.sensitivity, Sensitivity)
    assert CATALOGUE[("notes", "text")].sensitivity == "free_text"
    assert CATALOGUE[("notes", "source_key")].sensitivity == "direct_identifier"


def test_the_shipped_data_dictionary_is_the_generated_one():
    assert (ROOT / "sql" / "DATA_DICTIONARY.md").read_text() == data_dictionary()  # chartsift data-dictionary > ...
