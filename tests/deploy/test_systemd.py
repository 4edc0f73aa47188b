"""The systemd units in deploy/ are valid and run what this checkout has."""

import shutil
import subprocess

import pytest

from tests.deploy.conftest import ROOT


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is not installed (Debian's systemd package has it)")
    names = []
    for unit in (ROOT / "deploy" / "systemd").iterdir():
        text = unit.read_text().replace("/srv/block-diary", str(ROOT))
        (tmp_path / unit.name).write_text(text)
        names.append(str(tmp_path / unit.name))
    result = subprocess.run([analyze, "verify", "--man=no", *names],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert len(names) == 7  # web, audit check (2), list refresh (2), reminders (2)
