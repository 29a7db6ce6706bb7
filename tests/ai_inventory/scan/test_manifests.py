import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.ai_inventory.scan.manifests import ManifestError, parse_pep508, scan_manifest


def _found(kind, text):
    return [
        (s.package, s.library, s.version_spec, s.scope, s.line)
        for s in scan_manifest(kind, "m", text)
    ]


def test_requirements_txt():
    text = (
        "# AI\nopenai>=1.40,<2\nAnthropic == 0.34.2 ; python_version >= '3.9'\n"
        "requests\n-r base.txt\n--index-url https://example.test/simple\n"
        "langchain[openai]~=0.2  # extras\n-e git+https://example.test/x.git#egg=litellm\n"
        "torch @ https://download.example.test/torch.whl\n"
    )
    assert _found("requirements", text) == [
        ("openai", "openai", ">=1.40,<2", None, 2),
        ("anthropic", "anthropic", "== 0.34.2", None, 3),
        ("langchain", "langchain", "~=0.2", None, 7),
        ("litellm", "litellm", None, "editable", 8),
        ("torch", "torch", "https://download.example.test/torch.whl", None, 9),
    ]


def test_pyproject_pep621_pep735_and_poetry():
    text = """
[project]
dependencies = ["openai>=1", "httpx"]
[project.optional-dependencies]
ml = ["transformers>=4.44"]
[dependency-groups]
dev = ["pytest", "anthropic"]
[tool.poetry.dependencies]
python = "^3.11"
cohere = "^5.0"
mistralai = {version = "^1.0", extras = ["x"]}
[tool.poetry.group.agents.dependencies]
crewai = "*"
"""
    found = _found("pyproject", text)
    assert [(p, v, s) for p, _, v, s, _ in found] == [
        ("openai", ">=1", None),
        ("transformers", ">=4.44", "extra:ml"),
        ("anthropic", None, "group:dev"),
        ("cohere", "^5.0", None),
        ("mistralai", "^1.0", None),
        ("crewai", None, "group:agents"),
    ]
    assert found[0][4] == 3  # the line where "openai>=1" is written


def test_setup_cfg_and_pipfile():
    cfg = "[options]\ninstall_requires =\n    requests\n    openai>=1.0\n[options.extras_require]\nhf = huggingface_hub\n"
    assert [(p, s) for p, _, _, s, _ in _found("setup.cfg", cfg)] == [
        ("openai", None),
        ("huggingface-hub", "extra:hf"),
    ]
    pipfile = '[packages]\nollama = "*"\n[dev-packages]\nvllm = {version = ">=0.5"}\n'
    assert [(p, v, s) for p, _, v, s, _ in _found("pipfile", pipfile)] == [
        ("ollama", None, None),
        ("vllm", ">=0.5", "dev"),
    ]


def test_package_json():
    text = '{\n  "dependencies": {\n    "openai": "^4.0.0",\n    "express": "4"\n  },\n  "devDependencies": {\n    "@langchain/openai": "^0.2"\n  }\n}\n'
    assert _found("package.json", text) == [
        ("openai", "openai", "^4.0.0", None, 3),
        ("@langchain/openai", "langchain", "^0.2", "dev", 7),
    ]


def test_pom_resolves_properties_and_refuses_dtds():
    pom = (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><properties><v>1.2</v></properties>'
        "<dependencies><dependency><groupId>dev.langchain4j</groupId><artifactId>langchain4j</artifactId>"
        "<version>${v}</version><scope>compile</scope></dependency>"
        "<dependency><groupId>junit</groupId><artifactId>junit</artifactId></dependency>"
        "</dependencies></project>"
    )
    assert [(p, v, s) for p, _, v, s, _ in _found("pom", pom)] == [
        ("dev.langchain4j:langchain4j", "1.2", "compile")
    ]
    xxe = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><project>&x;</project>'
    with pytest.raises(ManifestError, match="refused"):
        scan_manifest("pom", "pom.xml", xxe)
    with pytest.raises(ManifestError):
        scan_manifest("pom", "pom.xml", "<project><dependencies>")


def test_gradle_scripts_and_version_catalogs():
    script = (
        "dependencies {\n"
        '    implementation("com.openai:openai-java:0.8.0")\n'
        "    implementation 'dev.langchain4j:langchain4j-open-ai:0.35.0'\n"
        "    implementation group: 'org.springframework.ai', name: 'spring-ai-core', version: '1.0.0'\n"
        '    testImplementation("org.junit.jupiter:junit-jupiter:5.10.0")\n}\n'
    )
    assert [(p, v, line) for p, _, v, _, line in _found("gradle", script)] == [
        ("com.openai:openai-java", "0.8.0", 2),
        ("dev.langchain4j:langchain4j-open-ai", "0.35.0", 3),
        ("org.springframework.ai:spring-ai-core", "1.0.0", 4),
    ]
    catalog = (
        '[versions]\nlc4j = "0.35.0"\n[libraries]\n'
        'lc4j = { module = "dev.langchain4j:langchain4j", version.ref = "lc4j" }\n'
        'oai = "com.openai:openai-java:0.9.0"\n'
        'junit = { group = "junit", name = "junit", version = "4.13" }\n'
    )
    assert [(p, v) for p, _, v, _, _ in _found("gradle-catalog", catalog)] == [
        ("dev.langchain4j:langchain4j", "0.35.0"),
        ("com.openai:openai-java", "0.9.0"),
    ]


def test_go_mod():
    text = (
        "module example.com/x\n\ngo 1.22\n\nrequire github.com/anthropics/anthropic-sdk-go v1.2.0\n"
        "require (\n\tgithub.com/sashabaranov/go-openai v1.29.0\n"
        "\tgithub.com/tmc/langchaingo v0.1.12 // indirect\n\tgithub.com/google/uuid v1.6.0\n)\n"
    )
    assert [(p, v, s) for p, _, v, s, _ in _found("go.mod", text)] == [
        ("github.com/anthropics/anthropic-sdk-go", "v1.2.0", None),
        ("github.com/sashabaranov/go-openai", "v1.29.0", None),
        ("github.com/tmc/langchaingo", "v0.1.12", "indirect"),
    ]


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("pyproject", "[project\n"),
        ("pipfile", "= = ="),
        ("package.json", "{"),
        ("package.json", "[1, 2]"),
        ("package.json", "[" * 100_000),
        ("gradle-catalog", "[libraries\n"),
        ("setup.cfg", "no section header\n"),
    ],
)
def test_malformed_manifests_raise_manifest_error(kind, text):
    with pytest.raises(ManifestError):
        scan_manifest(kind, "m", text)


def test_unknown_kind_yields_nothing():
    assert scan_manifest("cargo", "Cargo.toml", "[dependencies]\nopenai = '1'\n") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_pep508_never_raises(text):
    parsed = parse_pep508(text)
    if parsed is not None:
        assert parsed[0]
        assert not parsed[0][0].isspace()


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(
        ["requirements", "pyproject", "package.json", "pom", "gradle", "go.mod", "setup.cfg"]
    ),
    st.text(max_size=500),
)
def test_arbitrary_manifests_raise_only_manifest_error(kind, text):
    with contextlib.suppress(ManifestError):
        scan_manifest(kind, "m", text)
