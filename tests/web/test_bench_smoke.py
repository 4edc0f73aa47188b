"""bench/bench_clinic.py keeps working: seeding, page timings, queries, peak RSS and the side
by side table, at a tiny size (3, then 6 patients with 10 days of diary), in the test database
(PostgreSQL too, with DIARY_TEST_DATABASE_URL). gunicorn's throughput is left to the bench
itself: it takes tens of seconds, and tests/deploy runs gunicorn already. bench/bench_export.py
keeps working too: its clinics are separate, so each consultant's export holds only their own
clinic's rows."""

import importlib.util
from pathlib import Path

import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import Block, Entry, Membership, Patient
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]


def _load_bench(name="bench_clinic"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_clinic_bench_gives_every_figure(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    results, infos = {}, {}
    for size in (3, 6):  # the second tops the same clinic up
        infos[size] = bench.seed(url, size, days=10)
        assert _count(app, Patient) == size
        results[size] = bench.measure(infos[size], list(bench.PAGES), repeat=2)
    assert infos[3]["patient_id"] == infos[6]["patient_id"]  # the same patient measured
    with app.app_context():  # one clinic: its consultant's, and every patient in it
        clinics = db.session.execute(sa.select(Membership.clinic_id, Membership.roles)).all()
        assert [roles for _, roles in clinics] == ["consultant"]
        assert set(db.session.scalars(sa.select(Patient.clinic_id))) == {clinics[0][0]}
    assert infos[6]["entries"] >= 20 and infos[6]["blocks"] >= 2
    assert _count(app, Entry) == infos[6]["all_entries"] and _count(app, Block) >= 6
    for pages in results.values():
        assert set(pages) == set(bench.PAGES)
        for name, figures in pages.items():
            assert len(figures["seconds"]) == 2 and min(figures["seconds"]) > 0, name
            assert min(figures["queries"]) > 0, name
            assert figures["rss_mb"] > 0 and figures["bytes"] > 0, name
    lines = bench.table(results)
    assert len(lines) == 2 + len(bench.PAGES)
    assert "6/3" in lines[0]
    for line, (_, label) in zip(lines[2:], bench.PAGES.values(), strict=True):
        assert line.startswith(label)
        time_growth, query_growth, rss_growth = (float(x) for x in line.split()[-3:])
        assert time_growth > 0 and query_growth > 0 and rss_growth > 0


def test_a_page_is_timed_in_a_process_of_its_own(app):
    info = bench.seed(app.config["SQLALCHEMY_DATABASE_URI"], 3, days=10)
    figures = bench.run_page(info, "entries", 1)
    assert figures["seconds"][0] > 0 and figures["queries"][0] > 0 and figures["rss_mb"] > 0


def test_the_throughput_pieces_are_well_formed():
    hello = bench.hello_app().test_client().get("/")
    assert hello.get_data() == b"Hello, World!"
    script = bench.WRK_POST % {"body": "pain=4&csrf_token=x", "nonce": "0123456789abcdef01"}
    assert 'local body = "pain=4&csrf_token=x&client_id="' in script
    assert '"%08x-%04x-4%s-a%s-%s"' in script
    settings = bench.gunicorn_settings()
    assert settings["worker_class"] == "gthread" and settings["workers"] >= 1


def test_the_export_bench_gives_each_clinic_only_its_own_patients(tmp_path):
    export = _load_bench("bench_export")
    entries = dict(zip(export.ENTRY_CLINICS, (300, 700), strict=True))
    database = export.Database(tmp_path, PG_URL)  # SQLite, or a private PostgreSQL database
    try:
        seeded = export.seed(database, entries, [3])
        for email, rows in entries.items():
            assert seeded["entries"][email] == rows
            assert export.run_worker(database.url, email, "entries")["rows"] == rows
        email = export.summary_email(3)
        summary = export.run_worker(database.url, email, "block-summary")
        assert summary["rows"] == seeded["blocks"][email] > 0
        assert summary["analysed"] == 3
    finally:
        database.drop()
