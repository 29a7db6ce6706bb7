"""AI SDKs declared in dependency manifests, with the version each manifest asks for.

Python (requirements files, ``pyproject.toml`` in PEP 621, PEP 735 and Poetry form, ``setup.cfg``,
``Pipfile``), JavaScript (``package.json``), Java (``pom.xml``, Gradle build scripts and version
catalogs) and Go (``go.mod``). Parsing is with the standard library only and never executes
anything: ``setup.py`` is not run, Gradle scripts are read with patterns. ``pom.xml`` documents
with a DTD or entity declarations are refused outright (XXE and entity expansion), since
``defusedxml`` is not available.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from wardgate.ai_inventory.scan.fileio import LineIndex
from wardgate.ai_inventory.scan.result import SdkUse
from wardgate.ai_inventory.scan.sdks import find_library, normalise_pypi


class ManifestError(ValueError):
    """A manifest could not be parsed; the message never quotes its content."""


# One dependency as a manifest states it: name, version spec, scope.
Dependency = tuple[str, str | None, str | None]

# PEP 508: name, optional extras, then specifier / URL / markers.
_PEP508 = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)", re.DOTALL)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


def parse_pep508(requirement: str) -> tuple[str, str | None] | None:
    """``(name, version spec)`` of one requirement string, or None when it names no project."""
    match = _PEP508.match(requirement)
    if match is None:
        return None
    rest = match.group(2).split(";", 1)[0].strip()
    if rest.startswith("@"):
        rest = rest[1:].strip()  # a direct URL reference: keep it as the "version"
    return match.group(1), (rest.strip("() ") or None)


def _requirements(text: str) -> Iterator[tuple[int, str, str | None, str | None]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-e ", "--editable")):
            egg = _EGG.search(line)
            if egg:
                yield number, egg.group(1), None, "editable"
            continue
        if line.startswith("-") or "://" in line.split("@", 1)[0]:
            continue  # pip options, -r includes, bare URLs
        parsed = parse_pep508(line.rstrip("\\").strip())
        if parsed:
            yield number, parsed[0], parsed[1], None


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise ManifestError("invalid TOML") from exc


def _pep508_list(items: object, scope: str | None) -> Iterator[Dependency]:
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, str) and (parsed := parse_pep508(item)):
            yield parsed[0], parsed[1], scope


def _poetry_table(table: object, scope: str | None) -> Iterator[Dependency]:
    if not isinstance(table, dict):
        return
    for name, value in table.items():
        if not isinstance(name, str) or name.lower() == "python":
            continue
        yield name, _version_value(value), scope


def _version_value(value: object) -> str | None:
    """Poetry / Pipfile: ``"^1.2"``, ``{version = "^1.2", extras = [...]}`` or ``"*"``."""
    if isinstance(value, dict):
        for key in ("version", "git", "path", "url"):
            if isinstance(value.get(key), str):
                value = value[key]
                break
        else:
            return None
    if isinstance(value, list):  # Poetry's multiple-constraint form
        return None
    return str(value) if isinstance(value, str) and value not in ("", "*") else None


def _pyproject(text: str) -> Iterator[Dependency]:
    data = _toml(text)
    project = data.get("project")
    if isinstance(project, dict):
        yield from _pep508_list(project.get("dependencies"), None)
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, items in optional.items():
                yield from _pep508_list(items, f"extra:{extra}")
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for group, items in groups.items():
            yield from _pep508_list(items, f"group:{group}")
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        yield from _poetry_table(poetry.get("dependencies"), None)
        yield from _poetry_table(poetry.get("dev-dependencies"), "dev")
        poetry_groups = poetry.get("group")
        if isinstance(poetry_groups, dict):
            for group, body in poetry_groups.items():
                if isinstance(body, dict):
                    yield from _poetry_table(body.get("dependencies"), f"group:{group}")


def _pipfile(text: str) -> Iterator[Dependency]:
    data = _toml(text)
    yield from _poetry_table(data.get("packages"), None)
    yield from _poetry_table(data.get("dev-packages"), "dev")


def _setup_cfg(text: str) -> Iterator[Dependency]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except (configparser.Error, ValueError) as exc:
        raise ManifestError("invalid setup.cfg") from exc

    def lines(value: str) -> list[str]:
        return [v.strip() for v in value.splitlines() if v.strip() and not v.startswith("#")]

    if parser.has_option("options", "install_requires"):
        yield from _pep508_list(lines(parser.get("options", "install_requires")), None)
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            yield from _pep508_list(lines(value), f"extra:{extra}")


_NPM_SECTIONS = (
    ("dependencies", None),
    ("devDependencies", "dev"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
)


def _package_json(text: str) -> Iterator[Dependency]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ManifestError("invalid JSON") from exc
    if not isinstance(data, dict):
        raise ManifestError("package.json is not an object")
    for section, scope in _NPM_SECTIONS:
        deps = data.get(section)
        if isinstance(deps, dict):
            for name, spec in deps.items():
                if isinstance(name, str):
                    yield name, spec if isinstance(spec, str) else None, scope


_GO_REQUIRE = re.compile(
    r"^\s*(?:require\s+)?([A-Za-z0-9][\w~-]*\.[\w.~-]+(?:/[\w.~+-]+)*)\s+(v[\w.+-]+)(\s*//\s*indirect)?",
    re.MULTILINE,
)


def _go_mod(text: str) -> Iterator[Dependency]:
    in_block = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("require ("):
            in_block = True
            continue
        if in_block and line.startswith(")"):
            in_block = False
            continue
        if in_block or line.startswith("require "):
            match = _GO_REQUIRE.match(line)
            if match:
                yield match.group(1), match.group(2), "indirect" if match.group(3) else None


_MAX_POM = 4 << 20
_FORBIDDEN_XML = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_PROPERTY = re.compile(r"\$\{([\w.-]+)\}")


def _pom(text: str) -> Iterator[Dependency]:
    if len(text) > _MAX_POM:
        raise ManifestError("pom.xml too large")
    if _FORBIDDEN_XML.search(text):
        raise ManifestError("pom.xml declares a DTD or entities; refused")
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs and entities refused above
    except ET.ParseError as exc:
        raise ManifestError("invalid XML") from exc

    def local(tag: object) -> str:
        return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""

    def child(element: ET.Element, name: str) -> str | None:
        for sub in element:
            if local(sub.tag) == name:
                return (sub.text or "").strip() or None
        return None

    properties: dict[str, str] = {}
    for element in root:
        if local(element.tag) == "properties":
            properties = {local(p.tag): (p.text or "").strip() for p in element}
    for element in root.iter():
        if local(element.tag) not in ("dependency", "plugin"):
            continue
        group, artifact = child(element, "groupId"), child(element, "artifactId")
        if not group or not artifact:
            continue
        version = child(element, "version")
        if version:
            version = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), version)
        scope = child(element, "scope")
        yield f"{group}:{artifact}", version, scope


# "group:artifact:version" in any Gradle configuration, and the map form with named arguments.
_GRADLE_STRING = re.compile(
    r"[\"']([A-Za-z0-9][\w.-]*):([A-Za-z0-9][\w.-]*)(?::([^\"'\s:@]+))?(?:[:@][^\"']*)?[\"']"
)
_GRADLE_MAP = re.compile(
    r"group\s*[:=]\s*[\"']([\w.-]+)[\"']\s*,\s*name\s*[:=]\s*[\"']([\w.-]+)[\"']"
    r"(?:\s*,\s*version\s*[:=]\s*[\"']([^\"']+)[\"'])?"
)


def _gradle_positions(text: str) -> Iterator[tuple[int, str, str | None]]:
    for pattern in (_GRADLE_STRING, _GRADLE_MAP):
        for m in pattern.finditer(text):
            yield m.start(), f"{m.group(1)}:{m.group(2)}", m.group(3)


def _version_catalog(text: str) -> Iterator[Dependency]:
    data = _toml(text)
    raw_versions = data.get("versions")
    versions: dict[str, Any] = raw_versions if isinstance(raw_versions, dict) else {}
    for section in ("libraries", "plugins"):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for entry in table.values():
            coordinate, version = _catalog_entry(entry, versions)
            if coordinate:
                yield coordinate, version, None


def _catalog_entry(entry: object, versions: dict[str, Any]) -> tuple[str | None, str | None]:
    """``"g:a:v"``, ``{module = "g:a", version.ref = "x"}`` or ``{group, name, version}``."""
    if isinstance(entry, str):
        parts = entry.split(":")
        if len(parts) < 2:
            return None, None
        return ":".join(parts[:2]), parts[2] if len(parts) > 2 else None
    if not isinstance(entry, dict):
        return None, None
    module = entry.get("module")
    if not isinstance(module, str) and isinstance(entry.get("group"), str):
        module = f"{entry['group']}:{entry.get('name', '')}"
    version = entry.get("version")
    if isinstance(version, dict) and isinstance(version.get("ref"), str):
        version = versions.get(version["ref"])
    return (
        module if isinstance(module, str) else None,
        version if isinstance(version, str) else None,
    )


_PARSERS: dict[str, tuple[str, str, Callable[[str], Iterable[Dependency]]]] = {
    "pyproject": ("python", "pypi", _pyproject),
    "pipfile": ("python", "pypi", _pipfile),
    "setup.cfg": ("python", "pypi", _setup_cfg),
    "package.json": ("javascript", "npm", _package_json),
    "pom": ("java", "maven", _pom),
    "gradle-catalog": ("java", "maven", _version_catalog),
    "go.mod": ("go", "go", _go_mod),
}


def scan_manifest(kind: str, path: str, text: str) -> list[SdkUse]:
    """The AI libraries a manifest of ``kind`` (see :mod:`filetypes`) declares.

    Raises :class:`ManifestError` when the manifest cannot be parsed.
    """
    lines = LineIndex(text)
    found: list[SdkUse] = []
    if kind == "requirements":
        for number, name, spec, scope in _requirements(text):
            _add(
                found,
                path,
                line=number,
                ecosystem="python",
                namespace="pypi",
                name=name,
                spec=spec,
                scope=scope,
            )
        return found
    if kind == "gradle":
        for offset, coordinate, spec in sorted(_gradle_positions(text)):
            line = lines.line(offset)
            _add(
                found,
                path,
                line=line,
                ecosystem="java",
                namespace="maven",
                name=coordinate,
                spec=spec,
                scope=None,
            )
        return found
    parser = _PARSERS.get(kind)
    if parser is None:
        return found
    ecosystem, namespace, parse = parser
    for name, spec, scope in parse(text):
        _add(
            found,
            path,
            line=None,
            ecosystem=ecosystem,
            namespace=namespace,
            name=name,
            spec=spec,
            scope=scope,
            text=text,
            lines=lines,
        )
    return found


def _add(
    found: list[SdkUse],
    path: str,
    *,
    line: int | None,
    ecosystem: str,
    namespace: str,
    name: str,
    spec: str | None,
    scope: str | None,
    text: str = "",
    lines: LineIndex | None = None,
) -> None:
    library = find_library(namespace, name)
    if library is None:
        return
    if line is None and lines is not None:
        line = _line_of(text, name.rsplit(":", maxsplit=1)[-1], lines)
    package = normalise_pypi(name) if namespace == "pypi" else name
    found.append(
        SdkUse(
            path=path,
            line=line,
            ecosystem=ecosystem,
            package=package,
            library=library.key,
            provider=library.provider,
            category=library.category,
            source="manifest",
            version_spec=spec,
            scope=scope,
        )
    )


def _line_of(text: str, name: str, lines: LineIndex) -> int | None:
    """The line where a parsed name is written: quoted, as an XML element, or as a TOML key."""
    for needle in (f'"{name}', f"'{name}", f">{name}<", f"\n{name} ", f"\n{name}="):
        at = text.find(needle)
        if at != -1:
            return lines.line(at + (1 if needle[0] == "\n" else 0))
    at = text.find(name)
    return lines.line(at) if at != -1 else None
