"""A patient's line in the clinic list: statuses most urgent first, the urgent ones marked."""

from types import SimpleNamespace

from diary.clinical.patient_list import Row


def test_a_wound_worse_or_new_leads_the_line_and_is_marked_urgent():
    patient = SimpleNamespace(id=1, display_name="A", record_number="R1", timezone="UTC")
    row = Row.of(patient, "no_recent_entries,wound,thin_baseline", None, None, None, False)
    assert [s.code for s in row.statuses] == ["wound", "thin_baseline", "no_recent_entries"]
    assert [s.urgent for s in row.statuses] == [True, False, False]
    assert row.statuses[0].label.startswith("Wound worse or new")
