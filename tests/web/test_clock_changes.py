"""Clock changes on the entry and block forms: the hour the clocks skip is refused with a
plain message and nothing saved; the hour they repeat is saved as its first, and the
patient or consultant is told which."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import Block, Entry
from tests.web.helpers import entries, entry_page, error_after, new_entry_data, post_entry
from tests.web.test_blocks import post_block

SPRING = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)   # London went 01:00 -> 02:00 this morning
AUTUMN = datetime(2025, 10, 26, 12, 0, tzinfo=UTC)  # London went 02:00 -> 01:00 this morning
SKIPPED = "That time doesn&#39;t exist on this date — the clocks went forward"


def test_an_entry_in_the_skipped_hour_is_refused_and_nothing_is_saved(as_patient, app, clock):
    clock.now = SPRING
    response = post_entry(as_patient, observed_at="2025-03-30T01:30", pain="4")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert SKIPPED in error_after(page, "observed_at")
    assert 'value="2025-03-30T01:30"' in page  # what was typed stays, to correct
    assert entries(app) == []


def test_an_entry_in_the_repeated_hour_is_the_first_and_the_patient_is_told(as_patient, app,
                                                                            clock):
    clock.now = AUTUMN
    response = post_entry(as_patient, observed_at="2025-10-26T01:30", pain="4")
    assert response.status_code == 302
    (entry,) = entries(app)
    assert entry.observed_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert entry.utc_offset_min == 60
    shown = entry_page(as_patient, response.headers["Location"])
    assert "01:30 happened twice on 26 Oct 2025" in shown and "the first 01:30, BST" in shown


def test_an_ordinary_entry_says_nothing_about_clocks(as_patient, app, clock):
    clock.now = AUTUMN
    response = post_entry(as_patient, observed_at="2025-10-26T03:30", pain="4")
    assert response.status_code == 302
    assert "happened twice" not in entry_page(as_patient, response.headers["Location"])


@pytest.fixture
def pid(as_clinician, world):
    return world.patient(world.clinician_id)


def stored_blocks(app) -> list[Block]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Block)))
        db.session.expunge_all()
        return rows


def test_a_block_in_the_skipped_hour_is_refused(as_clinician, app, clock, pid):
    clock.now = SPRING
    response = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new",
                          performed_at="2025-03-30T01:30")
    assert response.status_code == 200
    assert SKIPPED in response.get_data(as_text=True)
    assert stored_blocks(app) == []


def test_a_block_in_the_repeated_hour_is_the_first_and_the_consultant_is_told(
        as_clinician, app, clock, pid):
    clock.now = AUTUMN
    response = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new",
                          performed_at="2025-10-26T01:30")
    assert response.status_code == 302
    (block,) = stored_blocks(app)
    assert block.performed_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert block.utc_offset_min == 60
    page = as_clinician.get(response.headers["Location"]).get_data(as_text=True)
    assert "01:30 happened twice on 26 Oct 2025" in page


@pytest.mark.parametrize("typed", ["٢٠٢٥-٠٦-١٤T09:00", "2025-06-14T٠٩:00", "２０２５-06-14T09:00"])
def test_block_times_take_ascii_digits_only(as_clinician, app, clock, pid, typed):
    clock.now = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
    response = post_block(as_clinician, f"/clinic/patients/{pid}/blocks/new", performed_at=typed)
    assert response.status_code == 200
    assert "Please give a date and time." in response.get_data(as_text=True)
    assert stored_blocks(app) == []


@pytest.mark.parametrize("typed", ["2025-06-14T٠٩:00", "２０２５-06-14T09:00"])
def test_entry_times_take_ascii_digits_only(as_patient, app, clock, typed):
    clock.now = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
    response = post_entry(as_patient, observed_at=typed, pain="4")
    assert response.status_code == 200
    assert "Please give a date and time." in error_after(response.get_data(as_text=True),
                                                          "observed_at")
    assert entries(app) == []


def test_editing_into_the_skipped_hour_leaves_the_entry_as_it_was(as_patient, app, clock):
    clock.now = SPRING
    assert post_entry(as_patient, observed_at="2025-03-30T09:00", pain="4").status_code == 302
    (entry,) = entries(app)
    data = new_entry_data(as_patient, observed_at="2025-03-30T01:30", pain="4",
                          client_id=entry.id)
    response = as_patient.post(f"/diary/entries/{entry.id}/edit", data=data)
    assert response.status_code == 200 and SKIPPED in response.get_data(as_text=True)
    (after,) = entries(app)
    assert after.observed_at == entry.observed_at
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 1
