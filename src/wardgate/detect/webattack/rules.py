"""The compiled signature table for web attacks other than SQL injection and XSS.

Every pattern is linear-time by construction: no nested unbounded quantifiers, every gap is a
bounded repeat, so hostile input cannot make a rule backtrack catastrophically. Each rule carries
a list of lower-case trigger literals; the pattern only runs when one occurs in the text, which
keeps a multi-megabyte value cheap. ``scope`` says whether a rule is specific enough to run on
free prose (chat prompts full of code) or only on parameter values, where the bar is lower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from wardgate.core.finding import Severity


class Attack(StrEnum):
    """The attack families this detector recognises; each maps to one set of taxonomy tags."""

    SQLI = "sqli"
    XSS = "xss"
    PATH_TRAVERSAL = "path_traversal"
    COMMAND_INJECTION = "cmdi"
    SSRF = "ssrf"
    LDAP_INJECTION = "ldapi"
    NOSQL_INJECTION = "nosqli"
    TEMPLATE_INJECTION = "ssti"
    XXE = "xxe"
    CRLF_INJECTION = "crlf"
    LOG4SHELL = "log4shell"


class Scope(StrEnum):
    """Where a rule may fire: on any text, or only on a parameter value."""

    ANY = "any"
    VALUE = "value"


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled signature and what a match means."""

    rule_id: str
    attack: Attack
    pattern: re.Pattern[str]
    score: float
    severity: Severity
    message: str
    scope: Scope
    triggers: tuple[str, ...]


_FLAGS = re.IGNORECASE


MAX_GAP = 16
"""Whitespace runs inside a signature are bounded so adjacent optional gaps cannot backtrack."""


def bounded(pattern: str) -> str:
    """Rewrite unbounded whitespace repeats to at most MAX_GAP characters."""
    return pattern.replace(r"\s*", rf"\s{{0,{MAX_GAP}}}").replace(r"\s+", rf"\s{{1,{MAX_GAP}}}")


def _rule(  # noqa: PLR0917 - a positional table row per rule keeps RULES readable
    rule_id: str,
    attack: Attack,
    pattern: str,
    score: float,
    severity: Severity,
    message: str,
    scope: Scope,
    triggers: tuple[str, ...],
) -> Rule:
    return Rule(
        rule_id,
        attack,
        re.compile(bounded(pattern), _FLAGS),
        score,
        severity,
        message,
        scope,
        triggers,
    )


# -- path traversal -------------------------------------------------------------------------------
_ENC_DOT = r"(?:%2e|%252e|%c0%ae|%e0%80%ae|%c0%2e|%u002e|%uff0e)"
_ENC_SEP = r"(?:%2f|%5c|%252f|%255c|%c0%af|%c1%9c|%c1%1c|%e0%80%af|%u2215|%u2216|%uefc8|%uf025)"
_SENSITIVE_FILE = (
    r"(?:etc[/\\]+(?:passwd|shadow|group|hosts|issue|sudoers)\b|proc[/\\]+self[/\\]"
    r"|win\.ini\b|boot\.ini\b|system32\b|\.ssh[/\\]|\.aws[/\\]+credentials\b|\.htpasswd\b"
    r"|web\.config\b|wp-config\.php\b|\.git[/\\]+config\b)"
)

# -- command injection ----------------------------------------------------------------------------
_SHELL_CMD = (
    r"(?:cat|head|tail|more|less|ls|dir|id|whoami|uname|hostname|ifconfig|ipconfig|netstat|ps"
    r"|wget|curl|nc|ncat|netcat|telnet|socat|bash|sh|zsh|ksh|dash|powershell|pwsh|cmd(?:\.exe)?"
    r"|ping|nslookup|dig|sleep|timeout|echo|printf|rm|chmod|chown|mkfifo|python[23]?|perl|ruby"
    r"|php|node|busybox|base64|env|type|net|systeminfo|tasklist|certutil|bitsadmin|xterm"
    r"|/bin/[a-z]{1,12}|/usr/bin/[a-z]{1,12})"
)

# -- NoSQL ----------------------------------------------------------------------------------------
NOSQL_OPERATORS: frozenset[str] = frozenset(
    {
        *("$ne", "$eq", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$where"),
        *("$exists", "$expr", "$or", "$and", "$nor", "$not", "$elemMatch", "$function"),
        *("$accumulator", "$jsonSchema", "$options"),
    }
)
_NOSQL_OP = (
    r"\$(?:ne|eq|gte?|lte?|n?in|regex|where|exists|expr|n?or|and|not|elemMatch|function"
    r"|accumulator|jsonSchema)"
)

RULES: tuple[Rule, ...] = (
    # path traversal
    _rule(
        "web.path_traversal.encoded",
        Attack.PATH_TRAVERSAL,
        rf"{_ENC_DOT}(?:{_ENC_DOT}|\.)(?:{_ENC_SEP}|[/\\])|\.{_ENC_DOT}(?:{_ENC_SEP}|[/\\])"
        rf"|\.\.{_ENC_SEP}",
        0.9,
        Severity.HIGH,
        "percent-encoded directory traversal sequence",
        Scope.ANY,
        ("%",),
    ),
    _rule(
        "web.path_traversal.overlong_utf8",
        Attack.PATH_TRAVERSAL,
        r"%c0%a[ef]|%c1%9c|%c1%1c|%e0%80%a[ef]",
        0.85,
        Severity.HIGH,
        "overlong UTF-8 encoding of '.' or '/', a filter-evasion trick",
        Scope.ANY,
        ("%c0", "%c1", "%e0"),
    ),
    _rule(
        "web.path_traversal.sensitive_file",
        Attack.PATH_TRAVERSAL,
        rf"\.\.[/\\](?:[\w.-]{{0,40}}[/\\]){{0,8}}{_SENSITIVE_FILE}",
        0.95,
        Severity.CRITICAL,
        "directory traversal towards a well-known sensitive file",
        Scope.ANY,
        ("..",),
    ),
    _rule(
        "web.path_traversal.sensitive_path",
        Attack.PATH_TRAVERSAL,
        r"(?:^|[/\\=:])(?:etc[/\\]+(?:passwd|shadow)\b|proc[/\\]+self[/\\]+(?:environ|cmdline|fd|maps)"
        r"|(?:[a-z]:)?[/\\]?windows[/\\]+(?:win\.ini|system32)\b|win\.ini\b|boot\.ini\b)",
        0.75,
        Severity.HIGH,
        "parameter names a well-known sensitive system file",
        Scope.VALUE,
        ("passwd", "shadow", "proc", "win", "boot.ini"),
    ),
    _rule(
        "web.path_traversal",
        Attack.PATH_TRAVERSAL,
        r"\.\.[/\\]|[/\\]\.\.(?:[/\\]|\Z)",
        0.7,
        Severity.MEDIUM,
        "parameter climbs out of its directory with '..'",
        Scope.VALUE,
        ("..",),
    ),
    _rule(
        "web.path_traversal.null_byte",
        Attack.PATH_TRAVERSAL,
        r"\.[a-z0-9]{1,6}(?:%00|\x00)|(?:%00|\x00)\.[a-z0-9]{1,6}\b",
        0.85,
        Severity.HIGH,
        "null byte next to a file extension truncates the path in native code",
        Scope.ANY,
        ("%00", "\x00"),
    ),
    _rule(
        "web.path_traversal.null_byte_in_value",
        Attack.PATH_TRAVERSAL,
        r"%00|\x00",
        0.7,
        Severity.MEDIUM,
        "null byte inside a parameter value",
        Scope.VALUE,
        ("%00", "\x00"),
    ),
    # OS command injection
    _rule(
        "web.cmdi.ifs",
        Attack.COMMAND_INJECTION,
        r"\$\{IFS\}|\$IFS\$\d|\{IFS\}",
        0.9,
        Severity.HIGH,
        "${IFS} used as a space substitute in a shell payload",
        Scope.ANY,
        ("ifs",),
    ),
    _rule(
        "web.cmdi.reverse_shell",
        Attack.COMMAND_INJECTION,
        r"/dev/tcp/[\w.-]{1,255}/\d{1,5}|\bnc(?:at)?\s+(?:-[a-z]{1,4}\s+){0,4}-[a-z]{0,3}e\s+/bin/"
        r"|\bbash\s+-i\s*>&|\bmkfifo\s+/tmp/\w|\bsocat\s+[^\n]{0,80}\bexec:",
        0.95,
        Severity.CRITICAL,
        "reverse-shell command",
        Scope.ANY,
        ("/dev/tcp", "nc", "bash", "mkfifo", "socat"),
    ),
    _rule(
        "web.cmdi.recon",
        Attack.COMMAND_INJECTION,
        r"(?:;|\|\|?|&&|\$\()\s*(?:id|whoami|uname\s+-a)\s*(?:[;|)&]|\Z)"
        r"|(?:[;&|`]|\$\()\s*(?:cat|type|more|head|tail)\s+(?:/etc/(?:passwd|shadow)|[a-z]:\\windows\\win\.ini)",
        0.9,
        Severity.HIGH,
        "shell separator followed by a reconnaissance command",
        Scope.ANY,
        (";", "|", "&", "$(", "`"),
    ),
    _rule(
        "web.cmdi",
        Attack.COMMAND_INJECTION,
        rf"(?:[;&|\n`]|\$\()\s*{_SHELL_CMD}(?:\s*(?:\Z|[`);&|])|\s+(?:[-/.~$'\"\d]|https?:|[a-z]:\\))",
        0.85,
        Severity.HIGH,
        "shell separator followed by a shell command",
        Scope.VALUE,
        (";", "|", "&", "$(", "`", "\n"),
    ),
    _rule(
        "web.cmdi.download_exec",
        Attack.COMMAND_INJECTION,
        r"\b(?:wget|curl)\s[^\n|;]{1,200}\|\s*(?:ba|z|k|da)?sh\b",
        0.9,
        Severity.CRITICAL,
        "download piped into a shell",
        Scope.VALUE,
        ("wget", "curl"),
    ),
    # SSRF (host analysis of URLs lives in ssrf.py)
    _rule(
        "web.ssrf.cloud_metadata",
        Attack.SSRF,
        r"169\.254\.169\.254|169\.254\.170\.2\b|metadata\.google\.internal|100\.100\.100\.200"
        r"|fd00:ec2::254|metadata\.azure\.internal|/latest/meta-data\b|/computeMetadata/v1\b"
        r"|/metadata/identity/oauth2\b|/opc/v[12]/instance\b",
        0.95,
        Severity.CRITICAL,
        "cloud instance-metadata endpoint (credential theft target)",
        Scope.ANY,
        ("169.254.", "metadata", "100.100.100.200", "fd00:ec2", "meta-data", "/opc/v"),
    ),
    _rule(
        "web.ssrf.scheme",
        Attack.SSRF,
        r"\b(?:gopher|dict|jar|netdoc|phar|expect|tftp)://",
        0.9,
        Severity.HIGH,
        "URL scheme used to smuggle raw protocol traffic through a fetcher",
        Scope.ANY,
        ("://",),
    ),
    _rule(
        "web.ssrf.file_scheme",
        Attack.SSRF,
        r"\bfile:/{1,3}(?:[a-z]:[/\\])?(?:etc/|proc/|windows[/\\]|root/|home/|var/|users[/\\]|c:)"
        r"|\A\s*file:/",
        0.85,
        Severity.HIGH,
        "file:// URL pointing into the server's filesystem",
        Scope.VALUE,
        ("file:",),
    ),
    _rule(
        "web.ssrf.file_scheme",
        Attack.SSRF,
        r"\bfile:/{1,3}(?:etc/(?:passwd|shadow)|proc/self/)",
        0.9,
        Severity.HIGH,
        "file:// URL pointing at a sensitive system file",
        Scope.ANY,
        ("file:",),
    ),
    _rule(
        "web.ssrf.internal_scheme",
        Attack.SSRF,
        r"\A\s*(?:ldaps?|sftp|smb|ftp)://",
        0.6,
        Severity.MEDIUM,
        "URL-valued parameter with an unusual scheme for a server-side fetch",
        Scope.VALUE,
        ("://",),
    ),
    # LDAP injection
    _rule(
        "web.ldapi",
        Attack.LDAP_INJECTION,
        r"\*\s*\)\s*\(\s*\(?\s*[|&!]?\s*\(?\s*[\w-]{1,40}\s*=|\)\s*\(\s*\|\s*\(\s*[\w-]{1,40}\s*=\s*\*",
        0.85,
        Severity.HIGH,
        "LDAP filter break-out with a wildcard",
        Scope.ANY,
        (")(",),
    ),
    _rule(
        "web.ldapi.filter",
        Attack.LDAP_INJECTION,
        r"\)\s*\(\s*[|&!]|\(\s*[|&]\s*\(\s*[\w-]{1,40}\s*[~<>]?=|\)\s*\(\s*[\w-]{1,40}\s*=\s*\*",
        0.75,
        Severity.HIGH,
        "LDAP filter syntax inside a parameter value",
        Scope.VALUE,
        ("(",),
    ),
    # NoSQL operator injection
    _rule(
        "web.nosqli.where",
        Attack.NOSQL_INJECTION,
        r"\$where\s*[\"']?\s*:\s*[\"']?[^\"'\n$]{0,120}?(?:sleep\s*\(|while\s*\(\s*(?:true|1)"
        r"|this\.\w|return\s+true|function\s*\()",
        0.9,
        Severity.HIGH,
        "MongoDB $where clause carrying JavaScript",
        Scope.ANY,
        ("$where",),
    ),
    _rule(
        "web.nosqli.auth_bypass",
        Attack.NOSQL_INJECTION,
        rf"\{{\s*[\"']?\$(?:ne|gt|regex|nin|exists)[\"']?\s*:\s*(?:null|\"\"|''|1|true|[\"']\.\*[\"']|\[\s*\])\s*\}}"
        rf"|\[\s*{_NOSQL_OP}\s*\]\s*=",
        0.8,
        Severity.HIGH,
        "NoSQL operator shaped to match any record (authentication bypass)",
        Scope.ANY,
        ("$",),
    ),
    _rule(
        "web.nosqli.operator",
        Attack.NOSQL_INJECTION,
        rf"\[\s*{_NOSQL_OP}\s*\]|[\"']?{_NOSQL_OP}[\"']?\s*:",
        0.8,
        Severity.HIGH,
        "NoSQL query operator inside a parameter value",
        Scope.VALUE,
        ("$",),
    ),
    # server-side template injection
    _rule(
        "web.ssti.probe",
        Attack.TEMPLATE_INJECTION,
        r"\{\{\s*\d{1,4}\s*\*\s*['\"]?\d{1,4}['\"]?\s*\}\}|\$\{\s*\d{1,4}\s*\*\s*\d{1,4}\s*\}"
        r"|<%=\s*\d{1,4}\s*\*\s*\d{1,4}\s*%>|#\{\s*\d{1,4}\s*\*\s*\d{1,4}\s*\}"
        r"|@\(\s*\d{1,4}\s*\*\s*\d{1,4}\s*\)|\*\{\s*\d{1,4}\s*\*\s*\d{1,4}\s*\}",
        0.85,
        Severity.HIGH,
        "template-engine arithmetic probe (e.g. {{7*7}})",
        Scope.ANY,
        ("{", "<%", "@("),
    ),
    _rule(
        "web.ssti.gadget",
        Attack.TEMPLATE_INJECTION,
        r"\{\{[^{}]{0,200}?(?:__class__|__mro__|__subclasses__|__globals__|__builtins__|__import__"
        r"|config\.items\(|self\._TemplateReference|lipsum\.__|cycler\.__|joiner\.__"
        r"|request\.application\.|get_flashed_messages\.__|constructor\.constructor\()"
        r"|[$*#]\{[^{}]{0,200}?(?:Runtime\.getRuntime|ProcessBuilder|T\(java\.lang|forName\(|\.exec\()"
        r"|freemarker\.template\.utility\.Execute|<#assign[^>]{0,100}\?new\(\)"
        r"|\.getClass\(\)\s*\.\s*forName\s*\(|#set\s*\(\s*\$\w{1,40}\s*=[^)]{0,80}\.getClass\(\)"
        r"|_self\.env\.registerUndefinedFilterCallback|\{php\}|\{system\("
        r"|<%=?\s*(?:system|exec|IO\.popen|%x|File\.read|eval)\b",
        0.95,
        Severity.CRITICAL,
        "template-engine sandbox escape or code execution gadget",
        Scope.ANY,
        ("{", "<%", "freemarker", "#set"),
    ),
    # XML external entities
    _rule(
        "web.xxe",
        Attack.XXE,
        r"<!ENTITY\s+(?:%\s*)?[\w.-]{1,80}\s+(?:SYSTEM|PUBLIC)\b",
        0.95,
        Severity.CRITICAL,
        "XML external entity declaration",
        Scope.ANY,
        ("<!entity",),
    ),
    _rule(
        "web.xxe.external_dtd",
        Attack.XXE,
        r"<!DOCTYPE\s+[\w:.-]{1,80}\s+(?:SYSTEM|PUBLIC)\s+[\"'](?:https?|file|ftp|php|expect|jar|gopher):",
        0.85,
        Severity.HIGH,
        "XML document loading an external DTD",
        Scope.ANY,
        ("<!doctype",),
    ),
    _rule(
        "web.xxe.entity_expansion",
        Attack.XXE,
        r"<!ENTITY\s+[\w.-]{1,80}\s+[\"'](?:\s*&[\w.-]{1,80};){3,}",
        0.9,
        Severity.HIGH,
        "recursive XML entity expansion (billion laughs)",
        Scope.ANY,
        ("<!entity",),
    ),
    _rule(
        "web.xxe.xinclude",
        Attack.XXE,
        r"<xi:include\b[^>]{0,200}\bhref\s*=",
        0.85,
        Severity.HIGH,
        "XInclude pulling an external resource into an XML document",
        Scope.ANY,
        ("xi:include",),
    ),
    # CRLF / header injection
    _rule(
        "web.crlf.encoded",
        Attack.CRLF_INJECTION,
        r"(?:%0d|%0a|%e5%98%8a|%e5%98%8d|%u000d|%u000a){1,4}(?:\s|%20|%09){0,4}(?:[a-z][\w-]{0,40}\s*(?::|%3a)|<)",
        0.85,
        Severity.HIGH,
        "encoded CR/LF followed by an injected header or markup",
        Scope.ANY,
        ("%0d", "%0a", "%e5%98", "%u000"),
    ),
    _rule(
        "web.crlf",
        Attack.CRLF_INJECTION,
        r"(?:[\r\n]|\\r|\\n)\s*(?:set-cookie|location|content-type|content-length|host|refresh"
        r"|transfer-encoding|x-[\w-]{1,40}|access-control-[\w-]{1,40})\s*:",
        0.85,
        Severity.HIGH,
        "CR/LF inside a parameter value followed by an HTTP header",
        Scope.VALUE,
        ("\r", "\n", "\\r", "\\n"),
    ),
    # Log4Shell: the obfuscated forms are handled in log4shell.py; this catches the encoded form
    _rule(
        "web.log4shell.encoded",
        Attack.LOG4SHELL,
        r"%24%7b(?:\s*jndi|%24%7b|lower|upper|::-|env)",
        0.9,
        Severity.CRITICAL,
        "URL-encoded Log4j lookup",
        Scope.ANY,
        ("%24%7b",),
    ),
)
