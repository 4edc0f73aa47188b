"""Who is in the demo clinic and what their diaries do (diary/services/demo.py writes them).

Each patient shows one thing a newcomer should be able to find on the list and the patient
page (docs/clinical.md §3.13, §7):

- Margaret (CRPS, °C, London): two blocks that relieve well and wane, the second wearing off
  about nine days ago: positive, repeat due. Touch pain eases after each block; PGIC a week on.
- Dennis (PAD/CLTI, °F, New York): a negative test block, then a phenol neurolysis 120 days
  ago whose relief builds over three weeks; weekly rest-pain and wound answers (the wound worse
  in the last fortnight: the urgent flag), groin burning in weeks 2-3, PGIC on days 7, 28, 30
  and 90, three clinic visits (Fontaine IV, III, III).
- Aisha (CRPS, °C, London): two blocks that each take the pain down by about 40 %: partial.
- Tomasz (neuropathic pain, °C, Warsaw): three blocks that warm the foot but barely touch the
  pain: negative, and no positive in three, so the series wants a review.
- Grace (CRPS, °F, Chicago): the last block numbed and weakened the leg (seen in clinic and
  noted in the diary): uninterpretable, possible somatic spread.
- Luc (CRPS, °C, Paris): a repeat block done two hours before the demo was made; a few
  readings so far, the window still open: pending.
- Eileen (CRPS, °C, Dublin): away the week before her last block, so its baseline is thin.
- Walter (other, both legs, °F, Los Angeles): no diary entries for twelve days: quiet.

Margaret's and Dennis's plans are as they were before the others joined, so their diaries
(drawn from generators seeded by their keys) have not changed.
"""

from dataclasses import dataclass

DEMO_NOTES = ("", "", "", "Slept badly.", "Walked to the shop.", "Foot felt warm after the block.")


@dataclass(frozen=True)
class BlockPlan:
    days_ago: int
    kind: str
    pain_before: float
    window_pains: tuple  # (minutes after, pain)
    relief_days: int     # days at the low level before pain climbs back
    low: float
    warm_rise: float
    agent: str
    ramp_days: int = 0   # days over which pain falls to `low` (a neurolysis works slowly)
    returns_to: float | None = None   # the pain it climbs back to (None: pain_before)
    climb_days: int = 5  # days the climb back takes
    pgic: tuple = ()     # (day after the block, vocab.PGIC code) answered that morning
    hours_ago: float | None = None    # done this long before now (instead of days_ago at 10:00)
    somatic_spread: bool = False      # seen in clinic
    window_effects: tuple = ()        # side effects the patient notes in the window
    nurse_readings: int = 0           # the first window readings, entered by the nurse
    level: str = "L2-L3"
    note: str = "DEMO block"


@dataclass(frozen=True)
class PatientPlan:
    key: str             # seeds the patient's generators
    name: str
    user_name: str       # the name on the patient's login
    record: str
    email: str
    side: str
    condition: str
    unit: str
    tz: str
    diary_days: int      # days of diary before today
    blocks: tuple
    shows: str           # what a newcomer sees on this patient, printed by `diary demo`
    gaps: tuple = ()     # (from, to) days ago, inclusive: no entries (away, or gone quiet)
    said: tuple = ()     # (days ago, note) on that day's first entry
    notes: tuple = DEMO_NOTES   # what they jot in the notes now and then
    visits: tuple = ()   # (days ago, Fontaine stage, note)


PATIENTS = (
    PatientPlan(
        "margaret", "Margaret Hill", "Margaret (DEMO)", "DEMO-001", "patient@demo.example",
        "left", "crps", "C", "Europe/London", 42,
        (BlockPlan(35, "diagnostic_la", 7.2, ((15, 5), (30, 3), (60, 2), (120, 2), (180, 2),
                                              (240, 3), (300, 3), (360, 3)), 11, 2.6, 4.1,
                   "Bupivacaine 0.25 %", pgic=((7, "much_better"),)),
         BlockPlan(14, "therapeutic_la", 7.0, ((15, 4), (30, 3), (60, 2), (120, 2), (240, 2),
                                               (360, 3)), 4, 2.4, 3.6,
                   "Bupivacaine 0.25 % + triamcinolone 40 mg", pgic=((7, "a_little_better"),))),
        "positive blocks, repeat due"),
    PatientPlan(
        "dennis", "Dennis Okafor", "Dennis (DEMO)", "DEMO-002", "patient2@demo.example",
        "right", "pad_clti", "F", "America/New_York", 140,
        (BlockPlan(130, "diagnostic_la", 6.4, ((15, 6), (30, 6), (60, 5), (120, 5), (240, 6),
                                               (360, 6)), 0, 6.0, 2.6, "Lidocaine 1 %",
                   pgic=((7, "no_change"),)),
         # Phenol has no local anaesthetic: little changes in the window; relief builds later.
         BlockPlan(120, "neurolysis", 6.3, ((30, 6), (60, 6), (180, 5), (360, 5)), 104, 3.0,
                   2.2, "Phenol 6 %, 3 ml at L2 and L3", ramp_days=21, returns_to=4.6,
                   climb_days=10, pgic=((7, "much_better"), (28, "a_little_better"),
                                        (30, "much_better"), (90, "much_better")))),
        "neurolysis for limb ischaemia, months of follow-up, wound worse",
        visits=((125, "iv", "Rest pain at night and a 1 cm ulcer on the right hallux. The test "
                            "block warmed the foot: phenol neurolysis booked. DEMO"),
                (60, "iii", "Ulcer healing, rest pain much less; sleeps in bed again. DEMO"),
                (20, "iii", "Ulcer nearly closed. Walks to the end of the road. DEMO"))),
    PatientPlan(
        "aisha", "Aisha Rahman", "Aisha (DEMO)", "DEMO-003", "patient3@demo.example",
        "right", "crps", "C", "Europe/London", 44,
        (BlockPlan(33, "diagnostic_la", 7.1, ((15, 6), (30, 5), (60, 4), (120, 4), (180, 5),
                                              (240, 5), (360, 6)), 4, 4.7, 3.2,
                   "Levobupivacaine 0.25 %", pgic=((7, "a_little_better"),),
                   note="Pain eased a little; foot warm and pink. DEMO"),
         BlockPlan(11, "diagnostic_la", 7.0, ((15, 6), (30, 5), (60, 4), (120, 4), (240, 5),
                                              (360, 6)), 5, 4.6, 3.0, "Levobupivacaine 0.25 %",
                   pgic=((7, "a_little_better"),),
                   note="Second test block, same level: again only some relief. DEMO")),
        "partial blocks",
        notes=("", "", "", "Sock hurt all day.", "Night shift, foot throbbing.",
               "Better after a warm bath.")),
    PatientPlan(
        "tomasz", "Tomasz Nowak", "Tomasz (DEMO)", "DEMO-004", "patient4@demo.example",
        "left", "neuropathic", "C", "Europe/Warsaw", 58,
        (BlockPlan(50, "diagnostic_la", 6.6, ((15, 6), (30, 5), (60, 5), (120, 5), (240, 6),
                                              (360, 6)), 1, 5.6, 3.4, "Lidocaine 1 %",
                   note="Foot warmed well; pain much the same. DEMO"),
         BlockPlan(30, "diagnostic_la", 6.7, ((15, 6), (30, 6), (60, 5), (120, 5), (240, 6),
                                              (360, 6)), 0, 6.2, 2.9, "Bupivacaine 0.25 %",
                   pgic=((7, "no_change"),)),
         BlockPlan(9, "therapeutic_la", 6.8, ((15, 6), (30, 6), (60, 6), (120, 5), (240, 6),
                                              (360, 7)), 0, 6.5, 3.1,
                   "Bupivacaine 0.25 % + methylprednisolone 40 mg", pgic=((7, "no_change"),),
                   note="Third block; warm foot, no change in the pain. DEMO")),
        "negative blocks, series review",
        notes=("", "", "", "Burning worse at night.", "Back at work, long day standing.",
               "Tried the TENS machine.")),
    PatientPlan(
        "grace", "Grace Whitfield", "Grace (DEMO)", "DEMO-005", "patient5@demo.example",
        "left", "crps", "F", "America/Chicago", 46,
        (BlockPlan(36, "diagnostic_la", 7.4, ((15, 5), (30, 4), (60, 3), (120, 3), (240, 4),
                                              (360, 5)), 3, 3.5, 3.8, "Bupivacaine 0.25 %",
                   pgic=((7, "much_better"),)),
         BlockPlan(8, "diagnostic_la", 7.3, ((15, 3), (30, 2), (60, 2), (120, 2), (240, 3),
                                             (360, 4)), 2, 4.8, 4.4, "Bupivacaine 0.5 %",
                   somatic_spread=True, window_effects=("leg_numbness", "leg_weakness"),
                   pgic=((7, "a_little_better"),),
                   note="Leg numb and heavy 10 minutes after the injection (somatic spread); "
                        "settled by the evening. DEMO")),
        "uninterpretable: possible somatic spread",
        said=((8, "Couldn't lift my foot properly after the injection."),),
        notes=("", "", "", "Grandkids over, on my feet all day.", "Rained, foot ached.",
               "Skipped my evening walk.")),
    PatientPlan(
        "luc", "Luc Moreau", "Luc (DEMO)", "DEMO-006", "patient6@demo.example",
        "right", "crps", "C", "Europe/Paris", 43,
        (BlockPlan(30, "diagnostic_la", 7.0, ((15, 4), (30, 3), (60, 2), (120, 2), (240, 3),
                                              (360, 3)), 6, 2.8, 3.9, "Bupivacaine 0.25 %",
                   pgic=((7, "much_better"),)),
         # Done two hours before the demo: the window is open, readings so far.
         BlockPlan(0, "therapeutic_la", 7.2, ((15, 5), (30, 4), (60, 3), (90, 3), (120, 2)),
                   6, 2.6, 3.7, "Bupivacaine 0.25 % + triamcinolone 40 mg", hours_ago=2,
                   nurse_readings=2,
                   note="Repeat after a positive first block. First readings taken in "
                        "recovery by the nurse. DEMO")),
        "block two hours ago, window open",
        notes=("", "", "", "Cycled to the market, regretted it.", "Good day.",
               "Foot cold again in the evening.")),
    PatientPlan(
        "eileen", "Eileen Murphy", "Eileen (DEMO)", "DEMO-007", "patient7@demo.example",
        "left", "crps", "C", "Europe/Dublin", 45,
        (BlockPlan(36, "diagnostic_la", 6.9, ((15, 5), (30, 4), (60, 3), (120, 3), (240, 3),
                                              (360, 4)), 5, 3.2, 3.5, "Lidocaine 1 %",
                   pgic=((7, "much_better"),)),
         BlockPlan(6, "therapeutic_la", 7.0, ((15, 4), (30, 3), (60, 3), (120, 3), (240, 3),
                                              (360, 4)), 4, 3.4, 3.3,
                   "Lidocaine 1 % + dexamethasone 4 mg",
                   note="Diary thin the week before: she was away. DEMO")),
        "thin baseline before the last block",
        gaps=((13, 8),),
        said=((7, "Back from my sister's in Galway, forgot the diary while away."),),
        notes=("", "", "", "Walked the dog.", "Foot blotchy this morning.",
               "Slept well for once.")),
    PatientPlan(
        "walter", "Walter Jenkins", "Walter (DEMO)", "DEMO-008", "patient8@demo.example",
        "both", "other", "F", "America/Los_Angeles", 60,
        (BlockPlan(45, "diagnostic_la", 6.2, ((15, 4), (30, 3), (60, 3), (120, 3), (240, 3),
                                              (360, 4)), 5, 3.0, 3.0, "Lidocaine 1 %",
                   level="L3", pgic=((7, "much_better"),)),
         BlockPlan(24, "therapeutic_la", 6.4, ((15, 4), (30, 3), (60, 3), (120, 3), (240, 4),
                                               (360, 4)), 6, 3.1, 2.8,
                   "Bupivacaine 0.25 % + triamcinolone 40 mg", level="L3",
                   pgic=((7, "a_little_better"),),
                   note="Both sides at L3, one after the other. DEMO")),
        "diary quiet for twelve days",
        gaps=((12, 0),),
        said=((13, "Off to my daughter's in Phoenix for a couple of weeks."),),
        notes=("", "", "", "Golf, nine holes.", "Legs heavy after the drive.",
               "Feet cold in bed.")),
)
