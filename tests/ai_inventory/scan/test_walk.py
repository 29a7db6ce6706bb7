import os

from tests.ai_inventory.scan.builders import write
from wardgate.ai_inventory.scan.result import FileIssue
from wardgate.ai_inventory.scan.walk import DEFAULT_EXCLUDES, Excluder, walk


def _walk(root, excludes=DEFAULT_EXCLUDES):
    issues: list[FileIssue] = []
    found = [(c.relative if c else None, rel) for c, rel in walk(root, Excluder(excludes), issues)]
    return found, issues


def test_default_excludes_and_order(tmp_path):
    for rel in (
        "b/x.py",
        "a/y.py",
        "a/z.md",
        "node_modules/p/i.js",
        ".git/config",
        "venv/lib/s.py",
        "pkg.egg-info/PKG-INFO",
    ):
        write(tmp_path / rel, "x")
    found, issues = _walk(tmp_path)
    assert found == [("a/y.py", "a/y.py"), (None, "a/z.md"), ("b/x.py", "b/x.py")]
    assert issues == []


def test_custom_globs(tmp_path):
    for rel in ("src/a.py", "src/gen/b.py", "tests/fixtures/c.py", "d_test.py"):
        write(tmp_path / rel, "x")
    found, _ = _walk(tmp_path, [*DEFAULT_EXCLUDES, "gen", "tests/fixtures", "*_test.py"])
    assert [c for c, _ in found] == ["src/a.py"]


def test_symlinks_do_not_leave_the_tree_or_loop(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "secret.py", "x")
    root = tmp_path / "root"
    write(root / "real/a.py", "x")
    (root / "escape.py").symlink_to(outside / "secret.py")
    (root / "inside.py").symlink_to(root / "real/a.py")
    (root / "dirlink").symlink_to(outside, target_is_directory=True)
    (root / "real/loop").symlink_to(root, target_is_directory=True)
    found, issues = _walk(root)
    scanned = sorted(c for c, _ in found if c)
    assert scanned == ["inside.py", "real/a.py"]
    assert [(i.path, i.kind) for i in issues] == [("dirlink", "symlink"), ("escape.py", "symlink")]


def test_special_files_are_never_candidates(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    write(tmp_path / "ok.py", "x")
    found, _ = _walk(tmp_path)
    assert found == [("ok.py", "ok.py"), (None, "pipe.py")]


def test_unreadable_directory_is_an_issue(tmp_path, monkeypatch):
    write(tmp_path / "a/x.py", "x")
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("/a"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found, issues = _walk(tmp_path)
    assert found == []
    assert [(i.path, i.kind, i.message) for i in issues] == [("a", "read", "Permission denied")]
