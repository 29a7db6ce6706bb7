"""Sensitive-data classification: which field carries which kind, and nothing where nothing is.

Identifiers are generated from their check-digit algorithms (as in tests/detect/leaks) and tokens
are assembled at run time from a seeded generator: none is real, none has a live shape in source.
"""

from __future__ import annotations

import json
import random
import string
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import iban, luhn, verhoeff
from stdnum.cn import ric
from stdnum.jp import in_ as my_number
from stdnum.kr import rrn

from wardgate.detect.leaks.validators import hkid_check_digit, sg_nric_check_letter
from wardgate.discovery.observation import Observation
from wardgate.discovery.sensitive import (
    MAX_SCANS_PER_LOCATION,
    NOT_JSON,
    SECRET_KINDS,
    classify,
    is_dynamic_key,
    name_hint,
    parse_json_body,
)

_rng = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def card(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def tfn(first_eight: str) -> str:
    weights = (1, 4, 3, 7, 5, 8, 6, 9, 10)
    partial = sum(int(d) * w for d, w in zip(first_eight, weights, strict=False))
    return first_eight + str(next(d for d in range(10) if (partial + 10 * d) % 11 == 0))


VISA = card("400000123456789")
NRIC = "S7654321" + sg_nric_check_letter("S", "7654321")
HKID = f"C668668({hkid_check_digit('C', '668668')})"
AADHAAR = "23456789012" + verhoeff.calc_check_digit("23456789012")
MY_NUMBER = "12345678901" + my_number.calc_check_digit("12345678901")
RRN = "900101-123456" + rrn.calc_check_digit("900101123456")
CN = "11010119900307123" + ric.calc_check_digit("11010119900307123" + "0")
TFN = tfn("12345678")
IBAN = "GB" + iban.calc_check_digits("GB00WEST12345698765432") + "WEST12345698765432"
GITHUB = "gh" + "p_" + rand(36)
AWS_KEY_ID = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits)
JWT = (
    "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiI0MiIsImlzcyI6Imh0dHBzOi8vaWRwLnRlc3QifQ." + rand(43)
)
PEM = "-----BEGIN " + "PRIVATE KEY-----\n" + rand(64, ALNUM + "+/") + "\n-----END PRIVATE KEY-----"
PASSWORD = "Xk9$mQ2#vL7p!"
EMAIL = "jane.doe@acme-mail.net"
PHONE = "+65 6123 4567"


def json_obs(request: Any = None, response: Any = None, **extra: Any) -> Observation:
    return Observation(
        "POST",
        "api.acme.test",
        "/v1/orders",
        request_headers=(("content-type", "application/json"), *extra.pop("headers", ())),
        request_body=None if request is None else json.dumps(request).encode(),
        status=200,
        response_headers=(("content-type", "application/json"),),
        response_body=None if response is None else json.dumps(response).encode(),
        **extra,
    )


# (request body, location, kind) — each must be reported, at exactly that location.
MUST_DETECT = [
    ({"customer": {"email": EMAIL}}, "request.body.$.customer.email", "EMAIL"),
    ({"payment": {"card": " ".join(VISA[i : i + 4] for i in range(0, 16, 4))}}, "request.body.$.payment.card", "CARD"),
    ({"card_number": int(VISA)}, "request.body.$.card_number", "CARD"),
    ({"holder": {"nric": NRIC}}, "request.body.$.holder.nric", "SG_NRIC"),
    ({"ic": "900101-14-5678"}, "request.body.$.ic", "MY_MYKAD"),
    ({"hkid": HKID}, "request.body.$.hkid", "HK_HKID"),
    ({"aadhaar": AADHAAR}, "request.body.$.aadhaar", "IN_AADHAAR"),
    ({"taxFileNumber": f"{TFN[:3]} {TFN[3:6]} {TFN[6:]}"}, "request.body.$.taxFileNumber", "AU_TFN"),
    ({"my_number": MY_NUMBER}, "request.body.$.my_number", "JP_MY_NUMBER"),
    ({"rrn": RRN}, "request.body.$.rrn", "KR_RRN"),
    ({"id_card": CN}, "request.body.$.id_card", "CN_RIC"),
    ({"iban": IBAN}, "request.body.$.iban", "IBAN"),
    ({"contact": {"phone": PHONE}}, "request.body.$.contact.phone", "PHONE"),
    ({"people": [{"email": EMAIL}, {"email": "bob@corp-mail.io"}]}, "request.body.$.people[*].email", "EMAIL"),
    ({"rows": [[EMAIL]]}, "request.body.$.rows[*][*]", "EMAIL"),
    ({"first name": EMAIL}, "request.body.$['first name']", "EMAIL"),
    ({"users": {"jane@acme-mail.net": {"phone": PHONE}}}, "request.body.$.users.*.phone", "PHONE"),
    ({"note": f"please call {PHONE} after 5pm"}, "request.body.$.note", "PHONE"),
    ({"github": GITHUB}, "request.body.$.github", "GITHUB_TOKEN"),
    ({"aws": {"access_key_id": AWS_KEY_ID}}, "request.body.$.aws.access_key_id", "AWS_ACCESS_KEY_ID"),
    ({"session": JWT}, "request.body.$.session", "JWT"),
    ({"pem": PEM}, "request.body.$.pem", "PRIVATE_KEY"),
    ({"password": PASSWORD}, "request.body.$.password", "SECRET"),
    ({"password": "****"}, "request.body.$.password", "PASSWORD (by name)"),
    ({"user": {"newPassword": "hunter2"}}, "request.body.$.user.newPassword", "PASSWORD (by name)"),
    ({"cvv": "***"}, "request.body.$.cvv", "CVV (by name)"),
    ({"cvc": 123}, "request.body.$.cvc", "CVV (by name)"),
    ({"dob": None}, "request.body.$.dob", "DATE_OF_BIRTH (by name)"),
    ({"date_of_birth": "1990-01-31"}, "request.body.$.date_of_birth", "DATE_OF_BIRTH (by name)"),
    ({"ssn": "***-**-1234"}, "request.body.$.ssn", "SSN (by name)"),
    ({"nric": "S****321D"}, "request.body.$.nric", "NRIC (by name)"),
    ({"card_number": "**** **** **** 4242"}, "request.body.$.card_number", "CARD (by name)"),
    ({"iban": ""}, "request.body.$.iban", "IBAN (by name)"),
    ({"client_secret": "[REDACTED]"}, "request.body.$.client_secret", "SECRET (by name)"),
    ({"api_key": "[REDACTED]"}, "request.body.$.api_key", "API_KEY (by name)"),
    ({"refresh_token": None}, "request.body.$.refresh_token", "TOKEN (by name)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "location", "kind"), MUST_DETECT, ids=[f"{k}-{i}" for i, (_, _, k) in enumerate(MUST_DETECT)]
)  # fmt: skip
def test_sensitive_fields_are_found(body, location, kind):
    found = classify(json_obs(body))
    assert found == {location: {kind}}


def test_response_bodies_query_headers_forms_and_text():
    observation = Observation(
        "POST",
        "api.acme.test",
        "/v1/signup",
        query=(("email", EMAIL), ("page", "2")),
        request_headers=(
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-user-phone", PHONE),
            ("authorization", f"Bearer {JWT}"),
            ("cookie", f"session={JWT}"),
            ("x-api-key", GITHUB),
        ),
        request_body=f"nric={NRIC}&plan=pro".encode(),
        status=201,
        response_headers=(("content-type", "text/plain"), ("x-debug-card", VISA)),
        response_body=f"Welcome! Your receipt went to {EMAIL}.".encode(),
    )
    assert classify(observation) == {
        "query.email": {"EMAIL"},
        "request.header.x-user-phone": {"PHONE"},
        "request.form.nric": {"SG_NRIC"},
        "response.header.x-debug-card": {"CARD"},
        "response.body": {"EMAIL"},
    }


def test_items_in_response_arrays():
    response = {"data": [{"id": i, "card": VISA, "email": EMAIL} for i in range(50)]}
    assert classify(json_obs(response=response)) == {
        "response.body.$.data[*].card": {"CARD"},
        "response.body.$.data[*].email": {"EMAIL"},
    }


MUST_NOT_DETECT = [
    {"order_id": "ORD-2024-000123", "id": "ord_8f3k2j9", "ref": "INV/2024/00042"},
    {"created_at": "2024-01-15T10:30:00Z", "updated": "2024-01-15T10:30:00.123456+08:00"},
    {"ts": 1718034567123, "ts_s": 1718034567, "ts_str": "1718034567123", "epoch": 1718034567.5},
    {"uuid": "3f2b8c1e-9a4d-4b6e-8f00-1234567890ab", "request_id": "00000000-0000-0000-0000-000000000000"},
    {"price": 19.99, "qty": 3, "total": 1234567, "discount": -5, "rate": 0.0725},
    {"sku": "SKU-1234", "version": "1.2.3", "ip": "10.0.0.1", "zip": "048616"},
    {"active": True, "deleted": False, "status": "paid", "currency": "SGD"},
    {"usage": {"prompt_tokens": 12, "completion_tokens": 200, "max_tokens": 1024}},
    {"next_page_token": "cGFnZT0y", "token_type": "Bearer", "expires_in": 3600},
    {"password_changed_at": "2024-01-15", "email_verified": True},
    {"contact": "jane@example.com", "docs": "https://docs.acme.test/v1/orders"},
    {"sha": "9fceb02d0ae598e95dc970b74767f19372d61af8", "commit": "a1b2c3d"},
    {"note": "aadhaar card no. 2", "ref": AADHAAR},  # the keyword is another field's: no bleed
    {"reference": AADHAAR},  # a bare 12-digit number is too weak alone
    {"text": "Order shipped; thank you for shopping with us!"},
]  # fmt: skip


@pytest.mark.parametrize("body", MUST_NOT_DETECT)
def test_ordinary_values_are_not_sensitive(body):
    assert classify(json_obs(body, body)) == {}


def test_credentials_in_auth_headers_are_auth_not_data():
    observation = json_obs(
        {"a": 1},
        headers=(
            ("authorization", f"Bearer {GITHUB}"),
            ("cookie", f"sid={JWT}"),
            ("x-api-key", GITHUB),
            ("x-forwarded-client-cert", PEM),
        ),
    )
    assert classify(observation) == {}


def test_values_never_come_out():
    body = {
        "email": EMAIL,
        "card": VISA,
        "nric": NRIC,
        "token": GITHUB,
        "password": PASSWORD,
        "users": {EMAIL: {"phone": PHONE}},
    }
    found = classify(json_obs(body, body, query=(("q", EMAIL),)))
    rendered = json.dumps({k: sorted(v) for k, v in found.items()})
    for value in (EMAIL, VISA, NRIC, GITHUB, PASSWORD, PHONE, "jane.doe", VISA[-4:] + '"'):
        assert value not in rendered
    assert "response.body.$.users.*.phone" in found


def test_parsed_bodies_are_used_when_given():
    observation = json_obs()  # no bodies on the record itself
    assert classify(observation, request_json={"email": EMAIL}, response_json=NOT_JSON) == {
        "request.body.$.email": {"EMAIL"}
    }
    assert parse_json_body(b'{"a": 1}', "application/json") == {"a": 1}
    assert parse_json_body(b'{"a": 1}', "") == {"a": 1}
    assert parse_json_body(b'{"a": 1', "application/json") is NOT_JSON
    assert parse_json_body(b"a=1", "application/x-www-form-urlencoded") is NOT_JSON
    assert parse_json_body(None, "application/json") is NOT_JSON


def test_truncated_json_is_still_scanned_as_text():
    observation = Observation(
        "GET",
        "h",
        "/",
        status=200,
        response_headers=(("content-type", "application/json"),),
        response_body=json.dumps({"email": EMAIL, "pad": "x" * 100})[:60].encode(),
        response_truncated=True,
    )
    assert classify(observation) == {}  # JSON cut short is neither JSON nor declared text


def test_work_is_bounded():
    huge = {"rows": [{"email": f"user{i}@acme-mail.net", "n": i} for i in range(20_000)]}
    deep: Any = {"email": EMAIL}
    for _ in range(200):
        deep = {"a": deep}
    start = time.perf_counter()
    assert classify(json_obs(huge)) == {"request.body.$.rows[*].email": {"EMAIL"}}
    assert classify(json_obs(deep)) == {}  # past MAX_DEPTH: not walked
    assert time.perf_counter() - start < 1.0


def test_scans_per_location_are_capped(monkeypatch):
    from wardgate.discovery import sensitive

    scanned: list[int] = []
    original = sensitive._Scan.findings

    def spy(self):
        scanned.append(len(self.starts))
        return original(self)

    monkeypatch.setattr(sensitive._Scan, "findings", spy)
    classify(json_obs({"rows": [{"email": f"u{i}@acme-mail.net"} for i in range(40)]}))
    assert scanned == [MAX_SCANS_PER_LOCATION]


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("password", "PASSWORD"),
        ("user_passwd", "PASSWORD"),
        ("password_hash", "PASSWORD"),
        ("password_changed_at", None),
        ("accessToken", "TOKEN"),
        ("next_page_token", None),
        ("max_tokens", None),
        ("token_type", None),
        ("cardNumber", "CARD"),
        ("cvv2", "CVV"),
        ("birthDate", "DATE_OF_BIRTH"),
        ("x-api-key", "API_KEY"),
        ("customer_email", "EMAIL"),
        ("mobile_number", "PHONE"),
        ("name", None),
        ("id", None),
    ],
)
def test_name_hints(name, hint):
    assert name_hint(name) == hint


@pytest.mark.parametrize(
    ("key", "dynamic"),
    [
        ("email", False),
        ("sha256", False),
        ("address_line1", False),
        ("x509Certificate", False),
        ("12345", True),
        ("2024-01-15", True),
        ("jane@acme-mail.net", True),
        ("3f2b8c1e-9a4d-4b6e-8f00-1234567890ab", True),
        ("8f3ka92b1c", True),
        ("k" * 65, True),
    ],
)
def test_dynamic_keys(key, dynamic):
    assert is_dynamic_key(key) is dynamic


def test_secret_kinds_name_the_providers():
    assert {"SECRET", "GITHUB_TOKEN", "JWT", "PRIVATE_KEY", "AWS_ACCESS_KEY_ID"} <= SECRET_KINDS
    assert "ASSIGNMENT" not in SECRET_KINDS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from([EMAIL, VISA, NRIC, PHONE, "2024-01-15", "x" * 3000]),
    lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=10), c, max_size=5),
    max_leaves=25,
)  # fmt: skip
PREFIXES = (
    "query",
    "request.header.",
    "request.body",
    "request.form.",
    "response.header.",
    "response.body",
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    json_values,
    st.binary(max_size=300),
    st.sampled_from(["application/json", "", "text/plain", "application/x-www-form-urlencoded", "image/png"]),
    st.lists(st.tuples(st.text(max_size=10), st.text(max_size=30)), max_size=4),
)  # fmt: skip
def test_never_raises_and_only_names_known_places(value, raw, content_type, pairs):
    observation = Observation(
        "POST",
        "h",
        "/",
        query=tuple(pairs),
        request_headers=(("content-type", content_type), *((k.lower(), v) for k, v in pairs)),
        request_body=raw,
        response_headers=(("content-type", "application/json"),),
        response_body=json.dumps(value).encode(),
    )
    found = classify(observation)
    for location, kinds in found.items():
        assert location.startswith(PREFIXES)
        assert kinds
        for kind in kinds:
            assert kind.replace(" (by name)", "").replace("_", "").isalnum()


def test_speed_on_a_realistic_body():
    body = {
        "id": "ord_912265b1f5",
        "created_at": "2024-01-15T10:30:00Z",
        "status": "paid",
        "amount_total": 12345,
        "customer": {"id": "cus_7e1e2feb89", "email": EMAIL, "name": "Jane Doe", "phone": None,
                     "address": {"line1": "1 Raffles Place", "city": "Singapore", "postal_code": "048616"}},
        "items": [{"sku": f"SKU-{1000 + i}", "qty": 2, "price": 19.99, "title": "Blue widget"} for i in range(4)],
        "metadata": {"source": "web"},
        "request_id": "3f2b8c1e-9a4d-4b6e-8f00-1234567890ab",
    }  # fmt: skip
    observation = json_obs(response=body)
    parsed = parse_json_body(observation.response_body, "application/json")
    classify(observation, request_json=NOT_JSON, response_json=parsed)
    start = time.perf_counter()
    for _ in range(200):
        classify(observation, request_json=NOT_JSON, response_json=parsed)
    per_call_us = (time.perf_counter() - start) / 200 * 1e6
    # ~40 µs measured (walk ~20, PII ~15 with its e-mail, secrets ~3); the bound catches blow-ups.
    assert per_call_us < 500, per_call_us
