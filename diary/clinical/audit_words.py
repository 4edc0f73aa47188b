"""The audit trail in words: what each recorded action code means, and which field each name
in an event's before/after is (docs/security.md, *Audit*). Plain Python.

The codes are stored in `audit_event.action` and never renamed; a code missing here still
shows (as itself) rather than vanish, and tests/unit/test_audit_words.py fails until it has
words. An event keeps keyed digests of old and new values, never the values, so a change is
said as which fields changed, not from what to what.
"""

from diary.clinical.settings import SETTING_LIMITS

# What was exported or imported (diary/data/exports.py WHATS, and "fhir").
EXPORT_WHATS = {
    "entries": "diary entries (CSV)",
    "blocks": "blocks (CSV)",
    "block-summary": "block summaries (CSV)",
    "fhir": "FHIR records",
}
IMPORT_KINDS = {"entries": "diary entries (CSV)", "blocks": "blocks (CSV)"}
# The rows changed through diary/services/changes.py (`<kind>.update`, `<kind>.delete`).
ROW_KINDS = {"entry": "a diary entry", "block": "a block", "visit": "a clinic visit"}


def _exports() -> dict[str, str]:
    words = {}
    for what, thing in EXPORT_WHATS.items():
        words[f"export.{what}"] = f"Exported {thing}"
        words[f"export.{what}.failed"] = f"Export of {thing} failed or was cut short"
        words[f"export.clinic.{what}"] = f"Exported the clinic's {thing}"
        words[f"export.clinic.{what}.failed"] = (f"Export of the clinic's {thing} failed or "
                                                 "was cut short")
    for kind, thing in IMPORT_KINDS.items():
        words[f"import.{kind}"] = f"Imported {thing}"
    return words


def _rows() -> dict[str, str]:
    words = {"entry.create": "Added a diary entry", "block.create": "Recorded a block",
             "visit.create": "Recorded a clinic visit"}
    for kind, thing in ROW_KINDS.items():
        words[f"{kind}.update"] = f"Changed {thing}"
        words[f"{kind}.delete"] = f"Deleted {thing}"
    return words


# Every action, in groups for the page's filter (a heading, then code -> words).
GROUPS: dict[str, dict[str, str]] = {
    "Signing in": {
        "auth.sign_in": "Signed in",
        "auth.sign_in_failed": "Sign-in refused (wrong password or unknown account)",
        "auth.second_factor_failed": "Sign-in refused (wrong two-factor code)",
        "auth.sign_out": "Signed out",
        "auth.sign_out_everywhere": "Signed out on every device",
        "auth.password_change": "Changed their password",
        "auth.password_change_failed": "Password change refused (wrong current password)",
        "auth.mfa_enrol": "Turned on two-factor sign-in",
        "auth.mfa_enrol_failed": "Two-factor set-up refused (wrong code)",
        "invite.accept": "Accepted an invite and chose a password",
    },
    "Patients": {
        "patient.create": "Added a patient",
        "patient.view": "Opened the patient's page",
        "patient.summary": "Opened the printable summary",
        "patient.update": "Changed the patient's details",
        "patient.discharge": "Discharged the patient (diary closed)",
        "patient.reopen": "Reopened the patient's diary",
        "patient.handover": "Handed the patient to another consultant",
        "invite.issue": "Issued an invite link",
        "invite.view": "Showed the invite link again",
        "decision.create": "Recorded the consultant's decision on a block",
        "decision.update": "Changed the consultant's decision on a block",
    },
    "Diary, blocks and visits": _rows(),
    "Exports and imports": _exports(),
    "Phones, reminders and API": {
        "device.create": "Connected a phone",
        "device.revoke": "Disconnected a phone",
        "push.subscribe": "Turned on reading reminders",
        "push.unsubscribe": "Turned off reading reminders",
        "push.end": "Reading reminders ended (the phone no longer takes them)",
        "calendar_feed.create": "Made a private calendar link",
        "calendar_feed.revoke": "Turned off the private calendar link",
        "calendar_feed.read": "The private calendar link was read",
        "access_token.create": "Made an API access token",
        "access_token.revoke": "Revoked an API access token",
        "api.read": "Read through the API",
        "api.write": "Wrote through the API",
    },
    "Staff and settings": {
        "user.create": "Made a staff account",
        "staff.invite": "Invited a staff member",
        "staff.roles": "Changed a staff member's roles",
        "staff.deactivate": "Deactivated a staff account",
        "staff.reactivate": "Reactivated a staff account",
        "staff.reset_2fa": "Reset a staff member's two-factor sign-in",
        "clinic.update": "Changed the clinic's settings",
        "settings.update": "Changed the analysis settings",
        "settings.reset": "Reset the analysis settings to the defaults",
        "database.backup": "Backed up the database",
    },
}
ACTIONS: dict[str, str] = {code: words for group in GROUPS.values()
                           for code, words in group.items()}


def action_words(code: str) -> str:
    """The plain words for an action code; an unknown one shows as itself, never hidden."""
    return ACTIONS.get(code, code)


OBJECT_WORDS = {
    "patient": "Patient", "user": "Account", "invite": "Invite", "entry": "Diary entry",
    "block": "Block", "visit": "Clinic visit", "decision": "Decision", "device": "Phone",
    "push_subscription": "Reminders", "calendar_feed": "Calendar link",
    "access_token": "API token", "settings": "Analysis settings", "clinic": "Clinic",
    "database": "Database",
}


def object_words(object_type: str) -> str:
    return OBJECT_WORDS.get(object_type, object_type.replace("_", " ").capitalize())


_FOOT = {"treated": "Treated foot", "other": "Other foot"}
_MINUTE = {"pre": "before the block", "5": "at 5 min", "10": "at 10 min", "15": "at 15 min",
           "20": "at 20 min", "30": "at 30 min"}

FIELDS: dict[str, str] = {
    # a diary entry (diary/services/entries.py CONTENT)
    "observed_at": "Time of the reading", "utc_offset_min": "Time zone offset",
    "pain": "Pain", "temp_treated_c": "Temperature, treated foot",
    "temp_other_c": "Temperature, other foot", "colour": "Colour of the foot",
    "feels": "How the foot feels", "walk_pain_free_min": "Pain-free walking",
    "walk_max_min": "Maximum walking", "did_not_walk": "Did not walk",
    "swelling": "Swelling", "sweating": "Sweating", "side_effects": "Side effects",
    "rescue_medication": "Extra pain medicine", "notes": "Notes", "touch_pain": "Touch pain",
    "night_rest_pain": "Rest pain at night", "wound": "Wound",
    "pgic": "Impression of change (PGIC)",
    # a block (diary/services/blocks.py CONTENT; its temperatures below)
    "performed_at": "Time of the block", "side": "Side", "kind": "Kind of block",
    "level": "Level", "agent": "Agent", "volume_ml": "Volume",
    "long_acting": "Long-acting agent", "pre_pain": "Pain before the block",
    "somatic_spread": "Somatic spread", "sedation": "Sedation",
    "confirmed_other_means": "Block confirmed by other means",
    **{f"temp_{foot}_{minute}_c": f"{words}, {when}"
       for foot, words in _FOOT.items() for minute, when in _MINUTE.items()},
    # a clinic visit
    "visited_on": "Date of the visit", "fontaine": "Fontaine stage", "note": "Note",
    # a patient's details
    "display_name": "Name", "record_number": "Record number", "treated_side": "Treated side",
    "condition": "Condition", "temp_unit": "Temperature unit", "timezone": "Time zone",
    "consultant": "Responsible consultant", "archived_at": "Discharged", "demo": "Demo patient",
    # the consultant's decision
    "agrees": "Agrees with the verdict", "reason": "Reason", "plan": "Plan",
    "planned_on": "Date of the repeat block",
    # staff and the clinic
    "roles": "Roles", "clinic": "Clinic", "active": "Account active",
    "two_factor": "Two-factor sign-in", "staff": "Staff member",
    "own_patients_only": "Consultants see only their own patients",
    # sign-ins, phones and links
    "second_factor": "Second step used", "sessions": "Sign-ins ended",
    "sessions_ended": "Sign-ins ended", "replaced": "Replaced an earlier one",
    "moved": "Moved from another diary", "revoked_at": "Revoked", "deleted_at": "Deleted",
    # exports, imports and the API
    "include_deleted": "Deleted rows included", "patients": "Number of patients",
    "from": "From", "to": "To", "via": "Made through",
    "created": "Rows added", "unchanged": "Rows already there", "skipped": "Rows skipped",
    "sha256": "File fingerprint", "method": "Method", "path": "Address asked for",
    "status": "Answer", "name": "Name", "scopes": "Scopes", "expires_at": "Expires",
    # the analysis settings, in the settings page's own words
    **{name: limit.label for name, limit in SETTING_LIMITS.items()},
}


_ORDER = {name: i for i, name in enumerate(FIELDS)}  # the order above: as the forms ask


def field_words(name: str) -> str:
    return FIELDS.get(name, name.replace("_", " ").capitalize())


def change_lines(before: dict | None, after: dict | None) -> list[str]:
    """An event's fields as lines to read: "Changed: Pain, Notes", "Recorded: …",
    "Removed: …" (the trail keeps digests, not values, so nothing more can be said)."""
    before, after = before or {}, after or {}
    names = sorted(set(before) | set(after), key=lambda n: (_ORDER.get(n, len(_ORDER)), n))
    parts = (("Changed", [n for n in names if n in before and n in after]),
             ("Recorded", [n for n in names if n in after and n not in before]),
             ("Removed", [n for n in names if n in before and n not in after]))
    return [f"{head}: {', '.join(field_words(n) for n in found)}"
            for head, found in parts if found]
