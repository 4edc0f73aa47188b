"""Every audit code the app records has words, and so has every field an event names.

The codes are found by reading the source (every `audit.record(...)` and `audit.viewed(...)`
in diary/), not by a list kept beside the words: a new event without words fails here.
"""

import ast
import re
from pathlib import Path

from diary.clinical.audit_words import (
    ACTIONS,
    EXPORT_WHATS,
    FIELDS,
    GROUPS,
    IMPORT_KINDS,
    OBJECT_WORDS,
    ROW_KINDS,
    action_words,
    change_lines,
    field_words,
)
from diary.clinical.settings import SETTING_LIMITS

DIARY = Path(__file__).resolve().parents[2] / "diary"
# The calls whose code is made at run time, and how each is expanded (checked below).
DYNAMIC = {
    ("services/exports.py", 'f"export.clinic.{what}{outcome}"'),
    ("services/exports.py", 'f"export.{what}{outcome}"'),
    ("services/changes.py", 'f"{kind}.update"'),
    ("services/changes.py", 'f"{kind}.delete"'),
    ("services/imports.py", 'f"import.{f.parsed.kind}"'),
    ("services/access_tokens.py", "action"),
    ("services/clinic_settings.py", "action"),
}


def _sources():
    for path in sorted(DIARY.rglob("*.py")):
        text = path.read_text()
        yield path.relative_to(DIARY).as_posix(), text, ast.parse(text)


def _audit_calls():
    """(file, call, source text of its first argument) for every audit.record/viewed."""
    for name, text, tree in _sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("record", "viewed")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                yield name, node, ast.get_source_segment(text, node.args[0])


def _literal_codes() -> set[str]:
    return {node.args[0].value for _, node, _ in _audit_calls()
            if isinstance(node.args[0], ast.Constant)}


def test_the_source_is_really_read():
    codes = _literal_codes()
    assert {"auth.sign_in", "patient.view", "block.create", "invite.accept"} <= codes
    assert len(codes) > 30


def test_every_code_recorded_in_the_source_has_words():
    missing = sorted(code for code in _literal_codes() if code not in ACTIONS)
    assert missing == [], f"audit codes with no words in audit_words.GROUPS: {missing}"


def test_the_codes_other_helpers_add_have_words():
    for code in ("staff.invite", "staff.roles", "staff.deactivate", "staff.reactivate",
                 "staff.reset_2fa", "clinic.update", "patient.update", "patient.discharge",
                 "patient.reopen", "patient.handover", "decision.create", "decision.update"):
        assert action_words(code) != code, code


def test_every_code_made_at_run_time_is_a_known_family():
    dynamic = {(name, arg) for name, node, arg in _audit_calls()
               if not isinstance(node.args[0], ast.Constant)}
    assert dynamic == DYNAMIC, "a new audit code made at run time: give its family words"


def _assigned_strings(path: str, *names: str) -> set[str]:
    """String constants assigned to `names` (a tuple of them, or one) in a diary module."""
    found = set()
    for node in ast.walk(ast.parse((DIARY / path).read_text())):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in names for t in node.targets):
            found |= {c.value for c in ast.walk(node.value)
                      if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


def test_export_and_import_families_are_complete():
    whats = _assigned_strings("data/exports.py", "WHATS")
    whats |= _assigned_strings("web/views/records.py", "FHIR_WHAT")
    whats |= _assigned_strings("web/api/fhir.py", "WHAT")
    assert whats == set(EXPORT_WHATS)
    for what in whats:
        for code in (f"export.{what}", f"export.{what}.failed", f"export.clinic.{what}",
                     f"export.clinic.{what}.failed"):
            assert code in ACTIONS
    assert set(IMPORT_KINDS) == {"entries", "blocks"}
    assert {"import.entries", "import.blocks"} <= set(ACTIONS)


def test_changed_and_deleted_rows_are_complete():
    kinds = set()
    for _, _, tree in _sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("update", "soft_delete")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "changes"):
                kinds.add(node.args[1].value)
    assert kinds == set(ROW_KINDS)
    assert all(f"{k}.{how}" in ACTIONS for k in kinds for how in ("update", "delete"))


def test_the_api_and_settings_codes_have_words():
    api = set(re.findall(r'"(api\.\w+)"', (DIARY / "services/access_tokens.py").read_text()))
    assert api == {"api.read", "api.write"} and api <= set(ACTIONS)
    # The codes given to clinic_settings.save: its default, and the views' calls.
    settings = set(re.findall(r'"(settings\.\w+)"',
                              (DIARY / "services/clinic_settings.py").read_text()))
    settings |= set(re.findall(r'clinic_settings\.save\([^\n]*"(settings\.\w+)"\)',
                               (DIARY / "web/views/settings.py").read_text()))
    assert settings == {"settings.update", "settings.reset"} and settings <= set(ACTIONS)


def test_every_object_type_has_words():
    types = {node.args[1].value for _, node, _ in _audit_calls()
             if len(node.args) > 1 and isinstance(node.args[1], ast.Constant)}
    types |= set(ROW_KINDS)
    assert types and types <= set(OBJECT_WORDS), types - set(OBJECT_WORDS)


def _field_names() -> set[str]:
    """Every key an event's before/after can hold: dict literals given to audit.record, and
    the snapshots' field lists (CONTENT, DETAILS, FIELDS in diary/services) and settings."""
    names = set(SETTING_LIMITS)
    for _, node, _ in _audit_calls():
        for kw in node.keywords:
            if kw.arg in ("before", "after"):
                names |= {k.value for d in ast.walk(kw.value) if isinstance(d, ast.Dict)
                          for k in d.keys if isinstance(k, ast.Constant)}
    for path in (DIARY / "services").glob("*.py"):
        names |= _assigned_strings(f"services/{path.name}", "CONTENT", "DETAILS", "FIELDS")
    return names


def test_every_field_an_event_names_has_words():
    names = _field_names()
    assert {"pain", "temp_other_10_c", "display_name", "roles", "via"} <= names
    missing = sorted(n for n in names if n not in FIELDS)
    assert missing == [], f"audit fields with no words in audit_words.FIELDS: {missing}"


def test_words_not_codes():
    assert action_words("patient.view") == "Opened the patient's page"
    assert action_words("export.clinic.block-summary.failed") == (
        "Export of the clinic's block summaries (CSV) failed or was cut short")
    assert field_words("temp_other_10_c") == "Other foot, at 10 min"
    assert field_words("temp_treated_pre_c") == "Treated foot, before the block"
    assert field_words("window_hours") == SETTING_LIMITS["window_hours"].label
    # Nothing left looking like a code.
    for words in [*ACTIONS.values(), *FIELDS.values()]:
        assert not re.search(r"\w[._]\w", words.replace("e.g.", "")), words


def test_an_unknown_code_still_shows_as_itself():
    assert action_words("something.new") == "something.new"
    assert field_words("brand_new_field") == "Brand new field"


def test_every_code_sits_in_one_group():
    assert sum(len(g) for g in GROUPS.values()) == len(ACTIONS)


def test_change_lines_say_which_fields_changed_in_the_forms_order():
    assert change_lines({"notes": "d1", "pain": "d2"}, {"notes": "d3", "pain": "d4"}) == [
        "Changed: Pain, Notes"]
    assert change_lines(None, {"pain": "d", "temp_other_10_c": "d"}) == [
        "Recorded: Pain, Other foot, at 10 min"]
    assert change_lines({"pain": "a", "wound": "b"}, {"pain": "c"}) == [
        "Changed: Pain", "Removed: Wound"]
    assert change_lines(None, None) == []
