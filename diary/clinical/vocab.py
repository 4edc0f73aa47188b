"""The coded words the diary uses, with the plain words shown to people.

Codes are lower-case snake_case: they are what the database stores and what
the CSV export writes, so they must never change once released.
"""

SIDES = {"left": "Left", "right": "Right", "both": "Both"}

CONDITIONS = {
    "crps": "CRPS",
    "pad_clti": "PAD / critical limb ischaemia",
    "neuropathic": "Neuropathic leg pain",
    "other": "Other",
}

TEMP_UNITS = {"C": "°C", "F": "°F"}


COLOURS = {
    "same": "Same as the other foot",
    "red_flushed": "Red / flushed",
    "pale_white": "Pale / white",
    "blue_purple": "Blue / purple / dusky",
    "mottled": "Mottled / blotchy",
    "other": "Other",
}

FEELS = {"warmer": "Warmer", "same": "The same", "colder": "Colder"}

SWELLING = {"none": "None", "mild": "Mild", "marked": "Marked"}

SWEATING = {"more": "More", "same": "The same", "less": "Less"}

SIDE_EFFECTS = {
    "back_soreness": "Back soreness",
    "bruising": "Bruising",
    "light_headed": "Light-headedness",
    "leg_numbness": "Leg numbness",
    "leg_weakness": "Leg weakness",
    "groin_thigh_burning": "Burning in groin or thigh",
    "other": "Other",
}

# Numbness or weakness of the leg suggests the anaesthetic reached somatic nerves.
SOMATIC_SIDE_EFFECTS = frozenset({"leg_numbness", "leg_weakness"})

BLOCK_KINDS = {
    "diagnostic_la": "Diagnostic local anaesthetic",
    "therapeutic_la": "Therapeutic local anaesthetic (± steroid)",
    "neurolysis": "Chemical neurolysis (phenol / alcohol)",
    "radiofrequency": "Radiofrequency",
}

LOCAL_ANAESTHETIC_KINDS = frozenset({"diagnostic_la", "therapeutic_la"})

# Minutes after the block at which clinic foot temperatures may be taken (0 = before).
CLINIC_TEMP_MINUTES = (0, 5, 10, 15, 20, 30)

VERDICTS = ("positive", "partial", "negative", "uninterpretable")

TECHNICAL_SUCCESS = ("confirmed", "equivocal", "not_confirmed", "overridden", "unknown")

# §8: allodynia, on every entry (optional). Ordered mildest first.
TOUCH_PAIN = {"none": "None", "mild": "Mild", "marked": "Marked"}

# §7: wound or ulcer on the treated foot, after neurolysis / RF for limb ischaemia.
WOUND = {
    "none": "No wound",
    "healing": "Healing",
    "unchanged": "Unchanged",
    "worse": "Worse",
    "new": "A new wound",
}
# A wound answer the vascular team must hear about at once (§7 flags).
URGENT_WOUNDS = frozenset({"worse", "new"})

# §8: Patient Global Impression of Change, best first; PGIC_SCORE: +3 very much better .. -3.
PGIC = {
    "very_much_better": "Very much better",
    "much_better": "Much better",
    "a_little_better": "A little better",
    "no_change": "No change",
    "a_little_worse": "A little worse",
    "much_worse": "Much worse",
    "very_much_worse": "Very much worse",
}
PGIC_SCORE = {code: 3 - i for i, code in enumerate(PGIC)}

# The blocks followed up as a treatment for limb ischaemia (§7), not judged as a test.
NEUROLYTIC_KINDS = frozenset({"neurolysis", "radiofrequency"})

# §7: Fontaine stage of peripheral arterial disease, recorded by the clinic at a visit.
FONTAINE = {
    "i": "I — no symptoms",
    "iia": "IIa — claudication after more than 200 m",
    "iib": "IIb — claudication before 200 m",
    "iii": "III — rest pain",
    "iv": "IV — ulcer or gangrene",
}
FONTAINE_RANK = {code: i for i, code in enumerate(FONTAINE)}

# The block kinds in the patient's words (their history, their first-run screen): the clinic's
# names above are for the clinic and the exports. Every kind has its words here.
PATIENT_BLOCK_KINDS = {code: {
    "diagnostic_la": "A test injection of numbing medicine",
    "therapeutic_la": "A numbing injection (with or without a steroid)",
    "neurolysis": "A longer-lasting injection that quietens the nerves (phenol or alcohol)",
    "radiofrequency": "A heat treatment that quietens the nerves (radiofrequency)",
}[code] for code in BLOCK_KINDS}

# The consultant's plan after a block (the decision recorded per block).
DECISION_PLANS = {
    "repeat": "Repeat the block",
    "refer_neurolysis_rf": "Refer for neurolysis or radiofrequency",
    "other_treatment": "Other treatment",
    "discharge": "Discharge",
}
