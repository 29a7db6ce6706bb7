import contextlib
import gzip
import io
import lzma
import pickle
import pickletools
import time
import zlib
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ai_inventory.scan.builders import (
    EvalPayload,
    malicious_pickle,
    memo_obfuscated_pickle,
    torch_state_dict_pickle,
    zip_checkpoint,
)
from wardgate.ai_inventory.scan.errors import ArtefactParseError
from wardgate.ai_inventory.scan.pickles import (
    UNPARSEABLE,
    UNRESOLVED,
    classify_global,
    inspect_pickle_file,
    scan_pickle,
    sniff,
)


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_os_system_payload_is_critical_and_never_runs(tmp_path, protocol):
    marker = tmp_path / "pwned"
    data = malicious_pickle(marker, protocol=protocol)
    verdict = scan_pickle(data)
    assert verdict.severity == "critical"
    assert any(name.endswith(".system") for name in verdict.critical)
    assert verdict.critical[0].split(".")[0] in ("posix", "nt", "os")
    assert not marker.exists()  # scanning never executed the payload


def test_eval_payload_is_critical():
    verdict = scan_pickle(pickle.dumps(EvalPayload()))
    assert verdict.critical == ["builtins.eval"]


def test_memo_obfuscated_stack_global_is_resolved():
    verdict = scan_pickle(memo_obfuscated_pickle())
    assert verdict.critical == ["os.system"]


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1.0, 2.0], "c": "text", "d": (1, 2), "e": {1, 2}, "f": b"raw"},
        OrderedDict(x=1),
        [None, True, 1.5, 2**70, "é"],
    ],
)
def test_plain_data_is_not_flagged(value):
    for protocol in range(6):
        verdict = scan_pickle(pickle.dumps(value, protocol=protocol))
        assert verdict.severity is None, (protocol, verdict.unsafe)
        assert verdict.pickles == 1


def test_torch_state_dict_globals_are_allowlisted():
    verdict = scan_pickle(torch_state_dict_pickle())
    assert verdict.severity is None
    assert verdict.globals == [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch.FloatStorage",
    ]


def test_unknown_classes_are_unsafe_but_not_critical():
    verdict = scan_pickle(pickle.dumps(ValueError("x")))
    assert verdict.severity == "warning"
    assert verdict.unsafe == ["builtins.ValueError"]
    assert verdict.critical == []


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        ("torch._utils", "_rebuild_tensor_v2", "safe"),
        ("torch", "BFloat16Storage", "safe"),
        ("numpy.core.multiarray", "_reconstruct", "safe"),
        ("numpy.dtypes", "Float32DType", "safe"),
        ("builtins", "set", "safe"),
        ("builtins", "eval", "critical"),
        ("__builtin__", "getattr", "critical"),
        ("subprocess", "Popen", "critical"),
        ("os.path", "join", "critical"),
        ("runpy", "run_path", "critical"),
        ("webbrowser", "open", "critical"),
        ("socket", "create_connection", "critical"),
        ("torch.storage", "_load_from_bytes", "critical"),
        ("numpy", "load", "critical"),
        ("sklearn.linear_model._base", "LinearRegression", "unsafe"),
        ("argparse", "Namespace", "unsafe"),
    ],
)
def test_global_classification(module, name, expected):
    assert classify_global(module, name) == expected


def test_legacy_torch_sequence_is_walked_past_the_first_pickle():
    first = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    data = first + pickle.dumps(1001, protocol=2) + pickle.dumps({"a": 1}, protocol=2)
    evil = data + memo_obfuscated_pickle().replace(b"\x80\x04", b"\x80\x02", 1) + b"\x00raw storage"
    assert scan_pickle(data).pickles == 3
    assert scan_pickle(evil).critical == ["os.system"]


def test_stack_global_from_non_strings_is_flagged():
    data = b"\x80\x04K\x01K\x02\x93."
    assert UNRESOLVED in scan_pickle(data).unsafe


def test_extension_registry_is_flagged():
    assert scan_pickle(b"\x80\x02\x82\x01.").unsafe == ["copyreg.extension:1"]


def test_a_stream_that_breaks_after_starting_is_suspicious(tmp_path):
    good = pickle.dumps({"a": 1}, protocol=2)
    verdict = scan_pickle(good[:-1] + b"\xff")
    assert UNPARSEABLE in verdict.unsafe
    # ...but running out of bytes because the read was bounded is expected.
    assert scan_pickle(good[:-3], truncated=True).unsafe == []
    # A payload before the break is still reported: the loader would have run it.
    broken = malicious_pickle(tmp_path / "m", protocol=2)[:-1] + b"\xff"
    assert scan_pickle(broken).severity == "critical"


def test_non_pickle_raises():
    with pytest.raises(ArtefactParseError):
        scan_pickle(b"\xffnot a pickle")
    with pytest.raises(ArtefactParseError):
        scan_pickle(b"")


def test_opcode_budget_marks_truncation():
    data = pickle.dumps(list(range(1000)), protocol=0)
    verdict = scan_pickle(data, max_ops=50)
    assert verdict.truncated
    assert verdict.opcodes == 50


def _file(data: bytes, **kw):
    return inspect_pickle_file(io.BytesIO(data), len(data), **kw)


def test_zip_checkpoint_with_malicious_data_pkl(tmp_path):
    marker = tmp_path / "pwned"
    fmt, meta, verdict = _file(
        zip_checkpoint(malicious_pickle(marker, protocol=2), torchscript=True)
    )
    assert fmt == "torch-zip"
    assert meta["pickles"] == ["archive/data.pkl"]
    assert meta["torchscript"] is True
    assert verdict.severity == "critical"
    assert not marker.exists()


def test_zip_checkpoint_with_state_dict_is_clean():
    fmt, _meta, verdict = _file(zip_checkpoint(torch_state_dict_pickle()))
    assert (fmt, verdict.severity) == ("torch-zip", None)


@pytest.mark.parametrize(
    ("compress", "kind"),
    [
        (gzip.compress, "gzip"),
        (zlib.compress, "zlib"),
        (lzma.compress, "xz"),
        (lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE), "lzma"),
    ],
)
def test_compressed_pickles_are_inflated(tmp_path, compress, kind):
    fmt, meta, verdict = _file(compress(malicious_pickle(tmp_path / "m")))
    assert (fmt, meta["compressed"], verdict.severity) == (f"pickle+{kind}", kind, "critical")


def test_decompression_is_bounded():
    bomb = gzip.compress(b"\x80\x04]" + b"\x00" * (8 << 20))
    started = time.perf_counter()
    fmt, _meta, verdict = _file(bomb, limit=1 << 16)
    assert fmt == "pickle+gzip"
    assert verdict.truncated
    assert time.perf_counter() - started < 2


def test_bin_files_need_a_recognisable_format():
    assert _file(b"\x00\x01\x02 firmware", require_magic=True) is None
    assert _file(pickle.dumps({"a": 1}, protocol=4), require_magic=True)[0] == "pickle"


def test_hostile_zip_directory_is_refused():
    eocd = (
        b"PK\x05\x06"
        + b"\x00" * 6
        + (60000).to_bytes(2, "little")
        + (2**31).to_bytes(4, "little")
        + b"\x00" * 6
    )
    with pytest.raises(ArtefactParseError):
        _file(b"PK\x03\x04" + b"\x00" * 100 + eocd)


def test_sniff():
    assert sniff(b"PK\x03\x04") == "zip"
    assert sniff(b"\x80\x04\x95") == "pickle"
    assert sniff(b"\x1f\x8b\x08") == "gzip"
    assert sniff(b"GGUF") is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_parse_errors(data):
    with contextlib.suppress(ArtefactParseError):
        scan_pickle(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_protocol_4_streams_raise_only_parse_errors(body):
    with contextlib.suppress(ArtefactParseError):
        scan_pickle(b"\x80\x04" + body)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\x78\x9c", b"\x80\x02"]),
    st.binary(max_size=512),
)
def test_arbitrary_containers_raise_only_parse_errors(magic, body):
    with contextlib.suppress(ArtefactParseError):
        _file(magic + body)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.integers() | st.text() | st.floats(allow_nan=False),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_plain_data_of_any_shape_is_clean(value):
    data = pickle.dumps(value, protocol=4)
    assert scan_pickle(data).severity is None
    pickletools.dis(data, out=io.StringIO())  # the builder and the walker agree it is a pickle
