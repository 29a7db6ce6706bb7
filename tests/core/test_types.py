import json

import pytest

from wardgate.core import (
    Action,
    Atlas,
    Category,
    Exchange,
    Finding,
    HttpRequest,
    HttpResponse,
    Identity,
    OwaspApi,
    OwaspLlm,
    Phase,
    Severity,
    Span,
    Verdict,
    parse_tag,
)


def _finding() -> Finding:
    return Finding(
        detector="signatures",
        category=Category.PROMPT_INJECTION,
        score=0.9,
        severity=Severity.HIGH,
        span=Span(3, 20),
        evidence="ignore previous",
        tags=(OwaspLlm.PROMPT_INJECTION, Atlas.DIRECT_PROMPT_INJECTION),
        chain=("base64",),
        rule_id="pi.override",
    )


def test_finding_round_trips_through_json():
    f = _finding()
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_exchange_round_trips_through_json():
    ex = Exchange(
        request=HttpRequest(
            "POST", "https://api.example/v1/chat", (("Content-Type", "x"),), b"\x00hi"
        ),
        identity=Identity("svc-a", tenant="bank", method="api_key", scopes=("chat",)),
        metadata={"route": "openai"},
    )
    ex = ex.with_findings([_finding()]).with_response(HttpResponse(200, (), b"ok"))
    ex = ex.with_verdict(Verdict(Action.BLOCK, policy_ids=("p1",), finding_indexes=(0,)))
    back = Exchange.from_dict(json.loads(json.dumps(ex.to_dict())))
    assert back == ex
    assert back.phase is Phase.RESPONSE
    assert back.request.header("content-type") == "x"


def test_core_types_are_frozen():
    f = _finding()
    with pytest.raises(AttributeError):
        f.score = 0.1  # type: ignore[misc]


@pytest.mark.parametrize("score", [-0.01, 1.01])
def test_score_outside_unit_interval_is_rejected(score):
    with pytest.raises(ValueError, match="outside"):
        Finding("d", Category.PII, score, Severity.LOW)


def test_span_validates_and_overlaps():
    with pytest.raises(ValueError, match="invalid span"):
        Span(5, 2)
    assert Span(0, 5).overlaps(Span(4, 9))
    assert not Span(0, 5).overlaps(Span(5, 9))


@pytest.mark.parametrize(
    ("tag", "member"),
    [
        ("LLM01", OwaspLlm.PROMPT_INJECTION),
        ("LLM07", OwaspLlm.SYSTEM_PROMPT_LEAKAGE),
        ("API7", OwaspApi.SERVER_SIDE_REQUEST_FORGERY),
        ("AML.T0051.001", Atlas.INDIRECT_PROMPT_INJECTION),
        ("AML.T0054", Atlas.LLM_JAILBREAK),
        ("AML.T0056", Atlas.META_PROMPT_EXTRACTION),
        ("AML.T0057", Atlas.LLM_DATA_LEAKAGE),
        ("AML.T0024.002", Atlas.EXTRACT_ML_MODEL),
    ],
)
def test_taxonomy_ids_are_the_official_ones(tag, member):
    assert parse_tag(tag) is member


@pytest.mark.parametrize("tag", ["LLM11", "API0", "AML.T9999", "llm01x"])
def test_unknown_taxonomy_id_is_an_error(tag):
    with pytest.raises(ValueError, match="unknown taxonomy id"):
        parse_tag(tag)


def test_severity_orders_and_parses():
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM
    assert Severity.parse("high") is Severity.HIGH
    assert str(Severity.LOW) == "low"
