import pytest

from wardgate.ai_inventory.scan.filetypes import classify


@pytest.mark.parametrize(
    ("name", "parent", "language", "manifest", "config", "artefact"),
    [
        ("app.py", "", "python", None, False, None),
        ("index.tsx", "", "javascript", None, False, None),
        ("App.kt", "", "java", None, False, None),
        ("main.go", "", "go", None, False, None),
        ("analysis.ipynb", "", "notebook", None, False, None),
        ("settings.yaml", "", None, None, True, None),
        (".env", "", None, None, True, None),
        (".env.production", "", None, None, True, None),
        ("application.properties", "", None, None, True, None),
        ("requirements.txt", "", None, "requirements", False, None),
        ("requirements-dev.txt", "", None, "requirements", False, None),
        ("base.txt", "requirements", None, "requirements", False, None),
        ("pyproject.toml", "", None, "pyproject", True, None),
        ("Pipfile", "", None, "pipfile", True, None),
        ("package.json", "", None, "package.json", True, None),
        ("pom.xml", "", None, "pom", True, None),
        ("build.gradle.kts", "", "java", "gradle", True, None),
        ("libs.versions.toml", "gradle", None, "gradle-catalog", True, None),
        ("go.mod", "", None, "go.mod", True, None),
        ("model.safetensors", "", None, None, False, "safetensors"),
        ("model.GGUF", "", None, None, False, "gguf"),
        ("pytorch_model.bin", "", None, None, False, "pickle"),
        ("clf.joblib", "", None, None, False, "pickle"),
    ],
)
def test_classify(name, parent, language, manifest, config, artefact):
    kind = classify(name, parent)
    assert kind is not None
    assert (kind.language, kind.manifest, kind.artefact) == (language, manifest, artefact)
    assert kind.config == config  # config files and manifests are also read for model ids and keys
    assert kind.text == (artefact is None)


@pytest.mark.parametrize(
    "name",
    [
        "README.md",
        "logo.png",
        "Makefile",
        "package-lock.json",
        "pnpm-lock.yaml",
        "notes.txt",
        "x.rs",
    ],
)
def test_skipped(name):
    assert classify(name) is None
