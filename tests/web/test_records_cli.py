"""`flask diary export-csv` and `import-csv`: the same files as the web, for scripts."""

import pytest

from diary.data.models import Block, Entry
from tests.web.test_records import audit_actions, blank, count, diary, export_csv, rows_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("fixed_now")


def run(runner, *args):
    return runner.invoke(args=["diary", *args])


def test_export_writes_the_web_file_to_standard_output(diary, client, runner, app):  # noqa: F811
    for what in ("entries", "blocks", "block-summary"):
        web = export_csv(client, diary.patient_id, what).get_data()
        result = run(runner, "export-csv", "--patient", "R-100", "--what", what)
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == web
    assert audit_actions(app).count(("export.entries", "patient", str(diary.patient_id),
                                     diary.patient_id)) == 2


def test_export_finds_a_patient_without_record_number_by_id(diary, runner, world, app):  # noqa: F811
    bare = world.patient(diary.clinician_id, name="No number")
    result = run(runner, "export-csv", "--patient", str(bare))
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfentry_id,")
    assert len(rows_of(result.stdout_bytes)) == 0


def test_a_shared_record_number_needs_the_clinician(diary, runner, world):  # noqa: F811
    other = world.clinician("other@clinic.example")
    world.patient(other, record="R-100")
    result = run(runner, "export-csv", "--patient", "R-100")
    assert result.exit_code == 2 and "say whose with --clinician" in result.output
    result = run(runner, "export-csv", "--patient", "R-100", "--clinician", "DR@clinic.example")
    assert result.exit_code == 0 and len(rows_of(result.stdout_bytes)) == 22
    result = run(runner, "export-csv", "--patient", "R-404")
    assert result.exit_code == 2 and "No patient with record R-404" in result.output


def test_import_from_the_command_line(diary, client, runner, world, app, tmp_path):  # noqa: F811
    entries = tmp_path / "entries.csv"
    entries.write_bytes(blank(export_csv(client, diary.patient_id, "entries").get_data(),
                              "entry_id"))
    blocks = tmp_path / "blocks.csv"
    blocks.write_bytes(export_csv(client, diary.patient_id, "blocks").get_data())
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    args = ["import-csv", "--patient", "R-200", "--clinician", "dr@clinic.example",
            "--entries", str(entries), "--blocks", str(blocks)]
    result = run(runner, *args)
    assert result.exit_code == 0, result.output
    assert "entries file: 22 imported, 0 already in the diary" in result.stdout
    assert "blocks file: 1 imported" in result.stdout
    assert "exported for record R-100; they are imported into record R-200" in result.stderr
    assert count(app, Entry, Entry.patient_id == copy) == 22
    # The follow-up answers came through: the copy's export has the original's cells.
    exported = run(runner, "export-csv", "--patient", "R-200")
    follow_up = ("touch_pain", "night_rest_pain", "wound", "pgic")
    cells = [[r[c] for c in follow_up] for r in rows_of(entries.read_bytes())]
    assert [[r[c] for c in follow_up] for r in rows_of(exported.stdout_bytes)] == cells
    assert {"", "yes", "no", "much_better"} <= {v for row in cells for v in row}
    result = run(runner, *args)
    assert "entries file: 0 imported, 22 already in the diary" in result.stdout
    assert count(app, Entry, Entry.patient_id == copy) == 22
    assert count(app, Block, Block.patient_id == copy) == 1
    actions = [a[0] for a in audit_actions(app) if a[3] == copy]
    assert actions.count("import.entries") == 2 and actions.count("import.blocks") == 2


def test_a_bad_file_imports_nothing_and_says_why(diary, runner, world, app, tmp_path):  # noqa: F811
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    bad = tmp_path / "entries.csv"
    bad.write_text("observed_at,pain\n2025-06-01T10:00,4\n2025-06-01T11:00,44\n"
                   "2025-06-01T12:00,\n")
    result = run(runner, "import-csv", "--patient", "R-200", "--clinician",
                 "dr@clinic.example", "--entries", str(bad))
    assert result.exit_code == 1
    assert "error: entries file, line 3: pain: '44' is not a whole number" in result.stderr
    assert "error: entries file, line 4: pain: missing" in result.stderr
    assert "Nothing was imported (2 problems)." in result.stderr
    assert count(app, Entry, Entry.patient_id == copy) == 0


def test_import_only_into_the_clinicians_own_patient(diary, runner, world, app, tmp_path):  # noqa: F811
    other = world.clinician("other@clinic.example")
    world.patient(other, record="R-300")
    good = tmp_path / "entries.csv"
    good.write_text("observed_at,pain\n2025-06-01T10:00,4\n")
    result = run(runner, "import-csv", "--patient", "R-300", "--clinician",
                 "dr@clinic.example", "--entries", str(good))
    assert result.exit_code == 2
    assert "No patient of dr@clinic.example with record R-300" in result.output
    result = run(runner, "import-csv", "--patient", "R-100", "--clinician",
                 "pat@home.example", "--entries", str(good))
    assert result.exit_code == 2 and "No clinician pat@home.example" in result.output


def test_100000_bad_rows_print_the_first_100_and_count_the_rest(diary, runner, world, app,  # noqa: F811
                                                                tmp_path):
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    bad = tmp_path / "entries.csv"
    bad.write_bytes(b"observed_at,pain\r\n" + b"x,1\r\n" * 100_000)
    result = run(runner, "import-csv", "--patient", "R-200", "--clinician",
                 "dr@clinic.example", "--entries", str(bad))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    listed = [line for line in lines if line.startswith("error: entries file, line ")]
    assert [int(line.split()[4].rstrip(":")) for line in listed] == list(range(2, 102))
    assert lines[-2:] == ["error: …and 99,900 more problems.",
                          "Error: Nothing was imported (100,000 problems)."]
    assert len(result.stderr) < 20_000
    assert count(app, Entry, Entry.patient_id == copy) == 0


@pytest.mark.parametrize("body, message", [
    (b"observed_at,pain," + b",".join(b"c%d" % i for i in range(59_998)) + b"\r\n",
     "error: entries file, line 1: The first line names 60,000 columns; an import takes at "
     "most 200"),
    # Larger than the web's request limit: the command line has only the import's own cap.
    (b"observed_at,pain\r\n" + b"2025-06-01T10:00,5\r\n" * 300_000,
     "error: entries file: The file is larger than 5 MB: please split it into smaller files."),
])
def test_the_caps_hold_on_the_command_line(diary, runner, world, app, tmp_path, body, message):  # noqa: F811
    copy = world.patient(diary.clinician_id, name="Copy", record="R-200")
    path = tmp_path / "entries.csv"
    path.write_bytes(body)
    result = run(runner, "import-csv", "--patient", "R-200", "--clinician",
                 "dr@clinic.example", "--entries", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(message)
    assert "Nothing was imported (1 problem)." in result.stderr
    assert count(app, Entry, Entry.patient_id == copy) == 0
