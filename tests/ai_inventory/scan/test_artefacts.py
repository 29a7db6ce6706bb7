import hashlib
import pickle

import pytest

from tests.ai_inventory.scan.builders import (
    gguf_bytes,
    malicious_pickle,
    onnx_bytes,
    safetensors_bytes,
    write,
    zip_checkpoint,
)
from wardgate.ai_inventory.scan.artefacts import inspect_artefact


@pytest.mark.parametrize(
    ("name", "parser", "data", "fmt", "field", "value"),
    [
        ("m.safetensors", "safetensors", safetensors_bytes(), "safetensors", "tensors", 2),
        ("m.gguf", "gguf", gguf_bytes(), "gguf", "architecture", "llama"),
        ("m.onnx", "onnx", onnx_bytes(), "onnx", "producer_name", "pytorch"),
        ("m.pkl", "pickle", pickle.dumps({"a": 1}), "pickle", "pickles", 1),
        ("m.h5", "hdf5", b"\x89HDF\r\n\x1a\n" + b"\0" * 32, "hdf5", None, None),
    ],
)
def test_each_format_gets_identity_and_header(tmp_path, name, parser, data, fmt, field, value):
    path = write(tmp_path / name, data)
    artefact = inspect_artefact(path, name, parser)
    assert artefact is not None
    assert artefact.format == fmt
    assert artefact.size == len(data)
    assert artefact.sha256 == hashlib.sha256(data).hexdigest()
    assert artefact.error is None
    assert not artefact.dangerous
    if field:
        assert artefact.metadata[field] == value


def test_malicious_checkpoint_is_dangerous(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path / "model.pt", zip_checkpoint(malicious_pickle(marker, protocol=2)))
    artefact = inspect_artefact(path, "model.pt", "pickle")
    assert artefact is not None
    assert artefact.dangerous
    assert artefact.severity == "critical"
    assert any(g.endswith(".system") for g in artefact.unsafe_globals)
    assert artefact.to_dict()["dangerous"] is True
    assert not marker.exists()


def test_malformed_header_keeps_hash_and_reports_error(tmp_path):
    data = b"GGUF" + b"\xff" * 40
    path = write(tmp_path / "bad.gguf", data)
    artefact = inspect_artefact(path, "bad.gguf", "gguf")
    assert artefact is not None
    assert artefact.error
    assert artefact.error.startswith("gguf:")
    assert artefact.sha256 == hashlib.sha256(data).hexdigest()


def test_unrelated_bin_file_is_not_an_artefact(tmp_path):
    path = write(tmp_path / "firmware.bin", b"\x7fELF" + b"\0" * 100)
    assert inspect_artefact(path, "firmware.bin", "pickle") is None
    model = write(
        tmp_path / "pytorch_model.bin", zip_checkpoint(pickle.dumps({"w": 1}, protocol=2))
    )
    artefact = inspect_artefact(model, "pytorch_model.bin", "pickle")
    assert artefact is not None
    assert artefact.format == "torch-zip"


def test_large_artefacts_hash_in_blocks(tmp_path):
    data = safetensors_bytes({"w": ("U8", [3 << 20])})
    path = write(tmp_path / "big.safetensors", data)
    artefact = inspect_artefact(path, "big.safetensors", "safetensors")
    assert artefact is not None
    assert artefact.sha256 == hashlib.sha256(data).hexdigest()
    assert artefact.metadata["parameters"] == 3 << 20
