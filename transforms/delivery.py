"""A registry delivery as a self-describing package: a Frictionless Data Package
(`datapackage.json`, https://datapackage.org) with the table schema of every delivered column
(type, description, sensitivity class from the catalogue), checksums, the cohort definition,
versions, the runs that contributed rows, the date-shift statement and the model notice."""

from __future__ import annotations

from dataclasses import dataclass

from transforms.catalogue import CATALOGUE, Column, data_dictionary
from transforms.registry import Profile, profile_column

DATE_SHIFT = ("All dates are shifted per patient by a secret offset (the same offset for every date of a "
              "patient, so intervals hold); calendar dates, weekdays and seasons are not real.")  # fmt: skip
SNAPSHOT = ("Each delivery is a full snapshot of the profile's selection over the research output at the time "
            "of delivery, not a delta: a later delivery replaces an earlier one.")  # fmt: skip

# Arrow type -> Frictionless field type, for the CSV resource
_FIELD_TYPES = {"string": "string", "large_string": "string", "date32[day]": "date", "int16": "integer",
                "int32": "integer", "int64": "integer", "double": "number", "map<string, string>": "object",
                "map<string, int32>": "object"}  # fmt: skip


@dataclass(frozen=True)
class DeliveryFile:
    path: str  # relative to the package folder
    format: str  # csv | parquet
    rows: int
    bytes: int
    sha256: str


def delivered_columns(profile: Profile) -> list[Column]:
    return [CATALOGUE[(profile_column(c)[0], c)] for c in profile.columns]


def table_schema(profile: Profile) -> dict:
    return {"fields": [{"name": c.name, "type": _FIELD_TYPES.get(c.type, "any"), "description": c.description,
                        "chartsift:class": str(c.sensitivity), "chartsift:arrow_type": c.type}
                       for c in delivered_columns(profile)]}  # fmt: skip


def datapackage(profile: Profile, date: str, files: list[DeliveryFile], meta: dict) -> dict:
    """The package descriptor. `meta`: created, versions, run_ids, notice, revision, replaces."""
    # the tabular resources frictionless validates are the CSV files; "chartsift.files" lists every
    # file (Parquet too) with its checksum
    resources = [{"name": f"{profile.name}-csv", "path": f.path, "format": "csv", "mediatype": "text/csv",
                  "encoding": "utf-8", "bytes": f.bytes, "hash": f"sha256:{f.sha256}",
                  "dialect": {"delimiter": ",", "header": True}, "schema": table_schema(profile)}
                 for f in files if f.format == "csv"]  # fmt: skip
    return {
        "name": f"chartsift-{profile.name}-{date}",
        "title": f"chartsift registry delivery: {profile.name}, {date}",
        "description": profile.description,
        "created": meta["created"],
        "resources": resources,
        "chartsift": {
            "profile": profile.name, "date": date, "data_use": str(profile.data_use),
            "cohort": {"fact_type": profile.cohort_fact_type or "diagnosis", "name_regex": profile.cohort_name_regex,
                       "counts": "grounded, affirmed, the patient's own, current",
                       "relaxed": sorted(profile.cohort_include)} if profile.cohort_name_regex else None,
            "facts": {"fact_types": list(profile.fact_types), "counts": "grounded, affirmed, the patient's own, current",
                      "relaxed": sorted(profile.include)},
            "files": [f.__dict__ for f in files],  # parquet too: checksums for every file
            "versions": meta["versions"], "source_run_ids": meta["run_ids"],
            "dates": DATE_SHIFT, "snapshot": SNAPSHOT, "model_notice": meta.get("notice"),
            "pseudonyms": "patient_key, note_key and fact_id are this registry's own keyed ids: they do not match "
                          "the research output's, nor any other registry's",
            "revision": meta.get("revision", 0), "replaces": meta.get("replaces"),
            "data_dictionary": "data-dictionary.md",
        },
    }  # fmt: skip


def delivery_dictionary(profile: Profile) -> str:
    return data_dictionary(delivered_columns(profile), f"Data dictionary: {profile.name} registry delivery")
