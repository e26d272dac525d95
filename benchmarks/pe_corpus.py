"""De-identification gold notes from sentence templates chartsift did not write: the 209 templates
of presidio-evaluator (Microsoft's Presidio test-data generator, `templates.txt` in PyPI
`presidio-evaluator==0.3.2`), filled with the people, addresses and phones of its FakeNameGenerator
file. Both files are read as data; the package is never imported.

Splits: `dev8` (odd template lines, people with Number % 4 == 0) and `heldout6` (even template
lines, Number % 4 == 2), so the two share no template and no person. A note is four to six
sentences of one split. Templates that name an {{organization}} are left out: a company in general
prose ("{{organization}} is a multinational bank") is not PHI, while the clinical gold sets count an
employer as PHI. Countries, nationalities, years, weekdays, job titles and Mr./Mrs. are written but
are not PHI; names, cities, streets, ZIP codes, phones, e-mails, URLs, IPs, SSNs, dates of birth,
card and bank account numbers and driver's licences are gold spans (ages only from 90 on count).

    python benchmarks/pe_corpus.py --split heldout6 --n 300 --out benchmarks/data/deid-heldout6.jsonl
    python benchmarks/pe_corpus.py --split leak3 --n 2000 --out /tmp/leak3.jsonl  # not committed
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import random
import re
from pathlib import Path

# (template line parity, person Number % 4); leak1 and leak3: dev8's templates with the people no
# gold set uses, for finding what makes the leak guard quarantine a note (their notes are read)
SPLITS = {"dev8": (1, 0), "heldout6": (0, 2), "leak1": (1, 1), "leak3": (1, 3)}
_SLOT = re.compile(r"\{\{([a-z_]+)\}\}")
_NOT_PHI = {"country", "nationality", "nation_woman", "nation_man", "nation_plural", "year", "day_of_week",
            "job", "prefix", "prefix_male", "prefix_female", "state_abbr"}  # fmt: skip
_SKIP = {"organization"}


def _raw(name: str) -> Path:
    spec = importlib.util.find_spec("presidio_evaluator")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("presidio-evaluator is not installed (it is in the dev extra and the lock)")
    return Path(next(iter(spec.submodule_search_locations))) / "data_generator" / "raw_data" / name


def load(split: str) -> tuple[list[str], list[dict]]:
    parity, people = SPLITS[split]
    lines = _raw("templates.txt").read_text(encoding="utf-8").splitlines()
    templates = [t.replace("\\n", "\n").strip() for i, t in enumerate(lines, 1)
                 if i % 2 == parity and t.strip() and not (set(_SLOT.findall(t)) & _SKIP)]  # fmt: skip
    with _raw("FakeNameGenerator.com_3000.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["Number"]) % 4 == people and r["Country"] == "US"]
    return templates, rows


class Person:
    """One patient's values; every slot of a sentence about them draws from here."""

    def __init__(self, rng: random.Random, row: dict, others: list[dict]):
        self.rng, self.row, self.others = rng, row, others

    def slot(self, name: str) -> tuple[str, str | None]:
        r, rng = dict(self.row), self.rng
        r["ZipCode"] = r["ZipCode"].zfill(5)  # the CSV went through a spreadsheet: "7002" is 07002
        other = rng.choice(self.others)
        number, street = (r["StreetAddress"].split(" ", 1) + [""])[:2]
        simple = {
            "first_name": (r["GivenName"], "PERSON"), "first_name_male": (other["GivenName"], "PERSON"),
            "first_name_female": (r["GivenName"], "PERSON"), "first_name_nonbinary": (other["GivenName"], "PERSON"),
            "last_name": (r["Surname"], "PERSON"), "last_name_male": (other["Surname"], "PERSON"),
            "last_name_female": (r["Surname"], "PERSON"),
            "name": (f"{r['GivenName']} {r['Surname']}", "PERSON"), "person": (f"{r['GivenName']} {r['Surname']}", "PERSON"),
            "name_female": (f"{r['GivenName']} {r['Surname']}", "PERSON"),
            "name_male": (f"{other['GivenName']} {other['Surname']}", "PERSON"),
            "city": (r["City"], "LOCATION"), "street_name": (street, "ADDRESS"), "building_number": (number, "ADDRESS"),
            "secondary_address": (rng.choice(["Apt. ", "Suite ", "Unit "]) + str(rng.randint(2, 999)), "ADDRESS"),
            "postcode": (r["ZipCode"], "ZIP"), "zipcode": (r["ZipCode"], "ZIP"),
            "phone_number": (r["TelephoneNumber"], "PHONE"), "email": (r["EmailAddress"], "EMAIL"),
            "url": (f"https://www.{r['Domain']}/{r['Username'].lower()}", "URL"),
            "ip_address": (".".join(str(rng.randint(1, 254)) for _ in range(4)), "IP_ADDRESS"),
            "ssn": (r["NationalID"], "SSN"), "date_of_birth": (r["Birthday"], "DATE"),
            "date_time": (f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(2015, 2024)}", "DATE_TIME"),
            "credit_card_number": (" ".join(f"{rng.randint(0, 9999):04d}" for _ in range(4)), "ID"),
            "iban": (f"GB{rng.randint(10, 99)} BARC {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(10, 99)}", "ID"),
            "us_driver_license": (f"{r['State'][0]}{rng.randint(100000000, 999999999)}", "ID"),
            "age": (str(rng.choice([rng.randint(18, 89), rng.randint(90, 104)])), "AGE"),
            "country": ("United States", None), "nationality": ("American", None), "nation_woman": ("American", None),
            "nation_man": ("American", None), "nation_plural": ("Americans", None),
            "year": (str(rng.randint(1950, 2024)), None), "day_of_week": (rng.choice(["Monday", "Friday"]), None),
            "job": (r["Occupation"], None), "prefix": (r["Title"], None), "prefix_male": ("Mr.", None),
            "prefix_female": ("Mrs.", None), "state_abbr": (r["State"], None),
        }  # fmt: skip
        if name == "address":
            return f"{r['StreetAddress']}, {r['City']}, {r['State']} {r['ZipCode']}", "ADDRESS_PARTS"
        if name not in simple:
            raise KeyError(name)
        return simple[name]


def make_note(rng: random.Random, split: str, index: int, templates: list[str], rows: list[dict]) -> dict:
    person = Person(rng, rows[index % len(rows)], rows)
    text, phi = "", []
    for template in rng.sample(templates, rng.randint(4, 6)):
        pos = 0
        for m in _SLOT.finditer(template):
            text += template[pos : m.start()]
            value, kind = person.slot(m.group(1))
            if kind == "ADDRESS_PARTS":  # street and number, city and ZIP are PHI; the state is not
                r = {**person.row, "ZipCode": person.row["ZipCode"].zfill(5)}
                starts = (0, len(r["StreetAddress"]) + 2, len(value) - len(r["ZipCode"]))
                for at, (part, t) in zip(starts, ((r["StreetAddress"], "ADDRESS"), (r["City"], "LOCATION"),
                                                  (r["ZipCode"], "ZIP")), strict=True):  # fmt: skip
                    phi.append({"start": len(text) + at, "end": len(text) + at + len(part), "type": t, "text": part})
            elif kind == "DATE_TIME":  # the date is PHI, the time of day after it is not
                phi.append({"start": len(text), "end": len(text) + len(value), "type": "DATE", "text": value})
                value += f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
            elif kind:
                phi.append({"start": len(text), "end": len(text) + len(value), "type": kind, "text": value})
            text += value
            pos = m.end()
        text += template[pos:] + ("\n" if rng.random() < 0.3 else " ")
    return {"id": f"{split}-pe-{index:04d}", "text": text.rstrip(), "phi": phi,
            "source": "presidio-evaluator templates + FakeNameGenerator", "meta": {"split": split, "style": "pe"}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=sorted(SPLITS), required=True)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    templates, rows = load(args.split)
    rng = random.Random(f"{args.split}-{args.seed}")
    with open(args.out, "w") as f:
        for i in range(args.n):
            f.write(json.dumps(make_note(rng, args.split, i, templates, rows), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
