"""Front-end dependencies come from npm (console/package.json), copied by `npm run vendor`:
the committed copies must be exactly what the manifest says, at the version package.json pins,
and no page may load anything from another origin."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "wardgate" / "console" / "static" / "vendor"
TEMPLATES = ROOT / "src" / "wardgate" / "console" / "templates"


def test_vendored_files_match_the_manifest_and_the_pinned_versions() -> None:
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    package = json.loads((ROOT / "console" / "package.json").read_text())
    lock = json.loads((ROOT / "console" / "package-lock.json").read_text())
    assert set(manifest["packages"]) == set(package["dependencies"])
    for name, entry in manifest["packages"].items():
        assert entry["version"] == package["dependencies"][name]
        assert lock["packages"][f"node_modules/{name}"]["version"] == entry["version"]
        for file, digest in entry["files"].items():
            assert hashlib.sha256((VENDOR / file).read_bytes()).hexdigest() == digest, file


def test_no_page_loads_from_another_origin() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["'](https?:)?//""", text), template.name
