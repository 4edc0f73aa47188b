"""Put plotly.js where the app serves it: diary/static/vendor/, content-hashed and pre-gzipped.

    .venv/bin/python scripts/fetch_plotly.py [--dest DIR] [--full]

Fetches the npm partial bundle plotly.js-basic-dist-min (scatter, bar and pie: all our charts
use) with `npm pack`, at a pinned version, and checks the tarball against the pinned sha512
integrity before using it. If npm or the registry cannot be reached it falls back to the full
bundle the plotly Python package ships (about four times bigger, same hashing). A mismatch of
the integrity is an error, never a reason to fall back: it means the download is not the
package we pinned.

Writes plotly-basic.<sha256-16>.min.js (or plotly.<sha256-16>.min.js) and the same with .gz,
removes older bundles, and leaves a plotly.json manifest so a second run with the bundle already
in place does nothing. Plain standard library: it runs before the app is importable.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "plotly.js-basic-dist-min"
# The plotly.js that plotly==7.1.0 (requirements.txt) is built for: keep the two in step, so
# the figures Python writes are the ones the browser understands.
VERSION = "4.1.1"
INTEGRITY = ("sha512-1oNF8PeQx2hv/y7tqEVWKD3JGwn/MGEMQ8mL9HUwsaqG9FGy/OU5FHUHvzqbqxN4mnwZGI9abTiE77"
             "5C4kkjMQ==")
MEMBER = "package/plotly-basic.min.js"
NPM_TIMEOUT = 180
DEST = Path(__file__).resolve().parent.parent / "diary" / "static" / "vendor"
MANIFEST = "plotly.json"


class IntegrityError(Exception):
    pass


def integrity_of(data: bytes) -> str:
    """npm's Subresource-Integrity string for a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def extract_verified(tarball: bytes, integrity: str | None = None, member: str = MEMBER) -> bytes:
    """The bundle's bytes from an npm tarball, once it matches the (pinned) integrity."""
    integrity = integrity or INTEGRITY
    found = integrity_of(tarball)
    if found != integrity:
        raise IntegrityError(f"{PACKAGE}@{VERSION}: tarball integrity {found} is not the "
                             f"pinned {integrity}")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        # Read the one file by name: nothing in the archive is ever written to disk as-is.
        handle = tar.extractfile(member)
        if handle is None:
            raise IntegrityError(f"{member} is not a file in the tarball")
        return handle.read()


def npm_pack(package: str = PACKAGE, version: str = VERSION) -> bytes | None:
    """The package tarball from the registry, or None when npm or the registry is unavailable."""
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            # Fixed arguments, npm found on PATH: nothing here comes from a user.
            result = subprocess.run(  # noqa: S603
                [npm, "pack", f"{package}@{version}", "--pack-destination", tmp,
                 "--fetch-retries", "1", "--silent"],
                cwd=tmp, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            print(f"npm pack timed out after {NPM_TIMEOUT} s", file=sys.stderr)
            return None
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or len(tarballs) != 1:
            print(f"npm pack failed ({result.returncode}): {result.stderr.strip()[-500:]}",
                  file=sys.stderr)
            return None
        return tarballs[0].read_bytes()


def full_bundle() -> bytes:
    """plotly.min.js from the installed plotly Python package."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise SystemExit("plotly is not installed: pip install -r requirements.txt first")
    return (Path(spec.origin).parent / "package_data" / "plotly.min.js").read_bytes()


def hashed_name(stem: str, data: bytes) -> str:
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:16]}.min.js"


def install(data: bytes, stem: str, dest: Path, source: str) -> Path:
    """Write the bundle and its gzip under the content-hashed name; remove older bundles."""
    dest.mkdir(parents=True, exist_ok=True)
    name = hashed_name(stem, data)
    path = dest / name
    for old in [*dest.glob("plotly*.min.js"), *dest.glob("plotly*.min.js.gz")]:
        if old.name not in (name, name + ".gz"):
            old.unlink()
    path.write_bytes(data)
    # mtime=0 so the same bundle always gives the same .gz bytes.
    (dest / (name + ".gz")).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    (dest / MANIFEST).write_text(json.dumps(
        {"file": name, "source": source, "sha256": hashlib.sha256(data).hexdigest()},
        indent=2) + "\n")
    return path


def up_to_date(dest: Path, source: str) -> bool:
    try:
        manifest = json.loads((dest / MANIFEST).read_text())
        data = (dest / manifest["file"]).read_bytes()
    except (OSError, ValueError, KeyError):
        return False
    return (manifest.get("source") == source
            and hashlib.sha256(data).hexdigest() == manifest.get("sha256")
            and (dest / (manifest["file"] + ".gz")).exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dest", type=Path, default=DEST)
    parser.add_argument("--full", action="store_true",
                        help="use the full bundle from the plotly package, without npm")
    args = parser.parse_args(argv)
    basic = f"npm:{PACKAGE}@{VERSION}"
    if not args.full:
        if up_to_date(args.dest, basic):
            print(f"plotly.js: {basic} already in {args.dest}")
            return 0
        tarball = npm_pack()
        if tarball is not None:
            try:
                data = extract_verified(tarball)
            except IntegrityError as exc:
                print(f"plotly.js: {exc}", file=sys.stderr)
                return 1
            path = install(data, "plotly-basic", args.dest, basic)
            print(f"plotly.js: {basic} -> {path}")
            return 0
        print("plotly.js: falling back to the full bundle of the plotly package",
              file=sys.stderr)
    data = full_bundle()
    source = "python:plotly/package_data/plotly.min.js"
    path = install(data, "plotly", args.dest, source)
    print(f"plotly.js: {source} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
