"""The layered house holds: the clinical core and the file formats import without Flask or a
database, and the import contract (pyproject.toml) is kept."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import diary.clinical
import diary.interchange

ROOT = Path(__file__).resolve().parents[2]


def _modules(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def test_every_pure_module_imports_without_flask_or_sqlalchemy():
    names = _modules(diary.clinical) + _modules(diary.interchange)
    assert "diary.clinical.analysis" in names and "diary.interchange.csv_import" in names
    code = ("import importlib, sys\n"
            f"for name in {names!r}: importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'flask_sqlalchemy', 'sqlalchemy', 'wtforms', 'flask_wtf', 'werkzeug')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_importing_the_web_app_does_load_flask():
    # The check above can fail: the same probe sees Flask when the web layer is imported.
    code = "import sys, diary.web; print('flask' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "True"


def test_the_import_contract_is_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "3 kept, 0 broken" in done.stdout
