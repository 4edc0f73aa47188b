"""Which foot, in words (issue 9, item 6): every patient page that would say "treated foot",
"other foot" or "the leg" names it from the patient's treated side. The stored fields stay
temp_treated_c / temp_other_c; for a block on both sides the left foot's reading is the
"treated" one (docs/clinical.md §1)."""

import html as htmllib
import re
from datetime import timedelta

import pytest

from diary.data.db import db
from diary.data.models import Entry, Patient
from tests.web.helpers import NOW, add_entry, entry_page, post_entry

pytestmark = pytest.mark.usefixtures("fixed_now")

WORDS = {
    "left": {"title": "How is your left leg now?", "pain": "Pain in your left leg right now",
             "treated": "Left foot (treated)", "other": "Right foot",
             "colour": "Colour of your left foot",
             "feels": "Compared with your right foot, your left foot feels",
             "told": "Your left foot was treated.", "same": "Same as your right foot"},
    "right": {"title": "How is your right leg now?", "pain": "Pain in your right leg right now",
              "treated": "Right foot (treated)", "other": "Left foot",
              "colour": "Colour of your right foot",
              "feels": "Compared with your left foot, your right foot feels",
              "told": "Your right foot was treated.", "same": "Same as your left foot"},
    "both": {"title": "How are your legs now?", "pain": "Pain in your legs right now",
             "treated": "Left foot", "other": "Right foot", "colour": "Colour of your feet",
             "feels": "Compared with your right foot, your left foot feels",
             "told": "Both feet were treated.", "same": "The same on both feet"},
}


@pytest.fixture
def side_patient(app, as_patient, world):
    def make(side):
        with app.app_context():
            db.session.get(Patient, world.patient_id).treated_side = side
            db.session.commit()
        return as_patient
    return make


def text(html: str) -> str:
    """The page's words, tags stripped and spaces squeezed (none before a comma)."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" ,", ",")


def label_for(html: str, field_id: str) -> str:
    return htmllib.unescape(re.search(rf'<label for="{field_id}">(.*?)</label>', html,
                                      re.S).group(1)).strip()


def legend_of(html: str, name: str) -> str:
    for box in re.findall(r"<fieldset.*?</fieldset>", html, re.S):
        if f'name="{name}"' in box:
            return htmllib.unescape(re.search(r"<legend>(.*?)</legend>", box, re.S).group(1))
    raise AssertionError(f"no question {name}")


@pytest.mark.parametrize("side", ["left", "right", "both"])
def test_the_entry_form_names_the_treated_foot(side_patient, app, world, side):
    client = side_patient(side)
    words = WORDS[side]
    for url in ("/diary/", None):
        if url is None:   # and the same words when the entry is changed
            assert post_entry(client, pain="4", temp_treated="31.0",
                              temp_other="29.5").status_code == 302
            with app.app_context():
                entry_id = db.session.query(Entry.id).scalar()
            url = f"/diary/entries/{entry_id}/edit"
        html = entry_page(client, url)
        assert label_for(html, "temp_treated") == words["treated"]
        assert label_for(html, "temp_other") == words["other"]
        assert legend_of(html, "pain") == words["pain"]
        assert legend_of(html, "colour") == words["colour"]
        assert legend_of(html, "feels") == words["feels"]
        assert words["told"] in text(html)
        assert words["same"] in html
        page = text(html)
        assert "treated foot" not in page.lower() and "other foot" not in page.lower()
    assert words["title"] in entry_page(client)


@pytest.mark.parametrize("side", ["left", "right", "both"])
def test_the_readings_are_stored_as_before_whatever_the_words(side_patient, app, side):
    client = side_patient(side)
    assert post_entry(client, pain="4", temp_treated="31.0", temp_other="29.5",
                      feels="warmer").status_code == 302
    with app.app_context():
        entry = db.session.query(Entry).one()
        assert (entry.temp_treated_c, entry.temp_other_c, entry.feels) == (31.0, 29.5,
                                                                          "warmer")


@pytest.mark.parametrize(("side", "temps", "feels", "colour"), [
    ("left", "Left foot (treated) 31.0 °C, right foot 29.5 °C",
     "Your left foot felt warmer than your right foot",
     "Colour of your left foot: same as your right foot"),
    ("right", "Right foot (treated) 31.0 °C, left foot 29.5 °C",
     "Your right foot felt warmer than your left foot",
     "Colour of your right foot: same as your left foot"),
    ("both", "Left foot 31.0 °C, right foot 29.5 °C",
     "Your left foot felt warmer than your right foot",
     "Colour of your feet: the same on both feet"),
])
def test_the_history_names_the_feet(side_patient, app, world, side, temps, feels, colour):
    client = side_patient(side)
    add_entry(app, world.patient_id, NOW - timedelta(hours=1), temp_treated_c=31.0,
              temp_other_c=29.5, feels="warmer", colour="same", sweating="less")
    page = text(client.get("/diary/history").get_data(as_text=True))
    assert temps in page and feels in page and colour in page
    assert WORDS[side]["told"] in page
    assert "Treated foot" not in page and "other foot" not in page.lower()


@pytest.mark.parametrize("side", ["left", "right", "both"])
def test_the_progress_page_and_the_first_run_screen_name_the_leg(side_patient, side):
    client = side_patient(side)
    leg = {"left": "your left leg", "right": "your right leg", "both": "your legs"}[side]
    progress = text(client.get("/diary/progress").get_data(as_text=True))
    assert f"The pain in {leg} each day" in progress
    welcome = text(client.get("/diary/welcome").get_data(as_text=True))
    assert WORDS[side]["told"] in welcome
    assert f"“{WORDS[side]['treated']}”" in welcome and f"“{WORDS[side]['other']}”" in welcome
