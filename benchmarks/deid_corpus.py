"""Synthetic de-identification gold corpus: notes from templates with every PHI value recorded as
a gold span ({"id", "text", "phi": [{"start","end","type","text"}]}, the shape of
../shared/data/synthea-notes-gold.jsonl).

Splits that share nothing but the slot vocabulary: `dev`, `dev2` and `dev3` (templates and name
pools used while tuning recognizers; dev2 and dev3 were written in session 2 in styles no other
split uses: operative reports, SOAP notes, dictations, fax referrals, home health, psychiatry,
nursing shift notes, transfer records, patient letters, social work, EMS run reports, family
history) and `heldout` (templates written afterwards in other styles: discharge
summaries, radiology, telephone encounters, terse upper-case ICU nursing notes, pathology,
consult letters, ED notes; different name pools, many names absent from the Census lists).
`dev7` and `heldout5` (session 4) draw people, US addresses and employers from presidio-evaluator's
FakeNameGenerator file instead of chartsift's own pools (see `load_third_party`).
Every value is invented; phone numbers use 555-01xx.

    python benchmarks/deid_corpus.py --split heldout --n 300 --out benchmarks/data/deid-heldout.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re

NAMES = {
    "dev": {
        "first": ["Harold", "Margaret", "Rosa", "Samuel", "Keisha", "Jonathan", "Ellen", "Luis", "Priya", "Anne",
                  "Miriam", "Thomas", "Grace", "Victor", "Helen", "Omar", "Linda", "Carlos", "Julia", "Peter"],
        "last": ["Beckwith", "Ellison", "Gutierrez", "Okafor", "Morrow", "Pratt", "Navarro", "Raman", "Oyelaran",
                 "Chen", "Hughes", "Schmidt", "Patel", "Kowalski", "Duarte", "Brennan", "Fischer", "Lindqvist"],
    },
    "dev2": {
        "first": ["Thanh", "Nguyet", "Farida", "Tariq", "Siobhan", "Declan", "Marisol", "Joaquin", "Agnieszka",
                  "Bogdan", "Oluwaseun", "Temitope", "Anneliese", "Matthias", "Lakshmi", "Venkat", "Ewa", "Ruth",
                  "Kenji", "Mei", "Barbara", "William", "Dorothy", "Charles", "Nancy", "Joseph", "Aaliyah", "Brandon"],
        "last": ["Tran", "Nguyen", "Haddad", "Al-Masri", "Callaghan", "MacNeil", "Ibarra", "Villanueva", "Wojcik",
                 "Dabrowski", "Adeyemi", "Ogunleye", "Baumgartner", "Krause", "Subramanian", "Iyer", "Mazur",
                 "Goldberg", "Tanaka", "Lin", "Miller", "Davis", "Wilson", "Moore", "Taylor", "Anderson", "St. Clair",
                 "Van der Berg", "McAllister"],
    },
    "dev3": {
        "first": ["Mehmet", "Ayse", "Jae-won", "Minji", "Kalani", "Leilani", "Abdul", "Yasmin", "Rafael", "Lucia",
                  "Stanislav", "Olga", "Pita", "Aroha", "Bongani", "Lerato", "Esperanza", "Ignacio", "Margaux",
                  "Benedikt", "Elizabeth", "John", "Maria", "Daniel", "Sarah", "Kevin", "Donna", "Gary"],
        "last": ["Yilmaz", "Demir", "Park", "Choi", "Kahananui", "Abdul-Rahman", "Haddadi", "Ortega-Ruiz",
                 "Morales", "Petrov", "Sokolova", "Ngata", "Dlamini", "Mokoena", "Fuentes", "Aguirre", "Lefevre",
                 "Hoffmann", "Jones", "Martin", "Thompson", "Clark", "Lewis", "Robinson", "Walker", "Young"],
    },
    "dev4": {
        "first": ["Oksana", "Dariusz", "Tomasz", "Svetlana", "Nomvula", "Sipho", "Chinedu", "Ngozi", "Kofi", "Ama",
                  "Hamid", "Zainab", "Arjun", "Deepika", "Anh", "Quynh", "Hye-jin", "Sung-min", "Mateo", "Camila",
                  "Renata", "Joaquim", "Astrid", "Henrik", "Eamon", "Niamh", "Ruth", "George", "Betty", "Frank",
                  "Shirley", "Raymond", "Gloria", "Wendell", "Imani", "Tyrone", "Cheyenne", "Dakota"],
        "last": ["Kovalenko", "Wisniewski", "Zulu", "Nwosu", "Mensah", "Boateng", "Rahimi", "Karimi", "Chaudhary",
                 "Reddy", "Pham", "Hoang", "Kang", "Seo", "Restrepo", "Cardenas", "Sandoval", "Lindholm", "Berg",
                 "Doherty", "Fitzgerald", "Brooks", "Reyes", "Collins", "Stewart", "Morris", "Kelly", "Price",
                 "Barnes", "Running Bear", "Two Feathers", "LaRue", "DeSantis", "O'Neill", "McGregor-Hall"],
    },
    "dev5": {
        "first": ["Ignatius", "Philippa", "Cosmin", "Ileana", "Tadeusz", "Marguerite", "Obinna", "Funmilayo", "Sione",
                  "Malia", "Eero", "Saoirse", "Rashida", "Jamal", "Vikram", "Anjali", "Hoa", "Linh", "Yuki", "Haruto",
                  "Beatriz", "Rodrigo", "Karen", "Steven", "Deborah", "Paul", "Carol", "Larry", "Diane", "Walter"],
        "last": ["Okonkwo", "Adebayo", "Fonoti", "Tuilagi", "Virtanen", "Mahmoud", "Siddiqui", "Venkataraman", "Bui",
                 "Watanabe", "Sato", "Azevedo", "Figueroa", "Harrington", "Pennington", "Cruz", "Hughes-Whitaker",
                 "Vandermeer", "Castillo", "Ward", "Fox", "Gray", "Hill", "Lamb", "Goodman", "Church", "Mac an tSaoi"],
    },
    "dev6": {
        "first": ["Augustin", "Bernadette", "Cyrus", "Delphine", "Emeka", "Florencia", "Gideon", "Hyacinth", "Isidore",
                  "Juniper", "Kaito", "Lorenzo", "Magdalena", "Nikolai", "Orla", "Perpetua", "Rosalind", "Santiago",
                  "Tatiana", "Uriel", "Vera", "Winston", "Yolanda", "Zoltan", "Joyce", "Roger", "Gerald", "Marilyn",
                  "Eugene", "Judith"],
        "last": ["Achterberg", "Balogun", "Cavanaugh", "Dimitrov", "Esposito", "Fairbanks", "Gallagher", "Halvorsen",
                 "Ikeda", "Jablonski", "Kaur", "Lozano", "Mwangi", "Novak", "Oyelowo", "Quintero", "Rosenthal",
                 "Sorensen", "Trujillo", "Underwood", "Valdez", "Whitmore", "Yeager", "Zhou", "Bishop", "Marsh",
                 "Rivers", "Banks", "Stone", "Black"],
    },
    "heldout4": {
        "first": ["Abelardo", "Bronwyn", "Casimir", "Dagny", "Ezequiel", "Fenella", "Giacomo", "Henrietta", "Ifeoma",
                  "Jozef", "Kerstin", "Leander", "Mireille", "Nnamdi", "Octavia", "Prudence", "Radomir", "Solveig",
                  "Thaddeus", "Ursula", "Violeta", "Wojciech", "Ximena", "Yevgeny", "Zuzana", "Anthony", "Sandra",
                  "Kenneth", "Donna", "Timothy", "Michelle", "D'Angelo", "Mary-Kate"],
        "last": ["Abramowitz", "Bergstrom", "Chukwuemeka", "Dubois", "Eriksen", "Featherstone", "Gonzaga", "Hakimi",
                 "Iannucci", "Jovanovic", "Kristiansen", "Lachance", "Moreau-Blanc", "Ndlovu", "Ostrowski", "Pellegrino",
                 "Quarshie", "Rautenberg", "Szabo", "Thorsen", "Uchenna", "Villalobos", "Wainwright", "Yilmazer",
                 "Zaragoza", "Parker", "Morgan", "Cook", "Rogers", "Bailey", "Rivera", "Hall Jr."],
    },
    "heldout": {
        "first": ["Adaeze", "Bartholomew", "Chiamaka", "Dmitri", "Eulalia", "Fionnuala", "Gustavo", "Hiroshi",
                  "Ingrid", "Jolene", "Kwame", "Leocadia", "Mateus", "Nkechi", "Ottoline", "Parveen", "Quentin",
                  "Radhika", "Soren", "Thandiwe", "Ulrike", "Valentin", "Wilhelmina", "Xiomara", "Yusuf", "Zofia",
                  "Mary", "James", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Susan"],
        "last": ["Abernathy", "Bakshi", "Castellanos", "Delacroix-Moreau", "Eze", "Fairweather", "Grzelak",
                 "Hollingsworth", "Iwu", "Jaramillo", "Kowalczyk", "Lindgren", "Mbeki", "Nakamura", "O'Sullivan",
                 "Papadopoulos", "Quiroga", "Rasmussen", "Szymanski", "Thibodeaux", "Umeh", "Vasquez",
                 "Whitfield", "Xu", "Yamamoto", "Zielinski", "Smith", "Johnson", "Williams", "Brown", "Garcia"],
    },
}
STREETS = {"heldout4": ["Quail Run Rd", "Oakmont Ave", "Three Rivers Parkway", "Mulberry St", "Sentinel Way"],
           "dev6": ["Dogwood Ln", "Sugar Maple Drive", "Canal St", "Bridgewater Pkwy", "Larch Hill Road"],
           "dev5": ["Willow Bend Dr", "Hickory Nut Gap Rd", "Mill St.", "Tanglewood Circle", "Shady Grove Lane"],
           "dev4": ["Prospect Hill Road", "Wintergreen Ct", "E. Cedar Ave", "Bluebonnet Trail", "Tamarack Drive",
                    "Old Post Road"],
           "dev3": ["Juniper Hollow Rd", "Fairview Ave.", "S. Oak Street", "Cottonwood Lane"],
           "dev": ["Larkfield Road", "Birchwood Lane", "Harbor View Drive", "Elm Street", "Maple Avenue"],
           "dev2": ["Quarry Hill Rd", "Chestnut St.", "N. Main Street", "County Road 12", "Bayberry Circle",
                    "Lantern Ridge Pkwy"],
           "heldout": ["Old Mill Road", "Sycamore Court", "Kingfisher Way", "Rue Sainte-Anne", "Pinecrest Boulevard",
                       "Ashgrove Terrace", "W. 43rd Street"]}  # fmt: skip
CITIES = {"heldout4": [("Sioux Falls", "SD"), ("Chattanooga", "TN"), ("Pueblo", "CO"), ("Hagerstown", "MD"),
                       ("Gainesville", "FL"), ("Altoona", "PA"), ("Wausau", "WI"), ("Texarkana", "TX")],
          "dev6": [("Terre Haute", "IN"), ("Cheyenne", "WY"), ("Bismarck", "ND"), ("Ithaca", "NY"),
                       ("Missoula", "MT"), ("Port Huron", "MI"), ("Winston-Salem", "NC"), ("La Crosse", "WI")],
          "dev5": [("Greenville", "SC"), ("Billings", "MT"), ("Lafayette", "LA"), ("Muskogee", "OK"),
                       ("Saint George", "UT"), ("Fond du Lac", "WI"), ("Elizabethtown", "KY"), ("Coeur d'Alene", "ID")],
          "dev4": [("Flagstaff", "AZ"), ("Duluth", "MN"), ("Asheville", "NC"), ("Kokomo", "IN"), ("Yakima", "WA"),
                   ("Bangor", "ME"), ("Las Cruces", "NM"), ("Council Bluffs", "IA"), ("Rapid City", "SD")],
          "dev3": [("Muncie", "IN"), ("Hattiesburg", "MS"), ("Eau Claire", "WI"), ("Twin Falls", "ID")],
          "dev": [("Dunmore", "PA"), ("Westover", "NJ"), ("Riverton", "WY")],
          "dev2": [("Chillicothe", "OH"), ("Kalamazoo", "MI"), ("Lake Charles", "LA"), ("Pocatello", "ID"),
                   ("Saint Cloud", "MN")],
          "heldout": [("Tallahassee", "FL"), ("Ypsilanti", "MI"), ("Walla Walla", "WA"), ("Natchez", "MS"),
                      ("Bozeman", "MT"), ("Poughkeepsie", "NY")]}  # fmt: skip
HOSPITALS = {"heldout4": ["Holy Cross Hospital", "St. Vincent's Medical Center", "Riverside Regional Medical Center",
                          "Canyon Ridge Hospital", "Northgate Pediatrics", "Lakeside Memorial Hospital"],
             "dev6": ["Union Hospital", "Providence St. Peter Hospital", "Saint Francis Medical Center",
                          "Oak Hollow Assisted Living", "Marsh Creek Family Health Center", "Bayfront Heart and Vascular Clinic"],
             "dev5": ["Good Samaritan Hospital", "St. Luke's Regional Medical Center", "Mountain View Behavioral Health",
                          "Cumberland Valley Clinic", "Piedmont Heart Institute", "Tri-State Memorial Hospital",
                          "Brookhaven Skilled Nursing Facility"],
             "dev4": ["Ridgeview Memorial Hospital", "Sacred Heart Medical Center", "Lakeland Regional Medical Center",
                      "Desert Springs Hospital", "Children's Hospital of Westbrook", "Pinehurst Family Practice",
                      "Valley Oaks Urgent Care"],
             "dev3": ["Sisters of Charity Hospital", "Bayside Children's Hospital", "Summit Orthopedic Institute",
                      "Heartland Medical Associates"],
             "dev": ["St. Brigid Medical Center", "Lakeshore General Hospital", "Cedar Hill Clinic"],
             "dev2": ["Good Shepherd Regional Hospital", "Riverbend Surgical Associates", "Prairie View Health System",
                      "Maplewood Nursing and Rehabilitation", "University of Eastbrook Medical Center"],
             "heldout": ["Mercy Ridge Hospital", "Northwestern Valley Medical Center", "Saint Agnes Infirmary",
                         "Blue Heron Family Clinic", "Holloway Rehabilitation Center", "Kessler Memorial Hospital"]}  # fmt: skip
EMPLOYERS = {"heldout4": ["Summit Ridge Construction", "Green Valley Poultry", "Maplewood Public Library"],
             "dev6": ["Dakota Plains Ag Supply", "Sunrise Home Care", "Riverbend Casino"],
             "dev5": ["Blue Ridge Textiles", "Pioneer Grain Elevator", "Lakeview Middle School"],
             "dev4": ["Cascade Lumber Company", "Hillside Elementary School", "Riverside Auto Body"],
             "dev": ["Acme Freight"], "dev3": ["Granite State Roofing", "Millbrook School District"], "dev2": ["Northgate Dairy Cooperative", "Bellwether Insurance"], "heldout": ["Tri-County Plumbing", "Harmon Steel Works", "Brightline Logistics"]}

TEMPLATES = {
    "dev": [
        ("discharge", "DISCHARGE SUMMARY\nPatient: {PT_FULL}    MRN: {MRN}    DOB: {DATE_MDY}\nAdmission date: {DATE_MDY}   "
         "Discharge date: {DATE_MDY}\nAttending: Dr. {DR_FULL}, MD\n\nHPI: Mr. {PT_LAST} is a {AGE90}-year-old man with "
         "type 2 diabetes mellitus admitted with pneumonia. Lives at {ADDRESS}, {CITY}, {STATE} {ZIP} with his wife "
         "{REL_FIRST}.\nDischarge medications: metformin 1000 mg by mouth twice daily.\nFollow-up with Dr. {DR_LAST} at "
         "{HOSPITAL}. Call {PHONE} with questions.\n"),
        ("phone", "Telephone encounter {DATE_DMONY}\nSpoke with patient's daughter, {REL_FULL}, at {PHONE} regarding "
         "INR. Warfarin 5 mg daily. Recheck on {DATE_MONTHD}.\n-- RN {DR_LAST}, pager {PAGER}\n"),
        ("clinic", "Primary care visit on {DATE_ISO}. {PT_FULL} returns for follow-up. A1c 7.9%. Continue lisinopril "
         "20 mg daily. Email {EMAIL}. Seen by Dr. {DR_LAST} on {DATE_LONG}. Account {ACCT}.\n"),
        ("icu", "ICU NURSING NOTE {DATE_COMPACT} 0600\nPT {PT_FULL_UP}, {AGE90} YO M, SEPTIC SHOCK. FOLEY IN PLACE. "
         "PAIN 3/10. WIFE ({REL_FIRST_UP}) AT BEDSIDE, CONTACT {PHONE}.\n"),
    ],
    # written in session 2 for tuning, in styles neither dev nor heldout uses
    "dev2": [
        ("operative", "OPERATIVE REPORT\nDate of surgery: {DATE_MDY}\nSurgeon: {DR_FULL}, MD   Assistant: {DR2_FULL}, PA-C\n"
         "Patient: {PT_LAST}, {PT_FIRST}   MR# {MRN}\nPreoperative diagnosis: acute appendicitis.\nProcedure: "
         "laparoscopic appendectomy. Estimated blood loss 10 mL. Cefazolin 2 g IV given.\nThe patient, {PT_FIRST}, "
         "tolerated the procedure well and was taken to PACU. I discussed findings with her husband {REL_FULL} by "
         "phone at {PHONE}.\nElectronically signed: {DR_LAST}, {DR_FIRST} {DATE_MDY2}\n"),
        ("soap", "S: pt is a {AGE90} yo F here w/ granddaughter {REL_FIRST} for f/u of CHF. c/o swelling. lives alone on "
         "{ADDRESS} in {CITY}.\nO: BP 142/88 HR 76 wt 71 kg\nA/P: CHF - furosemide 40 mg po daily, bmp next wk. "
         "Seen w/ Dr {DR_LAST} (attending). next appt {DATE_MONTHD} at {HOSPITAL}.\n-{DR2_FIRST} {DR2_LAST}, MS3\n"),
        ("dictation", "This is {DR_FULL} dictating a clinic note on {PT_FULL}, date of birth {DATE_LONG}, medical "
         "record number {MRN}. Date of service {DATE_LONG}. {PT_FIRST} comes in today with her son {REL_FIRST} "
         "complaining of cough for two weeks. She works at {EMPLOYER}. Chest x-ray clear. Plan azithromycin 250 mg "
         "daily for five days. Copy to Dr. {DR2_FULL}. End of dictation. Job number {ENCOUNTER}.\n"),
        ("referral", "REFERRAL / FAX COVER\nTo: {HOSPITAL} Cardiology   Fax: {FAX}\nFrom: {DR2_FULL}, NP, Family "
         "Medicine\nRe: {PT_FULL_UP}  DOB: {DATE_MDY}  Medicaid ID: {MEMBER}\nReason: palpitations, Holter showed "
         "SVT. Metoprolol 25 mg twice daily started {DATE_ISO}. Please call the patient at {PHONE} or email "
         "{EMAIL}.\n"),
        ("homehealth", "Home health visit {DATE_DMONY}. Pt {PT_FIRST} {PT_LAST} ({AGE90}y) seen at home, "
         "{ADDRESS}, {CITY} {STATE} {ZIP}. Caregiver {REL_FULL} present. Wound L heel stage 2, dressing changed. "
         "Next visit {DATE_WEEKDAY}. Agency contact {DR2_FIRST} at {PHONE}. Gate code noted in chart.\n"),
        ("psych", "PSYCHIATRY PROGRESS NOTE - {DATE_ISO}\n{PT_FIRST_UP} {PT_LAST_UP} is a {AGE_YOUNG} y.o. veteran "
         "seen for depression follow-up. PHQ-9 today 14 (was 19). Sertraline 100 mg daily. Denies SI/HI. Sister "
         "{REL_FIRST} {REL_LAST} involved in care. Employed at {EMPLOYER}. RTC 4 wks with Dr. {DR_LAST}.\n"),
    ],
    # written in session 2 after dev2, again in styles no other split uses
    "dev3": [
        ("shift", "nursing shift note {DATE_MDY} 1900-0700. pt resting, a&ox3. daughter {REL_FIRST} called x2, "
         "updated. pt asked for her pastor, Rev. {DR_LAST}. voided 400 ml. iv site c/d/i. handed off to "
         "{DR2_FIRST} rn at 0700.\n"),
        ("transfer", "TRANSFER RECORD\nSending facility: {HOSPITAL}\nReceiving: {HOSPITAL}\nPatient {PT_FULL}, "
         "{AGE90} years, accompanied by grandson {REL_FULL}. Report given by {DR2_FULL} to {DR_FULL}. "
         "Belongings: glasses, hearing aids. Code status DNR confirmed with son {REL_FIRST} on {DATE_MONTHD}.\n"),
        ("letter", "Dear Mrs. {PT_LAST},\n\nYour results from your visit on {DATE_LONG} are normal. Your "
         "cholesterol is 182. Please keep taking atorvastatin 20 mg every night. If you have questions, call our "
         "nurse {DR2_FIRST} at {PHONE}.\n\nWarm regards,\n{DR_FIRST} {DR_LAST}\n{HOSPITAL}\n"),
        ("socialwork", "Social work note. Met with pt {PT_FIRST} {PT_LAST} and her partner, {REL_FULL}, re: "
         "discharge planning. Pt works part-time for {EMPLOYER}. Neighbor Mr. {REL_LAST} can drive her to "
         "appointments. Referred to meals on wheels. {DR2_FULL}, LCSW\n"),
        ("ems", "EMS RUN REPORT #{ENCOUNTER}\nDispatched {DATE_MDY} 14:32 to {ADDRESS}. Found {AGE90} y/o female "
         "on floor, GCS 14. Husband {REL_FIRST} states she fell at 1400. Transported to {HOSPITAL}. Crew: "
         "{DR_FIRST} {DR_LAST} (medic), {DR2_FIRST} {DR2_LAST} (EMT).\n"),
        ("familyhx", "Family history: mother (née {REL_LAST}) had breast cancer at 45. Father deceased. Brother "
         "{REL_FIRST} has type 1 diabetes. Pt {PT_FIRST} {PT_LAST} lives with her aunt. PCP Dr {DR_LAST} at "
         "{HOSPITAL}; last seen {DATE_ISO}.\n"),
    ],
    # written in session 3 for tuning: the four styles issue #3 names, in variants neither dev nor heldout uses
    "dev4": [
        ("discharge", "DISCHARGE SUMMARY\n\nPATIENT NAME: {PT_LAST}, {PT_FIRST}\nMRN: {MRN}   ACCOUNT #: {ACCT}\nDATE OF "
         "ADMISSION: {DATE_MDY}\nDATE OF DISCHARGE: {DATE_MDY}\nATTENDING PHYSICIAN: {DR_FULL}, MD\nCONSULTANTS: "
         "Cardiology ({DR2_FULL}, MD)\n\nBRIEF HISTORY: The patient is a {AGE90}-year-old female from {CITY} who "
         "was transferred from {HOSPITAL} with decompensated heart failure. Her daughter, {REL_FIRST}, is her "
         "health care proxy.\n\nHOSPITAL COURSE: Diuresed with furosemide 40 mg IV twice daily. Echo on "
         "{DATE_MONTHD} showed EF 35%. Seen by Dr. {DR2_LAST}'s team.\n\nFOLLOW-UP: {DR_FIRST} {DR_LAST} in two "
         "weeks. Home health referral placed.\n"),
        ("discharge", "Discharge Summary - {HOSPITAL}\n\n{PT_FULL} ({AGE90} yo, MRN {MRN}) was admitted on {DATE_LONG} for a "
         "left hip fracture after a fall at home in {CITY}. ORIF was performed by {DR_FULL} on hospital day 2. "
         "Post-op course was complicated by delirium, which cleared. {PT_FIRST} lives with her husband "
         "{REL_FULL} at {ADDRESS}, {CITY}. Discharged {DATE_MDY2} to {HOSPITAL} for rehab. Enoxaparin 40 mg "
         "subcutaneously daily for 4 weeks.\n"),
        ("discharge", "DC SUMMARY\nPt: {PT_FULL_UP}   Age: {AGE90}   Sex: M\nAdm {DATE_MDY2}  D/C {DATE_MDY2}\nDx: COPD "
         "exacerbation, Parkinson disease.\nCourse: prednisone 40 mg daily x5 days, nebs. Weaned to 2L NC. Wife "
         "{REL_FIRST} {PT_LAST} and son {REL2_FIRST} updated daily.\nPCP: {DR_LAST}, {DR_FIRST} "
         "({HOSPITAL})\nPharmacy: Walgreens on {STREET}. Works at {EMPLOYER}.\n"),
        ("radiology", "RADIOLOGY REPORT\nPatient: {PT_FULL_UP}    DOB: {DATE_MDY}    MRN: {MRN}\nAccession: {ACCESSION}\nExam: "
         "CT CHEST WITHOUT CONTRAST\nExam date: {DATE_ISO} 14:22\nOrdering provider: {DR_LAST}, "
         "{DR_FIRST}\nIndication: cough, {AGE90} y/o former smoker.\nFindings: 6 mm nodule in the right upper "
         "lobe. No effusion.\nImpression: Indeterminate nodule; follow-up CT in 6 months per Fleischner "
         "criteria.\nCritical result called to {DR2_FULL}, NP on {DATE_MDY} by {DR_FULL} (read back "
         "confirmed).\n"),
        ("radiology", "XR KNEE 3 VIEWS LEFT   {DATE_DMONY}\nHistory: {AGE_YOUNG}M fall. Comparison: {DATE_MDY2}, outside "
         "films from {HOSPITAL}.\nFindings: Mild medial joint space narrowing. No fracture.\nImpression: Mild "
         "osteoarthritis.\nDictated by: {DR_LAST_UP}, {DR_FIRST_UP} MD   Transcribed by: {DR2_FIRST} "
         "{DR2_LAST}\n"),
        ("radiology", "Ultrasound abdomen, complete. Patient {PT_LAST}, {PT_FIRST}; DOB {DATE_LONG}; account "
         "{ACCT}.\nClinical: RUQ pain. Comparison: none.\nThe liver is normal in size. Gallbladder contains "
         "stones without wall thickening. Murphy sign negative.\nIMPRESSION: Cholelithiasis without "
         "cholecystitis.\nThese findings were discussed with {DR_FULL} by telephone at 3:15 pm on "
         "{DATE_MONTHD}. Reading radiologist: {DR2_FULL}, MD, {HOSPITAL}.\n"),
        ("telephone", "TELEPHONE ENCOUNTER\nDate: {DATE_MDY} 10:42 AM\nCaller: {REL_FULL}, patient's wife\nCallback: "
         "{PHONE}\nPatient: {PT_FULL}   DOB {DATE_MDY}\nReason for call: fever to 101.4 since yesterday, cough. "
         "Advised urgent care at {HOSPITAL}. Caller verbalized understanding.\n{DR2_FIRST} {DR2_LAST}, "
         "RN\nRouted to Dr. {DR_LAST}\n"),
        ("telephone", "tc from pt's son {REL_FIRST} re: refill of lisinopril 10 mg. pt {PT_FIRST} {PT_LAST} out of meds x2 "
         "days. refill sent. called back at {PHONE}, lvm. - {DR2_FIRST}\n"),
        ("telephone", "Pt called stating she was seen at {HOSPITAL} in {CITY} on {DATE_MONTHD} for dizziness. Spoke with "
         "Dr. {DR_LAST}, who recommends holding amlodipine. Message left for {PT_FIRST} on voicemail at "
         "{PHONE}. Outside records requested by fax, {FAX}. {DR2_FULL}, MA\n"),
        ("icu", "MICU NSG 0700-1900 {DATE_MDY2}\nNEURO: SEDATED ON FENTANYL 50 MCG/HR. RASS -1.\nCV: NSR 80S, MAP >65 "
         "ON NOREPI 0.04.\nRESP: AC 450/16/5/40%.\nGU: FOLEY DRAINING CLEAR YELLOW.\nSOCIAL: HUSBAND "
         "{REL_FULL_UP} VISITED, UPDATED BY DR {DR_LAST_UP}. HE CAN BE REACHED AT {PHONE}. PT IS {AGE90} YO, "
         "LIVES IN {CITY_UP}.\n"),
        ("icu", "{DATE_MDY} 2300 PT {PT_FIRST_UP} {PT_LAST_UP} AGITATED, PULLED AT ETT. ATIVAN 1 MG IV X1 PER "
         "{DR2_FIRST_UP} {DR2_LAST_UP} NP. SON {REL_FIRST_UP} CALLED 2330, WILL VISIT IN AM. TRANSFERRED FROM "
         "{HOSPITAL_UP} ON {DATE_MDY2}.\n"),
        ("icu", "CCU RN NOTE {DATE_DMONY} 04:00 - {PT_LAST_UP}, {PT_FIRST_UP} {AGE90}YO M S/P CABG. CT OUTPUT 40 "
         "ML/HR. K 3.6 REPLETED. DTR {REL_FIRST_UP} AT BEDSIDE OVERNIGHT. MRN {MRN}. -{DR2_FIRST_UP} RN\n"),
    ],
    # written in session 3 after tuning on dev4 as a second held-out check; it scored 0.9408 / 0.9276 on first contact,
    # was then used for tuning (renamed dev5)
    "dev5": [
        ("discharge", "ADMISSION DATE: {DATE_MDY}   DISCHARGE DATE: {DATE_MDY}\n\nHISTORY OF PRESENT ILLNESS: Ms. {PT_LAST} "
         "is a {AGE90} year old woman with a history of CHF and CKD stage 3 who presented to the {HOSPITAL} emergency "
         "department with dyspnea. Her son {REL_FULL} reports she has been more confused.\n\nDISCHARGE DISPOSITION: "
         "Home with services. Lives at {ADDRESS} in {CITY}, {STATE} {ZIP}.\n\nDISCHARGE MEDICATIONS:\n1. Furosemide "
         "20 mg PO daily\n2. Metoprolol succinate 25 mg PO daily\n\nFOLLOW UP: Dr. {DR_FIRST} {DR_LAST}, cardiology, "
         "on {DATE_LONG} at 10:30 AM. Phone {PHONE}.\n\n{DR2_FULL}, MD\nHospitalist Service\nD: {DATE_MDY2}  T: "
         "{DATE_MDY2}\n"),
        ("discharge", "{PT_FIRST} was admitted to our service on {DATE_MONTHD} with a COPD exacerbation and treated with "
         "steroids and azithromycin. A family meeting was held with {PT_FIRST}'s daughters, {REL_FIRST} and "
         "{REL2_FIRST}, and her goals were reviewed. She was discharged on {DATE_LONG} to {HOSPITAL}. Case manager "
         "{DR2_FIRST} {DR2_LAST} arranged transport. Before retiring she taught at {EMPLOYER}. Attending: "
         "{DR_FULL}.\n"),
        ("radiology", "EXAMINATION: CHEST, 2 VIEWS\nDATE: {DATE_MDY} 08:14\nHISTORY: {AGE90}F with cough. Ordered by "
         "{DR_LAST}, {DR_FIRST} MD.\nCOMPARISON: {DATE_MDY2}\nFINDINGS: The heart is mildly enlarged. Small left "
         "pleural effusion. No pneumothorax.\nIMPRESSION:\n1. Small left effusion.\n\nI have personally reviewed the "
         "images. {DR2_FULL}, M.D. Signed {DATE_LONG}, {HOSPITAL} Department of Radiology\nPatient: {PT_LAST_UP}, "
         "{PT_FIRST_UP}   MRN {MRN}   Acc {ACCESSION}\n"),
        ("radiology", "CT ABDOMEN/PELVIS W CONTRAST | {PT_FULL} | DOB {DATE_ISO} | Loc: ED\nReason: RLQ pain, "
         "{AGE_YOUNG} yo M.\nFindings: Dilated appendix measuring 11 mm with periappendiceal stranding. No abscess.\n"
         "Impression: Acute appendicitis.\nResults communicated to Dr. {DR_LAST} via secure chat at 14:05 on "
         "{DATE_MDY} by {DR2_FIRST} {DR2_LAST}, MD.\n"),
        ("telephone", "Telephone Call\n{DATE_WEEKDAY} 4:15 PM\nPatient's mother, {REL_FULL}, called regarding "
         "{PT_FIRST}'s fever of 102 since last night. No rash, drinking well. Per Dr. {DR_LAST}, ok to alternate "
         "acetaminophen and ibuprofen; return if worse. Callback number {PHONE}.\n{DR2_FIRST} {DR2_LAST} RN, Triage\n"),
        ("telephone", "Returned call to pt. Identity verified w/ name and DOB ({DATE_MDY}). Pt reports BP 168/94 at home. "
         "Reviewed with {DR_FULL}, NP. Increase amlodipine to 10 mg daily. Pt agrees. Pharmacy is the CVS in {CITY}. "
         "Wife {REL_FIRST} also on the line.\n-{DR2_FIRST}, LPN\n"),
        ("icu", "NEURO ICU NURSING {DATE_MDY2} 1900\nPT {PT_LAST_UP} IS A {AGE90} Y/O MALE ADMITTED WITH SAH. EVD AT 10 "
         "CMH2O, DRAINING. NIMODIPINE Q4H. WIFE {REL_FIRST_UP} AND DAUGHTER {REL2_FIRST_UP} VISITED, QUESTIONS "
         "ANSWERED BY DR. {DR_LAST_UP}. CONTACT # {PHONE}. CODE STATUS: FULL. HOME: {CITY_UP}, {STATE}.\n"),
        ("icu", "SICU NOTE: {PT_FIRST_UP} {PT_LAST_UP} {AGE90}M POD 2 EX LAP. NGT TO LIWS. ABX CONT. FAMILY (SISTER "
         "{REL_FULL_UP}) CALLED FROM {CITY_UP}, UPDATED. ENDORSED TO {DR2_FIRST_UP} RN AT 1900.\n"),
    ],
    # written in session 3 after tuning on dev5 as a third held-out check; it scored 0.9599 / 0.9863 on first
    # contact, was then used for tuning (renamed dev6)
    "dev6": [
        ("discharge", "Discharge Summary\nPt: {PT_LAST}, {PT_FIRST} {PT_MI}.   MR#: {MRN}\nAdmit: {DATE_MDY}   D/C: "
         "{DATE_MDY}\nPCP: {DR_FULL}\n\nReason for admission: syncope.\nHospital course: {AGE90}-year-old retired "
         "farmer admitted after a syncopal episode at church. Telemetry showed a 6-second pause; pacemaker placed "
         "{DATE_MONTHD} by Dr {DR2_LAST} (EP). Device serial {SERIAL}.\nSocial: widower, lives with granddaughter "
         "{REL_FIRST} {REL_LAST} outside {CITY}. Former employee of {EMPLOYER}.\nDischarge instructions reviewed "
         "with patient and granddaughter. Next appointment: device clinic {DATE_WEEKDAY}.\n"),
        ("discharge", "Mrs. {PT_FIRST} {PT_LAST} was seen in consultation at the request of {DR_FULL} for a "
         "non-healing foot ulcer. After debridement and a course of cefazolin she improved. She was discharged "
         "home on {DATE_LONG} with her nephew, {REL_FULL}, who will stay with her for two weeks. Wound care by "
         "{EMPLOYER}. Questions to {DR2_FULL} at {PHONE}.\n"),
        ("radiology", "MAMMOGRAM SCREENING BILATERAL\nName: {PT_FULL}\nDate of Birth: {DATE_LONG}\nExam Date: "
         "{DATE_MDY}\nBI-RADS 1: Negative. Routine annual screening recommended.\nReport electronically signed by "
         "{DR_FULL}, MD on {DATE_MDY} at 9:42 AM.\nA letter with these results has been mailed to the patient at "
         "{ADDRESS}, {CITY}, {STATE} {ZIP}.\n"),
        ("radiology", "PROCEDURE: CT HEAD WO CONTRAST\nPATIENT: {PT_FULL_UP}   MRN: {MRN}   ACCT: {ACCT}\nORDERING: "
         "{DR_LAST_UP}, {DR_FIRST_UP}\nFINDINGS: NO ACUTE INTRACRANIAL HEMORRHAGE. CHRONIC MICROVASCULAR CHANGES.\n"
         "DISCUSSED WITH {DR2_FULL_UP} IN THE ED AT 0215 ON {DATE_MDY}.\n"),
        ("telephone", "Incoming call from {REL_FULL}, husband of patient, at {PHONE}. He states {PT_FIRST} fell this "
         "morning getting out of bed, no head strike, now with right wrist pain and swelling. Advised to bring her "
         "to the {HOSPITAL} walk-in today for x-ray. Note routed to {DR_FULL}.\n{DR2_FIRST} {DR2_LAST}, CMA\n"),
        ("telephone", "MyChart message from pt {PT_FIRST} {PT_LAST}: asking if she can take ibuprofen with her "
         "warfarin. Replied: no, use acetaminophen up to 3 g/day. Copy to Dr {DR_LAST}'s inbox. {DR2_FIRST} (RN) "
         "{DATE_MDY}\n"),
        ("telephone", "called pt back at {PHONE}, no answer. spoke with pt's son {REL_FULL_LOWER} instead, who "
         "confirmed appt {DATE_MONTHD}. will retry tomorrow. -{DR2_FIRST}\n"),
        ("icu", "0400 ASSESSMENT: {PT_LAST_UP} RESTLESS, CIWA 12, ATIVAN 2 MG IV GIVEN. SON {REL_FULL_UP} AT BEDSIDE, "
         "ASKING FOR DR {DR_LAST_UP}. PT ORIENTED X1, BELIEVES SHE IS IN {CITY_UP}. AGE {AGE90}.\n"),
        ("icu", "MICU DAY 3 - {PT_FIRST_UP} {PT_LAST_UP} ({AGE90}F). VENT: PRVC 400/14/8/35%. FAMILY MTG WITH "
         "HUSBAND + NIECE {REL_FIRST_UP} AT 1400 W/ DR {DR_LAST_UP} AND SW {DR2_FIRST_UP}. FULL CODE. TRANSFER FROM "
         "{HOSPITAL_UP} {DATE_MDY2}.\n"),
        ("consult", "Dear {DR_FIRST},\n\nThank you for sending {PT_FIRST} {PT_LAST} to see me on {DATE_LONG}. He is "
         "an {AGE90}-year-old gentleman from {CITY} with longstanding atrial fibrillation on apixaban. Echo shows "
         "preserved function. I agree with rate control. His daughter {REL_FIRST} asked about stopping "
         "anticoagulation; we discussed risks.\n\nBest,\n{DR2_FIRST}\n{DR2_FULL}, MD, Cardiology\n"),
    ],
    # written in session 3 after all tuning (dev6), and never tuned on: the held-out check reported
    "heldout4": [
        ("discharge", "PATIENT: {PT_FULL}\nMEDICAL RECORD NUMBER: {MRN}\nADMITTED: {DATE_LONG}\nDISCHARGED: {DATE_LONG}\n"
         "DISCHARGE DIAGNOSES: 1. Community-acquired pneumonia. 2. Type 2 diabetes.\nCONDITION: Good.\nThe patient "
         "is a {AGE90} y.o. female who was brought in by her grandson {REL_FULL} for fever and cough. Chest film "
         "showed RLL consolidation. She received ceftriaxone and azithromycin and was switched to oral cefpodoxime. "
         "She will go home to {ADDRESS} and follow up with her PCP, {DR_FULL}, at {HOSPITAL} within 1 week.\n"
         "Dictated by {DR2_FULL}, MD. Transcribed {DATE_MDY2}.\n"),
        ("discharge", "Brief discharge note - {PT_FIRST} {PT_LAST}, {AGE90}M, was admitted {DATE_MDY} for GI bleed. "
         "EGD by Dr. {DR_LAST} showed a duodenal ulcer, clipped. Hgb stable x48h. Pantoprazole 40 mg BID x8 weeks. "
         "H. pylori serology pending. His partner {REL_FIRST} will drive him home to {CITY}. Work note given for "
         "{EMPLOYER}.\n"),
        ("radiology", "Exam: US Carotid Duplex Bilateral\nPatient Name: {PT_LAST}, {PT_FIRST}\nAccession #: "
         "{ACCESSION}\nDate: {DATE_DMONY}\nOrdering Physician: {DR_FULL}\nIndication: TIA.\nFindings: 50-69% "
         "stenosis of the right ICA. Left ICA less than 50%.\nImpression: Moderate right ICA stenosis.\nInterpreting "
         "physician: {DR2_FULL}, MD, RPVI\n"),
        ("radiology", "MRI LUMBAR SPINE WITHOUT CONTRAST ({DATE_MDY})\nCLINICAL INFORMATION: {AGE_YOUNG}-year-old with "
         "low back pain radiating to the right leg.\nFINDINGS: L4-5 broad-based disc bulge with moderate foraminal "
         "narrowing. Conus ends at L1.\nIMPRESSION: L4-5 degenerative disc disease.\nThis report was faxed to "
         "{HOSPITAL} at {FAX} at the request of {REL_FULL}, the patient's wife.\n"),
        ("telephone", "Phone encounter, {DATE_MDY}. Returning call from pt's daughter {REL_FIRST} regarding her "
         "mother's new rash after starting Bactrim. Pt is {PT_FIRST} {PT_LAST}, DOB {DATE_MDY}. Advised to stop "
         "Bactrim and come in today. Appt made with {DR_FULL} at 3:40 PM. Daughter can be reached at {PHONE} or "
         "{EMAIL}.\n"),
        ("telephone", "Nurse triage call. Caller is patient ({PT_FULL}). C/o dysuria x3 days, no fever. Protocol: UTI "
         "adult female. Disposition: see within 24 hours. Scheduled with {DR2_FULL}, PA-C tomorrow. Pharmacy "
         "preference: Walgreens, {CITY}. Call handled by {DR_FIRST}.\n"),
        ("icu", "ICU FLOWSHEET NOTE {DATE_MDY2} 2200: PT {PT_FIRST_UP} {PT_LAST_UP} ON CRRT, UF GOAL NET -1L. HEPARIN "
         "GTT PER PROTOCOL. DAUGHTER {REL_FIRST_UP} CALLED FROM {CITY_UP}, UPDATED ON PLAN. DR {DR_LAST_UP} AWARE OF "
         "K 5.6. AGE {AGE90}.\n"),
        ("icu", "TRAUMA ICU 0200: {PT_LAST_UP}, {PT_FIRST_UP} MRN {MRN}. MVC, {AGE90} YO. CHEST TUBE R, 20 CM SXN, NO "
         "AIR LEAK. WIFE {REL_FULL_UP} AND PASTOR AT BEDSIDE. PLATE # {PLATE} PER POLICE REPORT.\n"),
        ("consult", "Re: {PT_FULL}, DOB {DATE_MDY}\n\nDear Dr. {DR_LAST},\n\nI had the pleasure of seeing {PT_FIRST} "
         "in our memory clinic on {DATE_LONG}, accompanied by her husband, {REL_FIRST}. MoCA 19/30. I suspect "
         "Alzheimer's disease. I started donepezil 5 mg nightly.\n\nKind regards,\n\n{DR2_FULL}, MD\nBehavioral "
         "Neurology, {HOSPITAL}\n"),
        ("ed", "ED Triage {DATE_MDY} 19:22\n{AGE_YOUNG} yo F arrives via private vehicle from {EMPLOYER} where she "
         "cut her hand on a meat slicer. Accompanied by coworker {REL_FULL}. Tetanus last {DATE_MONTHYEAR}. "
         "Triage RN: {DR2_FIRST} {DR2_LAST}\n"),
    ],
    "heldout": [
        ("discharge", "Hospital Course Summary\n\nName: {PT_LAST}, {PT_FIRST}\nMedical Record #: {MRN}\nAdmitted: "
         "{DATE_LONG}  Discharged: {DATE_LONG}\nPrimary care: {DR_FULL}, M.D.\n\n{PT_FIRST} {PT_LAST} is a pleasant "
         "{AGE90} y/o woman who presented from her home at {ADDRESS}, {CITY}, {STATE} {ZIP} after a fall. She was "
         "found by her neighbor {REL_FULL}. CT head negative. Started apixaban 5 mg twice daily for new atrial "
         "fibrillation. Glasgow Coma Scale 15 on arrival. Parkinson's disease is stable on carbidopa-levodopa.\n"
         "Disposition: {HOSPITAL} for rehabilitation. Insurance member ID {MEMBER}.\nDictated by: {DR_FULL} on "
         "{DATE_MDY}\n"),
        ("radiology", "EXAM: MRI BRAIN W/WO CONTRAST\nACC#: {ACCESSION}    DATE OF SERVICE: {DATE_DMONY}\nPATIENT: "
         "{PT_LAST_UP}, {PT_FIRST_UP}  (MRN {MRN})\nREFERRING: {DR_FULL}\nCLINICAL HISTORY: {AGE90} year old with "
         "headaches.\nCOMPARISON: CT {DATE_MDY2}.\nFINDINGS: No acute infarct. Mild chronic small vessel disease. "
         "Foley catheter not applicable.\nIMPRESSION: No acute intracranial abnormality.\nRead by {DR_FULL} at "
         "{HOSPITAL}, workstation {IP}.\n"),
        ("telephone", "Phone note - {DATE_WEEKDAY}\nCaller: {REL_FULL} (son), cb # {PHONE} ext. {EXT}\nRe: {PT_FULL}, "
         "DOB {DATE_MDY}\nReports father more confused since the {DATE_ORDINAL}. Taking donepezil 10 mg nightly. "
         "Advised ED evaluation. Fax records to {FAX}. Portal message sent via {URL}.\nTaken by {DR_FIRST} "
         "{DR_LAST}, RN\n"),
        ("icu", "{DATE_COMPACT} 0300 RN NOTE. {PT_LAST_UP} {PT_FIRST_UP} {AGE90}F INTUBATED, PROPOFOL 20 MCG/KG/MIN. "
         "MAP 62, LEVOPHED 0.05. UOP 15 ML/HR. DAUGHTER {REL_FIRST_UP} {PT_LAST_UP} UPDATED BY PHONE {PHONE}. "
         "GCS 7T. RASS -2. PLAN PER DR {DR_LAST_UP}.\n"),
        ("pathology", "SURGICAL PATHOLOGY REPORT\nCase: {ACCESSION}\nPatient Name: {PT_FULL}  Sex: F  Age: {AGE90}\n"
         "Collected: {DATE_MONTHYEAR}   Received: {DATE_ISO}\nSubmitting physician: Dr. {DR_LAST}\nDIAGNOSIS: "
         "Breast, left, core biopsy: invasive ductal carcinoma, Nottingham grade 2. Hodgkin lymphoma not identified.\n"
         "Signed out by {DR_FULL}, MD, {HOSPITAL} Department of Pathology, phone {PHONE}.\n"),
        ("consult", "Dear Dr. {DR_LAST},\n\nThank you for referring {PT_FULL} (SSN {SSN}), a {AGE_YOUNG}-year-old "
         "welder at {EMPLOYER}, whom I saw in clinic on {DATE_LONG}. He reports low back pain radiating to the left "
         "leg, pain 7/10. Straight leg raise positive. MRI shows L4-L5 disc protrusion. Bell's palsy in 2019 resolved."
         " Plan: gabapentin 300 mg three times daily, physical therapy. Driver's license {LICENSE} noted for the "
         "DMV form. Pacemaker serial {SERIAL}.\n\nSincerely,\n{DR_FULL}, DO\n{HOSPITAL}\n"),
        ("ed", "ED PROVIDER NOTE {DATE_MDY}\nChief complaint: chest pain. {PT_FIRST} is a {AGE_YOUNG} yo M brought by EMS "
         "from {CITY}. Wife {REL_FIRST} at bedside. Troponin negative x2. Aspirin 325 mg given. Discharged home; "
         "follow up with {DR_FULL} in 1 week. Encounter #{ENCOUNTER}. Vehicle plate {PLATE} recorded by security.\n"),
    ],
    # session 4: vocabulary from a third party (presidio-evaluator's FakeNameGenerator people, 744 of
    # 3000 with diacritics, and their US addresses and employers); dev7 may be inspected, heldout5 never
    "dev7": [
        ("discharge", "Discharge Summary\nName: {PT_LAST}, {PT_FIRST} {PT_MI}.   MRN {MRN}   Acct {ACCT}\nAdmitted "
         "{DATE_MDY} | Discharged {DATE_MDY}\nAttending physician: {DR_FULL}, MD\nPCP: Dr. {DR2_LAST}\n\nBrief "
         "hospital course: {PT_FIRST} {PT_LAST} is a {AGE90} y/o woman admitted from home ({ADDRESS}, {CITY}, {STATE} "
         "{ZIP}) with a COPD exacerbation, treated with prednisone 40 mg daily and azithromycin. Her son {REL_FULL} "
         "({PHONE}) will stay with her.\nDisposition: home with services. Follow up with {DR2_FULL} on {DATE_LONG}.\n"),
        ("radiology", "CT ABDOMEN/PELVIS WITH CONTRAST\nPt: {PT_FULL}   DOB {DATE_MDY}   MRN {MRN}\nOrdering: "
         "{DR_FULL}\nHistory: RLQ pain.\nTechnique: axial images after 100 mL Omnipaque 350.\nFindings: Appendix "
         "dilated to 11 mm with periappendiceal fat stranding. No free air.\nImpression: Acute appendicitis. Findings "
         "called to Dr. {DR_LAST} by {DR2_FIRST} {DR2_LAST} on {DATE_LONG} at 14:20.\nDictated at {HOSPITAL}.\n"),
        ("telephone", "TELEPHONE ENCOUNTER\nDate: {DATE_ISO}\nCall from {REL_FULL}, patient's wife, phone {PHONE}. "
         "States {PT_FIRST} has had fevers to 101.2 since {DATE_WEEKDAY}. He works as a {JOB} at {EMPLOYER} and was "
         "seen at {HOSPITAL} urgent care. Pt email {EMAIL}. Advised ED evaluation tonight.\n-{DR_FIRST} {DR_LAST}, "
         "RN\n"),
        ("icu", "MICU NSG {DATE_MDY2} 0400: {PT_FULL_UP} REMAINS ON BIPAP 14/8. {AGE90} YO. SON {REL_FULL_UP} CALLED, "
         "UPDATED. DR {DR_LAST_UP} AWARE OF K 3.1, REPLETED. PT FROM {CITY_UP}. PLAN PER {DR2_FULL_UP}.\n"),
    ],
    "heldout5": [
        ("discharge", "HOSPITAL DISCHARGE SUMMARY\n\nPatient name: {PT_FULL}\nDate of birth: {DATE_LONG}\nMedical "
         "record #: {MRN}\nDate of admission: {DATE_MDY}\nDate of discharge: {DATE_MDY}\nDischarging physician: "
         "{DR_FULL}, MD\n\nHistory: {AGE_YOUNG}-year-old {JOB} employed by {EMPLOYER} presented with crushing "
         "substernal chest pain. Catheterization showed 90% LAD stenosis; a drug-eluting stent was placed. Started "
         "clopidogrel 75 mg daily and atorvastatin 80 mg nightly.\nSocial: lives with partner {REL_FULL} at {ADDRESS} "
         "in {CITY}, {STATE}.\nFollow-up: cardiology clinic with Dr. {DR2_LAST} at {HOSPITAL} in two weeks; call "
         "{PHONE}.\n"),
        ("radiology", "CHEST X-RAY, PORTABLE AP\nExam date: {DATE_DMONY}   Accession {ACCESSION}\nName: {PT_LAST_UP}, "
         "{PT_FIRST_UP}    MRN: {MRN}\nIndication: {AGE90} yo with hypoxia.\nComparison: {DATE_MDY}.\nFindings: "
         "Endotracheal tube 4 cm above the carina. Right IJ line tip in the SVC. Bibasilar opacities, worse on the "
         "left.\nImpression: Left lower lobe pneumonia versus atelectasis.\nElectronically signed: {DR_FULL}, MD, "
         "{DATE_MDY} 07:42\n"),
        ("telephone", "Telephone Note\n{DATE_WEEKDAY}\n{PT_FIRST} {PT_LAST} called the nurse line from {PHONE} "
         "about her lisinopril refill. She is staying with her daughter {REL_FIRST} in {CITY} until {DATE_MONTHD}. "
         "Refill sent to the pharmacy on file and routed to Dr. {DR_LAST}. Call handled by {DR2_FULL}, LPN.\n"),
        ("icu", "SICU NURSING 0700-1900 {DATE_DMONY}\nPT: {PT_FULL_UP} ({AGE90}M)  MRN {MRN}\nNEURO: SEDATED ON "
         "FENTANYL 50 MCG/HR, RASS -1.\nCV: NSR 80S, MAP >65 OFF PRESSORS.\nRESP: VENT AC 450/16/5/40%.\nFAMILY: "
         "WIFE {REL_FIRST_UP} AND SON {REL2_FIRST_UP} {PT_LAST_UP} AT BEDSIDE, QUESTIONS ANSWERED. TEL {PHONE}.\nDR "
         "{DR_LAST_UP} AND NP {DR2_FIRST_UP} {DR2_LAST_UP} ROUNDED.\n"),
    ],
}

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip


class Note:
    def __init__(self, rng: random.Random, split: str):
        self.rng, self.split = rng, split
        n = NAMES[split]
        self.pt_first, self.pt_last = rng.choice(n["first"]), rng.choice(n["last"])
        self.dr_first, self.dr_last = rng.choice(n["first"]), rng.choice(n["last"])
        self.rel_first = rng.choice(n["first"])
        self.rel_last = rng.choice(n["last"])
        self.dr2_first = self.dr2_last = ""
        self.rel2_first = rng.choice(n["first"]) if split in ("dev4", "dev5", "dev6", "heldout4") + THIRD_PARTY else ""
        if split in ("dev2", "dev3", "dev4", "dev5", "dev6", "heldout4") + THIRD_PARTY:  # drawn only here, so dev and heldout regenerate byte for byte
            self.dr2_first, self.dr2_last = rng.choice(n["first"]), rng.choice(n["last"])
        self.base = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(0, 2500))

    def date(self) -> dt.date:
        return self.base + dt.timedelta(days=self.rng.randrange(-400, 30))

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def slot(self, name: str) -> tuple[str, str | None]:
        r, d = self.rng, self.date()
        table = {
            "PT_FULL": (f"{self.pt_first} {self.pt_last}", "PERSON"), "PT_FIRST": (self.pt_first, "PERSON"),
            "PT_LAST": (self.pt_last, "PERSON"), "PT_FULL_UP": (f"{self.pt_first} {self.pt_last}".upper(), "PERSON"),
            "PT_LAST_UP": (self.pt_last.upper(), "PERSON"), "PT_FIRST_UP": (self.pt_first.upper(), "PERSON"),
            "DR_FULL": (f"{self.dr_first} {self.dr_last}", "PERSON"), "DR_LAST": (self.dr_last, "PERSON"),
            "DR_FIRST": (self.dr_first, "PERSON"), "DR_LAST_UP": (self.dr_last.upper(), "PERSON"),
            "REL_FIRST": (self.rel_first, "PERSON"), "REL_FIRST_UP": (self.rel_first.upper(), "PERSON"),
            "REL_FULL": (f"{self.rel_first} {self.rel_last}", "PERSON"), "REL_LAST": (self.rel_last, "PERSON"),
            "DR2_FULL": (f"{self.dr2_first} {self.dr2_last}", "PERSON"), "DR2_FIRST": (self.dr2_first, "PERSON"),
            "DR2_LAST": (self.dr2_last, "PERSON"),
            "DATE_MDY": (f"{d.month}/{d.day}/{d.year}", "DATE"), "DATE_MDY2": (f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}", "DATE"),
            "DATE_ISO": (d.isoformat(), "DATE"), "DATE_COMPACT": (d.strftime("%Y%m%d"), "DATE"),
            "DATE_DMONY": (d.strftime("%d-%b-%Y") if r.random() < 0.5 else d.strftime("%d%b%Y").upper(), "DATE"),
            "DATE_MONTHD": (f"{_MONTHS[d.month - 1]} {d.day}{_ord(d.day)}", "DATE"),
            "DATE_LONG": (f"{_MONTHS[d.month - 1]} {d.day}, {d.year}", "DATE"),
            "DATE_WEEKDAY": (d.strftime("%A, %B ") + f"{d.day}, {d.year}", "DATE"),
            "DATE_ORDINAL": (f"{d.day}{_ord(d.day)} of {_MONTHS[d.month - 1]}", "DATE"),
            "DATE_MONTHYEAR": (f"{_MONTHS[d.month - 1]} {d.year}", "DATE"),
            "AGE90": (str(r.randrange(90, 104)), "AGE"), "AGE_YOUNG": (str(r.randrange(25, 80)), None),
            "MRN": (self.digits(r.choice([7, 8])), "MRN"), "ACCT": (self.digits(9), "ID"),
            "MEMBER": (f"{r.choice(['XKH', 'BCB', 'W'])}{self.digits(9)}", "ID"),
            "ACCESSION": (f"{r.choice(['S24', 'RAD', 'MR'])}-{self.digits(6)}", "ID"),
            "ENCOUNTER": (self.digits(10), "ID"), "LICENSE": (f"{r.choice('ABDKLMS')}{self.digits(7)}", "ID"),
            "SERIAL": (f"PJN{self.digits(6)}H", "ID"), "PLATE": (f"{r.choice(['7', '4'])}{r.choice('ABCXYZ')}{r.choice('KLM')}{self.digits(3)}", "ID"),
            "PHONE": (r.choice([f"({self.digits(3)}) 555-01{self.digits(2)}", f"{self.digits(3)}-555-01{self.digits(2)}",
                                f"{self.digits(3)}.555.01{self.digits(2)}"]), "PHONE"),
            "FAX": (f"{self.digits(3)}-555-01{self.digits(2)}", "PHONE"), "PAGER": (self.digits(4), "PHONE"),
            "EXT": (self.digits(4), "PHONE"),
            "EMAIL": (f"{self.pt_first.lower()}.{self.pt_last.lower().replace(chr(39), '')}{self.digits(2)}@mailbox.example", "EMAIL"),
            "URL": (f"https://portal.{self.rng.choice(['mercyridge', 'valleyhealth'])}.example/msg/{self.digits(6)}", "URL"),
            "IP": (f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}", "IP_ADDRESS"),
            "SSN": (f"{self.digits(3)}-{self.digits(2)}-{self.digits(4)}", "SSN"),
            "ADDRESS": (f"{r.randrange(2, 9999)} {r.choice(STREETS[self.split])}", "ADDRESS"),
            "CITY": (self._city()[0], "LOCATION"), "STATE": (self._city()[1], None), "ZIP": (self.digits(5), "ZIP"),
            "HOSPITAL": (r.choice(HOSPITALS[self.split]), "ORGANIZATION"),
            "EMPLOYER": (r.choice(EMPLOYERS[self.split]), "ORGANIZATION"),
        }  # fmt: skip
        if name in table:
            return table[name]
        # slots added in session 3; drawn only when asked for, so older splits regenerate byte for byte
        extra = {
            "REL2_FIRST": (self.rel2_first, "PERSON"), "REL_FULL_UP": (f"{self.rel_first} {self.rel_last}".upper(), "PERSON"),
            "DR_FIRST_UP": (self.dr_first.upper(), "PERSON"), "DR2_FIRST_UP": (self.dr2_first.upper(), "PERSON"),
            "DR2_LAST_UP": (self.dr2_last.upper(), "PERSON"), "CITY_UP": (self._city()[0].upper(), "LOCATION"),
            "STREET": (r.choice(STREETS[self.split]), "ADDRESS"),
            "REL2_FIRST_UP": (self.rel2_first.upper(), "PERSON"),
            "HOSPITAL_UP": (r.choice(HOSPITALS[self.split]).upper(), "ORGANIZATION"),
        }  # fmt: skip
        if name in extra:
            return extra[name]
        later = {  # slots added for dev6 (drawn lazily, so dev4 and dev5 regenerate byte for byte)
            "PT_MI": lambda: (r.choice("ABCDEFGHJKLMNPRSTW"), "PERSON"),
            "DR2_FULL_UP": lambda: (f"{self.dr2_first} {self.dr2_last}".upper(), "PERSON"),
            "REL_FULL_LOWER": lambda: (f"{self.rel_first} {self.rel_last}".lower(), "PERSON"),
            "JOB": lambda: (r.choice(JOBS[self.split]), None),
        }
        return later[name]()

    def _city(self) -> tuple[str, str]:
        if not hasattr(self, "_c"):
            self._c = self.rng.choice(CITIES[self.split])
        return self._c


THIRD_PARTY = ("dev7", "heldout5")
JOBS: dict[str, list[str]] = {}


def load_third_party(split: str) -> None:
    """Fill the slot tables of a THIRD_PARTY split from presidio-evaluator's FakeNameGenerator file
    (read as data; the package is never imported): people with an odd row number go to dev7, even to
    heldout5, so the two share no person, street, city or employer."""
    import csv
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("presidio_evaluator")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("presidio-evaluator is not installed (it is in the dev extra and the lock)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data_generator" / "raw_data" / "FakeNameGenerator.com_3000.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["Number"]) % 2 == (split == "dev7")]
    us = [r for r in rows if r["Country"] == "US"]
    NAMES[split] = {"first": sorted({r["GivenName"] for r in rows}), "last": sorted({r["Surname"] for r in rows})}
    STREETS[split] = sorted({r["StreetAddress"].split(" ", 1)[1] for r in us if r["StreetAddress"][:1].isdigit()})
    CITIES[split] = sorted({(r["City"], r["State"]) for r in us})
    EMPLOYERS[split] = sorted({r["Company"] for r in rows})
    JOBS[split] = sorted({r["Occupation"] for r in rows})
    HOSPITALS[split] = sorted({f"{r['Surname']} Memorial Hospital" for r in us[:12]}
                              | {f"{r['City']} Regional Medical Center" for r in us[12:24]}
                              | {f"{r['City']} Family Clinic" for r in us[24:36]})  # fmt: skip


def _ord(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def make_note(rng: random.Random, split: str, index: int) -> dict:
    style, template = TEMPLATES[split][index % len(TEMPLATES[split])]
    note = Note(rng, split)
    text, phi, pos = "", [], 0
    for m in re.finditer(r"\{([A-Z0-9_]+)\}", template):
        text += template[pos : m.start()]
        value, kind = note.slot(m.group(1))
        if kind:
            phi.append({"start": len(text), "end": len(text) + len(value), "type": kind, "text": value})
        text += value
        pos = m.end()
    text += template[pos:]
    return {"id": f"{split}-{style}-{index:04d}", "text": text, "phi": phi, "source": "chartsift synthetic",
            "meta": {"split": split, "style": style}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=sorted(TEMPLATES), required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.split in THIRD_PARTY:
        load_third_party(args.split)
    rng = random.Random(f"{args.split}-{args.seed}")
    with open(args.out, "w") as f:
        for i in range(args.n):
            f.write(json.dumps(make_note(rng, args.split, i)) + "\n")


if __name__ == "__main__":
    main()
