"""Synthetic extraction corpus: notes with planted facts, each fact's target written in the
extraction schema (transforms/schema.py) with `evidence` the exact words the note uses.

Why synthetic: the only real gold here (Synthea) records what a visit coded, not what its note
says, and holds no labs, vitals, allergies or negations. This corpus is the project's own and may
ship. What keeps it honest:

- Splits share no note. `train` and `heldout` use the same styles with different seeds; the last
  20 % of every vocabulary list (drugs, conditions, labs, procedures, allergens) appears only in
  the held-out splits, so a model that scores there has learned to copy, not to memorise names.
- `heldout-styles` uses note styles (consult letter, numbered problem list, flowsheet-like
  nursing) and phrasings that `train` never shows. Report both held-out splits.
- Every note carries made-up PHI (name, date, MRN, phone 555-01xx) so training runs through
  de-identification as production text does.

    python benchmarks/extract_corpus.py --split train --n 600 --out benchmarks/data/extract-train.jsonl

Line shape: {"id", "text", "target": <Extraction JSON>, "gold": {"medications_listed": [...],
"conditions_diagnosed": [...]} (for eval-extract), "split", "style"}.
"""

from __future__ import annotations

import argparse
import json
import random

# (name, doses, usual routes)
DRUGS = [
    ("metformin", ["500 mg", "850 mg", "1000 mg"], ["po"]), ("lisinopril", ["5 mg", "10 mg", "20 mg", "40 mg"], ["po"]),
    ("atorvastatin", ["10 mg", "20 mg", "40 mg", "80 mg"], ["po"]), ("amlodipine", ["2.5 mg", "5 mg", "10 mg"], ["po"]),
    ("metoprolol tartrate", ["12.5 mg", "25 mg", "50 mg"], ["po"]), ("furosemide", ["20 mg", "40 mg", "80 mg"], ["po", "iv"]),
    ("heparin", ["5000 units"], ["sc"]), ("enoxaparin", ["40 mg", "1 mg/kg"], ["sc"]),
    ("insulin glargine", ["10 units", "18 units", "24 units"], ["sc"]), ("insulin lispro", ["4 units", "6 units"], ["sc"]),
    ("levothyroxine", ["50 mcg", "75 mcg", "100 mcg"], ["po"]), ("omeprazole", ["20 mg", "40 mg"], ["po"]),
    ("pantoprazole", ["40 mg"], ["po", "iv"]), ("vancomycin", ["1 g", "1.25 g", "1.5 g"], ["iv"]),
    ("piperacillin-tazobactam", ["3.375 g", "4.5 g"], ["iv"]), ("ceftriaxone", ["1 g", "2 g"], ["iv"]),
    ("azithromycin", ["250 mg", "500 mg"], ["po", "iv"]), ("amoxicillin", ["500 mg", "875 mg"], ["po"]),
    ("warfarin", ["2.5 mg", "5 mg", "7.5 mg"], ["po"]), ("apixaban", ["2.5 mg", "5 mg"], ["po"]),
    ("aspirin", ["81 mg", "325 mg"], ["po"]), ("clopidogrel", ["75 mg"], ["po"]),
    ("prednisone", ["5 mg", "10 mg", "40 mg"], ["po"]), ("albuterol", ["2 puffs", "2.5 mg"], ["inhaled"]),
    ("fluticasone", ["2 sprays", "250 mcg"], ["inhaled"]), ("gabapentin", ["100 mg", "300 mg", "600 mg"], ["po"]),
    ("sertraline", ["25 mg", "50 mg", "100 mg"], ["po"]), ("acetaminophen", ["500 mg", "650 mg", "1 g"], ["po"]),
    ("oxycodone", ["5 mg", "10 mg"], ["po"]), ("morphine", ["2 mg", "4 mg"], ["iv"]),
    ("ondansetron", ["4 mg", "8 mg"], ["iv", "po"]), ("hydrochlorothiazide", ["12.5 mg", "25 mg"], ["po"]),
    ("losartan", ["25 mg", "50 mg", "100 mg"], ["po"]), ("carvedilol", ["3.125 mg", "6.25 mg", "12.5 mg"], ["po"]),
    ("spironolactone", ["25 mg", "50 mg"], ["po"]), ("potassium chloride", ["20 mEq", "40 mEq"], ["po", "iv"]),
    ("magnesium sulfate", ["2 g"], ["iv"]), ("norepinephrine", ["4 mcg/min", "8 mcg/min"], ["iv"]),
    ("propofol", ["20 mcg/kg/min", "30 mcg/kg/min"], ["iv"]), ("fentanyl", ["25 mcg/hr", "50 mcg/hr"], ["iv"]),
    ("levetiracetam", ["500 mg", "750 mg"], ["po", "iv"]), ("tamsulosin", ["0.4 mg"], ["po"]),
    ("allopurinol", ["100 mg", "300 mg"], ["po"]), ("montelukast", ["10 mg"], ["po"]),
    ("sitagliptin", ["50 mg", "100 mg"], ["po"]), ("empagliflozin", ["10 mg", "25 mg"], ["po"]),
    ("donepezil", ["5 mg", "10 mg"], ["po"]), ("quetiapine", ["25 mg", "50 mg"], ["po"]),
    ("lorazepam", ["0.5 mg", "1 mg"], ["po", "iv"]), ("haloperidol", ["0.5 mg", "2 mg"], ["iv", "im"]),
    ("cephalexin", ["500 mg"], ["po"]), ("doxycycline", ["100 mg"], ["po"]), ("nitrofurantoin", ["100 mg"], ["po"]),
    ("digoxin", ["0.125 mg", "0.25 mg"], ["po"]), ("diltiazem", ["30 mg", "120 mg"], ["po"]),
    ("hydralazine", ["10 mg", "25 mg"], ["po", "iv"]), ("methotrexate", ["15 mg"], ["po"]),
    ("tiotropium", ["18 mcg"], ["inhaled"]), ("rosuvastatin", ["10 mg", "20 mg"], ["po"]),
    ("famotidine", ["20 mg"], ["po", "iv"]), ("senna", ["8.6 mg", "17.2 mg"], ["po"]),
    ("docusate", ["100 mg"], ["po"]), ("meropenem", ["1 g"], ["iv"]), ("cefepime", ["2 g"], ["iv"]),
    ("clonazepam", ["0.5 mg"], ["po"]), ("bupropion", ["150 mg"], ["po"]), ("duloxetine", ["30 mg", "60 mg"], ["po"]),
    ("rivaroxaban", ["15 mg", "20 mg"], ["po"]), ("labetalol", ["100 mg", "10 mg"], ["po", "iv"]),
    ("glipizide", ["5 mg", "10 mg"], ["po"]), ("pioglitazone", ["15 mg", "30 mg"], ["po"]),
    ("dexamethasone", ["4 mg", "6 mg"], ["po", "iv"]), ("oseltamivir", ["75 mg"], ["po"]),
    ("valacyclovir", ["500 mg", "1 g"], ["po"]), ("fluconazole", ["150 mg", "200 mg"], ["po"]),
    ("mirtazapine", ["7.5 mg", "15 mg"], ["po"]), ("trazodone", ["50 mg"], ["po"]),
    ("baclofen", ["5 mg", "10 mg"], ["po"]), ("cyclobenzaprine", ["5 mg", "10 mg"], ["po"]),
    ("esomeprazole", ["40 mg"], ["po"]), ("linezolid", ["600 mg"], ["po", "iv"]),
    ("amiodarone", ["200 mg", "400 mg"], ["po"]), ("ticagrelor", ["90 mg"], ["po"]),
    ("semaglutide", ["0.25 mg", "0.5 mg", "1 mg"], ["sc"]), ("dulaglutide", ["0.75 mg", "1.5 mg"], ["sc"]),
    ("budesonide-formoterol", ["2 puffs"], ["inhaled"]), ("ipratropium", ["0.5 mg"], ["inhaled"]),
    ("naloxone", ["0.4 mg"], ["iv", "im"]), ("thiamine", ["100 mg"], ["po", "iv"]),
    ("folic acid", ["1 mg"], ["po"]), ("ferrous sulfate", ["325 mg"], ["po"]),
    ("cyanocobalamin", ["1000 mcg"], ["po", "im"]), ("calcitriol", ["0.25 mcg"], ["po"]),
    ("sevelamer", ["800 mg"], ["po"]), ("colchicine", ["0.6 mg"], ["po"]),
]
CONDITIONS = [
    "type 2 diabetes mellitus", "hypertension", "hyperlipidemia", "atrial fibrillation", "congestive heart failure",
    "coronary artery disease", "chronic obstructive pulmonary disease", "asthma", "chronic kidney disease stage 3",
    "hypothyroidism", "major depressive disorder", "generalized anxiety disorder", "osteoarthritis", "gout",
    "obstructive sleep apnea", "gastroesophageal reflux disease", "pneumonia", "urinary tract infection",
    "cellulitis", "sepsis", "acute kidney injury", "deep vein thrombosis", "pulmonary embolism", "stroke",
    "migraine", "epilepsy", "Parkinson's disease", "dementia", "anemia", "iron deficiency anemia",
    "benign prostatic hyperplasia", "osteoporosis", "rheumatoid arthritis", "cirrhosis", "hepatitis C",
    "pancreatitis", "diverticulitis", "colon cancer", "breast cancer", "prostate cancer", "lung cancer",
    "melanoma", "obesity", "peripheral artery disease", "aortic stenosis", "hypokalemia", "hyponatremia",
    "delirium", "alcohol use disorder", "opioid use disorder", "psoriasis", "lupus", "multiple sclerosis",
    "glaucoma", "cataract", "hearing loss", "chronic pain", "low back pain", "sciatica", "influenza",
    "COVID-19", "bronchitis", "sinusitis", "otitis media", "pharyngitis", "appendicitis", "cholecystitis",
    "small bowel obstruction", "GI bleed", "myocardial infarction", "unstable angina", "syncope",
    "diabetic ketoacidosis", "hypoglycemia", "thrombocytopenia", "leukocytosis", "pressure ulcer",
    "fall", "hip fracture", "anxiety", "insomnia", "schizophrenia", "bipolar disorder", "ADHD",
    "celiac disease", "Crohn's disease", "ulcerative colitis", "kidney stones", "pyelonephritis",
    "endocarditis", "pericarditis", "respiratory failure", "ARDS", "septic shock", "seizure disorder",
]
LABS = [  # name, unit, (low, high) normal range, value generator range
    ("sodium", "mmol/L", (135, 145), (124, 152)), ("potassium", "mmol/L", (3.5, 5.0), (2.8, 6.2)),
    ("creatinine", "mg/dL", (0.6, 1.2), (0.5, 4.8)), ("BUN", "mg/dL", (7, 20), (5, 80)),
    ("glucose", "mg/dL", (70, 110), (45, 420)), ("hemoglobin", "g/dL", (12, 16), (6.5, 17)),
    ("WBC", "K/uL", (4, 11), (1.8, 24)), ("platelets", "K/uL", (150, 400), (40, 560)),
    ("A1c", "%", (4, 5.6), (5.0, 12.5)), ("INR", "", (0.9, 1.1), (0.9, 4.6)),
    ("lactate", "mmol/L", (0.5, 2.0), (0.6, 7.8)), ("troponin", "ng/mL", (0, 0.04), (0.01, 2.4)),
    ("TSH", "mIU/L", (0.4, 4.0), (0.1, 12)), ("magnesium", "mg/dL", (1.7, 2.2), (1.1, 2.9)),
    ("ALT", "U/L", (7, 56), (10, 310)), ("AST", "U/L", (10, 40), (12, 280)),
    ("bilirubin", "mg/dL", (0.1, 1.2), (0.2, 6.5)), ("albumin", "g/dL", (3.5, 5.0), (2.0, 4.9)),
    ("LDL", "mg/dL", (0, 100), (55, 210)), ("BNP", "pg/mL", (0, 100), (20, 2400)),
    ("calcium", "mg/dL", (8.5, 10.5), (7.2, 11.8)), ("phosphorus", "mg/dL", (2.5, 4.5), (1.8, 6.9)),
    ("CRP", "mg/L", (0, 10), (1, 180)), ("ferritin", "ng/mL", (20, 250), (5, 900)),
    ("procalcitonin", "ng/mL", (0, 0.5), (0.05, 9.5)), ("pH", "", (7.35, 7.45), (7.12, 7.55)),
    ("hematocrit", "%", (36, 46), (21, 50)), ("vitamin D", "ng/mL", (30, 100), (8, 60)),
]
PROCEDURES = [
    "colonoscopy", "upper endoscopy", "chest x-ray", "CT head", "CT abdomen and pelvis", "MRI brain",
    "echocardiogram", "cardiac catheterization", "central line placement", "arterial line placement",
    "intubation", "bronchoscopy", "thoracentesis", "paracentesis", "lumbar puncture", "appendectomy",
    "cholecystectomy", "total knee replacement", "hip replacement", "coronary artery bypass graft",
    "hemodialysis", "PICC line placement", "EEG", "renal ultrasound", "CT angiogram chest",
    "skin biopsy", "mammogram", "cataract surgery", "foley catheter placement", "EGD",
    "ultrasound of the abdomen", "stress test", "pacemaker placement", "tracheostomy", "PEG tube placement",
]
ALLERGENS = ["penicillin", "sulfa drugs", "codeine", "latex", "iodinated contrast", "morphine", "amoxicillin",
             "ibuprofen", "aspirin", "cephalexin", "shellfish", "peanuts", "vancomycin", "lisinopril", "tape",
             "erythromycin", "levofloxacin", "nickel", "bee stings", "egg"]
REACTIONS = ["rash", "hives", "anaphylaxis", "swelling", "nausea", "itching", "shortness of breath", ""]

FIRST = ["Alma", "Desmond", "Ingrid", "Rafael", "Tamsin", "Ogechi", "Lorenzo", "Beatrix", "Yusuf", "Hollis",
         "Marguerite", "Kwame", "Sunniva", "Teodoro", "Pernille", "Idris", "Rosalind", "Emeka", "Verity", "Casimir"]
LAST = ["Fairweather", "Oduya", "Lindgren", "Castellanos", "Whitcombe", "Nakagawa", "Brannigan", "Sørensen",
        "Achterberg", "Quintero", "Pellegrino", "Mbeki", "Hollander", "Szabo", "Ravensworth", "Delacroix"]


def _split_vocab(items: list, split: str) -> list:
    cut = int(len(items) * 0.8)
    return items[:cut] if split == "train" else items


class Note:
    """Builds a note from segments while recording each planted fact with its evidence."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.facts: dict[str, list[dict]] = {k: [] for k in
                                             ("medications", "diagnoses", "procedures", "labs", "vitals", "allergies")}
        self.smoking = "unknown"

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


FREQ = {"daily": ["daily", "once daily", "qd", "every morning"], "bid": ["BID", "twice daily", "bid", "q12h"],
        "tid": ["TID", "three times daily", "q8h"], "qid": ["QID", "q6h", "every 6 hours"],
        "night": ["nightly", "qHS", "at bedtime"], "prn": ["PRN", "as needed", "q4h prn"],
        "weekly": ["weekly", "once a week"], "cont": ["continuous infusion", "titrated", ""]}
ROUTES = {"po": ["PO", "by mouth", "orally", "po"], "iv": ["IV", "intravenously", "iv"],
          "sc": ["SC", "subcutaneously", "subq", "SQ"], "inhaled": ["inhaled", "via nebulizer", "INH"],
          "im": ["IM", "intramuscularly"]}
STATUS_WORDS = {
    "train": {"new": ["Start {m}", "Started {m}", "Begin {m}", "Initiated {m}", "New: {m}", "Will start {m}"],
              "active": ["Continue {m}", "On {m}", "Takes {m}", "Remains on {m}", "{m}", "Cont {m}"],
              "stopped": ["Stop {m}", "Discontinued {m}", "D/c {m}", "Stopped {m}"],
              "held": ["Hold {m}", "Held {m}", "{m} on hold"]},
    "heldout-styles": {"new": ["Commence {m}", "Plan to add {m}", "Prescribed {m} today"],
                       "active": ["She continues on {m}", "Maintained on {m}", "Current: {m}"],
                       "stopped": ["{m} was discontinued", "Ceased {m}", "No longer taking {m}"],
                       "held": ["Holding {m}", "{m} held for now", "Paused {m}"]},
}
DX_WORDS = {
    "train": {"active": ["{d}", "Assessment: {d}", "Dx: {d}", "{d}, stable", "{d}, worsening", "Problem: {d}"],
              "negated": ["No {d}", "Denies {d}", "Negative for {d}", "{d} ruled out", "No evidence of {d}"],
              "historical": ["History of {d}", "PMH: {d}", "h/o {d}", "Past history of {d}"],
              "family": ["Mother had {d}", "Father with {d}", "FHx: {d} in brother", "Sister has {d}"],
              "resolved": ["{d}, resolved", "{d} resolved"]},
    "heldout-styles": {"active": ["Impression: {d}", "Consistent with {d}", "Likely {d}"],
                       "negated": ["Without {d}", "Not consistent with {d}", "Free of {d}"],
                       "historical": ["Remote {d}", "Previously treated for {d}", "Known prior {d}"],
                       "family": ["Family history significant for {d} (maternal aunt)", "Her grandfather had {d}"],
                       "resolved": ["{d}, now resolved", "{d} has cleared"]},
}


def _words(split: str) -> str:
    return "heldout-styles" if split == "heldout-styles" else "train"


def med_phrase(rng: random.Random, split: str, caps: bool) -> tuple[str, dict]:
    name, doses, routes = rng.choice(_split_vocab(DRUGS, split))
    status = rng.choices(["active", "new", "stopped", "held"], [5, 3, 1.5, 1])[0]
    dose = rng.choice(doses) if rng.random() < 0.85 else ""
    route = rng.choice(ROUTES[rng.choice(routes)]) if dose and rng.random() < 0.7 else ""
    freq = rng.choice(FREQ[rng.choice(list(FREQ))]) if dose and rng.random() < 0.75 else ""
    if status == "stopped" and rng.random() < 0.6:
        dose = route = freq = ""
    core = " ".join(x for x in (name, dose, route, freq) if x)
    if caps:
        core = core.upper()
        name, dose, route, freq = name.upper(), dose.upper(), route.upper(), freq.upper()
    phrase = rng.choice(STATUS_WORDS[_words(split)][status]).format(m=core)
    return phrase, {"name": name, "dose": dose, "route": route, "frequency": freq, "status": status,
                    "evidence": phrase}


def dx_phrase(rng: random.Random, split: str, caps: bool) -> tuple[str, dict]:
    d = rng.choice(_split_vocab(CONDITIONS, split))
    mode = rng.choices(["active", "negated", "historical", "family", "resolved"], [5, 2, 2, 1.2, 0.8])[0]
    if caps:
        d = d.upper()
    phrase = rng.choice(DX_WORDS[_words(split)][mode]).format(d=d)
    return phrase, {"name": d, "status": {"active": "active", "resolved": "resolved"}.get(mode, "unknown"),
                    "negated": mode == "negated", "historical": mode == "historical",
                    "family_history": mode == "family", "evidence": phrase}


def lab_phrase(rng: random.Random, split: str, caps: bool) -> tuple[str, dict]:
    name, unit, (lo, hi), (a, b) = rng.choice(_split_vocab(LABS, split))
    v = rng.uniform(a, b)
    value = f"{v:.2f}" if b < 10 and name == "pH" else (f"{v:.1f}" if b < 50 else f"{round(v)}")
    flag = "high" if float(value) > hi else "low" if float(value) < lo else "normal"
    shown_flag = rng.random() < 0.5
    mark = {"high": rng.choice([" (H)", " high", " H"]), "low": rng.choice([" (L)", " low", " L"]),
            "normal": rng.choice([" (normal)", " wnl", ""])}[flag] if shown_flag else ""
    u = f" {unit}" if unit and rng.random() < 0.6 else ""
    sep = rng.choice([" ", ": ", " of ", " "])
    phrase = f"{name.upper() if caps else name}{sep}{value}{u}{mark}"
    return phrase, {"name": name.upper() if caps else name, "value": value, "unit": u.strip(),
                    "flag": flag if shown_flag else "unknown", "evidence": phrase}


def vital_phrases(rng: random.Random, caps: bool) -> list[tuple[str, dict]]:
    out = []
    sys_, dia = rng.randint(88, 188), rng.randint(48, 108)
    options = [
        ("blood_pressure", rng.choice(["BP {v}", "BP {v} mmHg", "blood pressure {v}"]), f"{sys_}/{dia}", "mmHg"),
        ("heart_rate", rng.choice(["HR {v}", "pulse {v}", "HR {v} bpm"]), str(rng.randint(44, 138)), "bpm"),
        ("respiratory_rate", rng.choice(["RR {v}", "resp rate {v}"]), str(rng.randint(10, 34)), "/min"),
        ("temperature", rng.choice(["T {v}", "temp {v} C", "Tmax {v}"]), f"{rng.uniform(35.8, 39.9):.1f}", "C"),
        ("oxygen_saturation", rng.choice(["SpO2 {v}%", "O2 sat {v}% on RA", "sats {v}%"]), str(rng.randint(84, 100)), "%"),
        ("weight", rng.choice(["wt {v} kg", "weight {v} kg"]), f"{rng.uniform(45, 140):.1f}", "kg"),
        ("pain_score", rng.choice(["pain {v}/10", "pain score {v}"]), str(rng.randint(0, 10)), "/10"),
    ]
    for name, tmpl, value, unit in rng.sample(options, rng.randint(0, 4)):
        phrase = tmpl.format(v=value)
        if caps:
            phrase = phrase.upper()
        shown_unit = unit if unit.strip("/").lower() in phrase.lower() or (unit == "bpm" and "bpm" in phrase.lower()) else ""
        out.append((phrase, {"name": name, "value": value, "unit": shown_unit, "evidence": phrase}))
    return out


def proc_phrase(rng: random.Random, split: str, caps: bool) -> tuple[str, dict]:
    p = rng.choice(_split_vocab(PROCEDURES, split))
    p = p.upper() if caps else p
    phrase = rng.choice(["{p} done", "s/p {p}", "{p} performed", "Underwent {p}", "{p} today", "{p} scheduled"]).format(p=p)
    return phrase, {"name": p, "evidence": phrase}


def allergy_phrase(rng: random.Random, split: str, caps: bool) -> tuple[str, dict] | None:
    if rng.random() < 0.35:
        return None
    s = rng.choice(_split_vocab(ALLERGENS, split))
    r = rng.choice(REACTIONS)
    s, r = (s.upper(), r.upper()) if caps else (s, r)
    tmpl = rng.choice(["Allergic to {s} ({r})", "Allergies: {s} ({r})", "{s} allergy, {r}", "ALLERGY: {s} - {r}"]) \
        if r else rng.choice(["Allergic to {s}", "Allergies: {s}", "{s} allergy"])
    phrase = tmpl.format(s=s, r=r)
    return phrase, {"substance": s, "reaction": r, "evidence": phrase}


SMOKING = {"current": ["Current smoker", "Smokes 1 ppd", "Active smoker, half a pack daily", "tobacco: current"],
           "former": ["Former smoker", "Quit smoking in 2015", "Ex-smoker", "tobacco: former"],
           "never": ["Never smoker", "Denies tobacco use", "Never smoked", "tobacco: never"]}


def make_note(rng: random.Random, split: str, style: str, idx: int) -> dict:
    caps = style in ("icu_terse",) or (style == "flowsheet" and rng.random() < 0.5)
    n = Note()
    who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    date = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(2019, 2025)}"
    mrn = str(rng.randint(10_000_000, 99_999_999))
    sections = {
        "meds": [med_phrase(rng, split, caps) for _ in range(rng.randint(0, 5))],
        "dx": [dx_phrase(rng, split, caps) for _ in range(rng.randint(1, 4))],
        "labs": [lab_phrase(rng, split, caps) for _ in range(rng.randint(0, 3))],
        "vitals": vital_phrases(rng, caps),
        "procs": [proc_phrase(rng, split, caps) for _ in range(rng.choice([0, 0, 1, 1, 2]))],
    }
    for key in ("meds", "dx", "labs", "vitals", "procs"):  # one mention per name in a note
        seen: set[str] = set()
        sections[key] = [x for x in sections[key] if not (x[1]["name"].lower() in seen or seen.add(x[1]["name"].lower()))]
    allergy = allergy_phrase(rng, split, caps)
    smoke = rng.choice(["current", "former", "never", "unknown", "unknown"])
    smoke_phrase = rng.choice(SMOKING[smoke]) if smoke != "unknown" else ""
    if caps:
        smoke_phrase = smoke_phrase.upper()
    _STYLES[style](rng, n, who, date, mrn, sections, allergy, smoke_phrase, caps)
    n.smoking = smoke
    text = n.text()
    target = _target(text, sections, allergy, smoke)
    return {"id": f"extract-{split}-{idx:04d}", "text": text, "target": target, "split": split, "style": style,
            "gold": {"medications_listed": [{"name": m["name"], "dose": m["dose"]} for m in target["medications"]],
                     "conditions_diagnosed": [{"name": d["name"]} for d in target["diagnoses"]
                                              if not (d["negated"] or d["family_history"])]}}


def _target(text: str, sections: dict, allergy, smoke: str) -> dict:
    """Facts in order of appearance, each evidence checked against the text."""
    def ordered(pairs):
        facts = [f for _, f in pairs]
        for f in facts:
            assert f["evidence"] in text, f["evidence"]
        return sorted(facts, key=lambda f: text.index(f["evidence"]))
    return {"medications": ordered(sections["meds"]), "diagnoses": ordered(sections["dx"]),
            "procedures": ordered(sections["procs"]), "labs": ordered(sections["labs"]),
            "vitals": ordered(sections["vitals"]), "allergies": ordered([allergy] if allergy else []),
            "smoking_status": smoke}


def _join(rng, phrases, seps=("; ", ". ", ", ")) -> str:
    sep = rng.choice(seps)
    return sep.join(p for p, _ in phrases)


def style_clinic(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"Clinic visit {date}. {who} (MRN {mrn}) seen for follow-up.\n")
    if s["vitals"]:
        n.add(f"Vitals: {_join(rng, s['vitals'], (', ',))}.\n")
    n.add(f"S: Feels {rng.choice(['well', 'tired', 'about the same', 'better'])}. {smoke + '.' if smoke else ''}\n")
    if allergy:
        n.add(f"{allergy[0]}.\n")
    if s["labs"]:
        n.add(f"Labs: {_join(rng, s['labs'], (', ', '; '))}.\n")
    if s["procs"]:
        n.add(f"{_join(rng, s['procs'], ('. ',))}.\n")
    n.add(f"A: {_join(rng, s['dx'], ('; ', '. '))}.\n")
    if s["meds"]:
        n.add(f"P: {_join(rng, s['meds'], ('. ', '; '))}.\n")
    n.add(f"Return in {rng.choice(['2 weeks', '3 months', '6 weeks'])}.\n")


def style_discharge(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"DISCHARGE SUMMARY\nPatient: {who}   MRN: {mrn}   Discharged: {date}\n")
    n.add("Diagnoses:\n" + "".join(f"- {p}\n" for p, _ in s["dx"]))
    if s["procs"]:
        n.add("Procedures: " + _join(rng, s["procs"], ("; ",)) + "\n")
    if s["labs"] or s["vitals"]:
        n.add("Pertinent results: " + _join(rng, s["labs"] + s["vitals"], ("; ", ", ")) + "\n")
    n.add(f"Allergies: {allergy[0]}\n" if allergy else "Allergies: NKDA\n")
    if s["meds"]:
        n.add("Discharge medications:\n" + "".join(f"{i}. {p}\n" for i, (p, _) in enumerate(s["meds"], 1)))
    if smoke:
        n.add(f"Social: {smoke}.\n")
    n.add(f"Follow up with PCP in {rng.choice(['1 week', '2 weeks'])}.\n")


def style_icu(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"ICU NSG NOTE {date} {rng.randint(0, 23):02d}00\nPT {who.upper()}. ")
    if s["vitals"]:
        n.add("VS: " + _join(rng, s["vitals"], (", ", " ")) + ". ")
    n.add(_join(rng, s["dx"], (". ", ", ")) + ". ")
    if s["meds"]:
        n.add("GTTS/MEDS: " + _join(rng, s["meds"], (", ", ". ")) + ". ")
    if s["labs"]:
        n.add("LABS " + _join(rng, s["labs"], (", ", " ")) + ". ")
    if s["procs"]:
        n.add(_join(rng, s["procs"], (". ",)) + ". ")
    if allergy:
        n.add(allergy[0] + ". ")
    if smoke:
        n.add(smoke + ". ")
    n.add(rng.choice(["WILL CONT TO MONITOR.", "PLAN: CONT CURRENT CARE.", "FAMILY UPDATED."]) + "\n")


def style_phone(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"Telephone encounter {date}\nCalled {who} at 555-01{rng.randint(10, 99)} about results. ")
    if s["labs"]:
        n.add(_join(rng, s["labs"], (", ", "; ")) + ". ")
    n.add(_join(rng, s["dx"], (". ",)) + ". ")
    if s["meds"]:
        n.add("Advised: " + _join(rng, s["meds"], ("; ", ". ")) + ". ")
    if smoke:
        n.add(smoke + ". ")
    if allergy:
        n.add(allergy[0] + ". ")
    n.add("Patient verbalized understanding.\n")
    for p, _ in s["vitals"] + s["procs"]:
        n.add(f"Home reading / record: {p}.\n")


def style_ed(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"ED note, {date}. {who}, MRN {mrn}.\nHPI: presents with {rng.choice(['chest pain', 'dyspnea', 'fever', 'weakness', 'abdominal pain'])}. ")
    hx = [x for x in s["dx"] if x[1]["historical"] or x[1]["family_history"]]
    now = [x for x in s["dx"] if x not in hx]
    if hx:
        n.add(_join(rng, hx, (". ",)) + ". ")
    if smoke:
        n.add(smoke + ". ")
    n.add(f"{allergy[0]}.\n" if allergy else "NKDA.\n")
    if s["vitals"]:
        n.add("Exam: " + _join(rng, s["vitals"], (", ",)) + ".\n")
    if s["labs"] or s["procs"]:
        n.add("Workup: " + _join(rng, s["labs"] + s["procs"], (", ", "; ")) + ".\n")
    if now:
        n.add("MDM: " + _join(rng, now, ("; ", ". ")) + ".\n")
    if s["meds"]:
        n.add("Given/plan: " + _join(rng, s["meds"], ("; ", ". ")) + ".\n")


def style_medrec(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"Medication reconciliation - {who} - {date}\n")
    for p, _ in s["meds"]:
        n.add(f"* {p}\n")
    n.add(f"Allergies: {allergy[0]}\n" if allergy else "No known drug allergies\n")
    n.add("Problems: " + _join(rng, s["dx"], ("; ", ", ")) + "\n")
    for p, _ in s["labs"] + s["vitals"] + s["procs"]:
        n.add(f"Noted: {p}\n")
    if smoke:
        n.add(f"{smoke}\n")


# held-out styles: never used for training
def style_letter(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"Dear Dr. {rng.choice(LAST)},\n\nThank you for referring {who}, whom I saw on {date}. ")
    n.add("On review: " + _join(rng, s["dx"], (", and ", "; ")) + ". ")
    if s["vitals"] or s["labs"]:
        n.add("Today " + _join(rng, s["vitals"] + s["labs"], (", ", " and ")) + ". ")
    if s["procs"]:
        n.add("Records show " + _join(rng, s["procs"], (" and ",)) + ". ")
    if allergy:
        n.add(f"Of note: {allergy[0]}. ")
    if smoke:
        n.add(f"{smoke}. ")
    if s["meds"]:
        n.add("\n\nMy recommendations: " + _join(rng, s["meds"], ("; ", ". ")) + ". ")
    n.add("\n\nKind regards,\nDr. " + rng.choice(LAST) + "\n")


def style_problems(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"Progress note {date} -- {who} ({mrn})\n")
    meds = list(s["meds"])
    for i, dx in enumerate(s["dx"], 1):
        n.add(f"#{i} {dx[0]}")
        if meds:
            n.add(f" -- {meds.pop(0)[0]}")
        n.add("\n")
    for m in meds:
        n.add(f"#misc {m[0]}\n")
    if s["labs"] or s["vitals"]:
        n.add("Data: " + _join(rng, s["labs"] + s["vitals"], (" | ",)) + "\n")
    for p, _ in s["procs"]:
        n.add(f"Hx procedures: {p}\n")
    n.add(f"{allergy[0]}\n" if allergy else "NKA\n")
    if smoke:
        n.add(f"Tobacco: {smoke}\n")


def style_flowsheet(rng, n, who, date, mrn, s, allergy, smoke, caps):
    n.add(f"Shift summary {date} / {who}\n")
    for p, _ in s["vitals"]:
        n.add(f"  {p}\n")
    for p, _ in s["labs"]:
        n.add(f"  lab > {p}\n")
    for p, _ in s["meds"]:
        n.add(f"  mar > {p}\n")
    for p, _ in s["dx"]:
        n.add(f"  dx > {p}\n")
    for p, _ in s["procs"]:
        n.add(f"  proc > {p}\n")
    if allergy:
        n.add(f"  alert > {allergy[0]}\n")
    if smoke:
        n.add(f"  social > {smoke}\n")


_STYLES = {"clinic": style_clinic, "discharge": style_discharge, "icu_terse": style_icu, "phone": style_phone,
           "ed": style_ed, "medrec": style_medrec, "letter": style_letter, "problems": style_problems,
           "flowsheet": style_flowsheet}
SPLIT_STYLES = {"train": ["clinic", "discharge", "icu_terse", "phone", "ed", "medrec"],
                "heldout": ["clinic", "discharge", "icu_terse", "phone", "ed", "medrec"],
                "heldout-styles": ["letter", "problems", "flowsheet"]}
SEEDS = {"train": 1601, "heldout": 1602, "heldout-styles": 1603}


def generate(split: str, n: int) -> list[dict]:
    rng = random.Random(SEEDS[split])
    styles = SPLIT_STYLES[split]
    return [make_note(rng, split, styles[i % len(styles)], i) for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=sorted(SEEDS), required=True)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.out, "w", encoding="utf-8") as f:
        for rec in generate(a.split, a.n):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
