"""docs/security.md names the test behind each promise: every name it gives must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `test_x.py`, `tests/deploy/test_x.py::test_y` and the shorthand `::test_z` (same file as the
# reference before it), each inside backticks.
REFERENCE = re.compile(r"`((?:tests/[\w/]+/)?test_\w+\.py)?(?:::(test_\w+))?`")


def _find(name: str) -> Path | None:
    if "/" in name:
        path = ROOT / name
        return path if path.exists() else None
    found = list((ROOT / "tests").rglob(name))
    return found[0] if len(found) == 1 else None


def references(text: str):
    current = None
    for match in REFERENCE.finditer(text):
        file, test = match.groups()
        if file:
            current = file
        if test or file:
            yield current, test


def test_every_test_named_in_the_security_doc_exists():
    text = (ROOT / "docs" / "security.md").read_text()
    missing, seen = [], 0
    for file, test in references(text):
        seen += 1
        path = _find(file) if file else None
        if path is None:
            missing.append(f"{file} (no such test file, or more than one)")
        elif test and not re.search(rf"^(async )?def {test}\(", path.read_text(), re.M):
            missing.append(f"{file}::{test}")
    assert seen > 50  # the doc really is read
    assert not missing, "docs/security.md names tests that do not exist: " + ", ".join(missing)
