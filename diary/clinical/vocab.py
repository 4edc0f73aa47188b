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
