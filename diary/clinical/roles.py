"""Staff roles and what each may do: the table behind the one access rule
(diary/web/security.py `patients_of`, `can`). A person may hold several roles in a clinic;
they may do an action when any of their roles grants it."""

ROLES = {
    "consultant": "Consultant",
    "nurse": "Nurse",
    "records": "Records officer",
    "admin": "Administrator",
}

_CLINICAL = ("consultant", "nurse")

GRANTS: dict[str, tuple[str, ...]] = {
    # A patient's diary, blocks, charts and summary (read only).
    "see": ("consultant", "nurse", "records"),
    # Add a patient, edit their details, give them an invite.
    "manage_patient": _CLINICAL,
    # Discharge or reopen a diary; hand the patient over to another consultant.
    "discharge": ("consultant",),
    "record_block": _CLINICAL,
    "record_visit": _CLINICAL,
    "enter_reading": _CLINICAL,        # a reading on the patient's behalf ("entered by")
    "revoke_devices": _CLINICAL,
    "decide": ("consultant",),         # agree or not with a block's verdict, and the plan
    "export": ("consultant", "records"),
    "import": ("consultant", "records"),
    "settings": ("consultant",),       # the analysis thresholds for one's own patients
    "audit": ("consultant", "admin"),
    "staff": ("admin",),               # invite staff, change roles, deactivate, reset 2FA
}

ACTIONS = tuple(GRANTS)


def parse(text: str | None) -> tuple[str, ...]:
    """Stored roles ("consultant,admin") as known codes, in the table's order."""
    given = {r.strip() for r in (text or "").split(",")}
    return tuple(r for r in ROLES if r in given)


def join(roles) -> str:
    return ",".join(r for r in ROLES if r in set(roles))


def grants(roles, action: str) -> bool:
    """Whether any of `roles` may do `action` (an unknown action is refused)."""
    return any(r in GRANTS.get(action, ()) for r in roles)


def label(roles) -> str:
    return ", ".join(ROLES[r] for r in ROLES if r in set(roles)) or "no role"
