"""Test inputs written from scratch: model files in each format, hostile pickles, project trees.

Everything is built byte by byte here so the tests need neither the ``safetensors``, ``gguf`` nor
``onnx`` packages, and so each structure is exactly what the test says it is.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

# A realistic-looking, made-up OpenAI project key (random body, no placeholder words).
FAKE_OPENAI_KEY = (
    "sk-proj-" + "Zq7Rm2Kx9Wv4Tb8Yn3Hc6Jd1Lf5Gp0Xs" + "Qa7Eu2Io9Pz4Mk8Nw3Vr6By1Ct5Dh0Jl"
)
FAKE_ANTHROPIC_KEY = "sk-ant-api03-" + "Hq3Wm8Zr2Vx7Kt1Nb6Yc4Pd9Lf0Js5Ga" + "Tu2Ei7Oz3Rw8Qm"


# ----------------------------------------------------------------------------- GGUF

GGUF_UINT32, GGUF_STRING, GGUF_ARRAY, GGUF_UINT64, GGUF_FLOAT32 = 4, 8, 9, 10, 6


def gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf_kv(key: str, kind: int, value: object) -> bytes:
    out = gguf_string(key) + struct.pack("<I", kind)
    if kind == GGUF_STRING:
        assert isinstance(value, str)
        return out + gguf_string(value)
    if kind == GGUF_UINT32:
        return out + struct.pack("<I", value)
    if kind == GGUF_UINT64:
        return out + struct.pack("<Q", value)
    if kind == GGUF_FLOAT32:
        return out + struct.pack("<f", value)
    if kind == GGUF_ARRAY:
        assert isinstance(value, list)
        if value and isinstance(value[0], str):
            body = b"".join(gguf_string(v) for v in value)
            return out + struct.pack("<IQ", GGUF_STRING, len(value)) + body
        return (
            out
            + struct.pack("<IQ", GGUF_UINT32, len(value))
            + struct.pack(f"<{len(value)}I", *value)
        )
    raise ValueError(kind)


def gguf_tensor(name: str, dims: list[int], ggml_type: int, offset: int = 0) -> bytes:
    return (
        gguf_string(name)
        + struct.pack("<I", len(dims))
        + struct.pack(f"<{len(dims)}Q", *dims)
        + struct.pack("<IQ", ggml_type, offset)
    )


def gguf_bytes(kvs: list[bytes] | None = None, tensors: list[bytes] | None = None) -> bytes:
    """A minimal valid GGUF v3 file: header, key-values, tensor infos, a little data."""
    if kvs is None:
        kvs = [
            gguf_kv("general.architecture", GGUF_STRING, "llama"),
            gguf_kv("general.name", GGUF_STRING, "Tiny Llama Test"),
            gguf_kv("general.basename", GGUF_STRING, "tiny-llama"),
            gguf_kv("general.size_label", GGUF_STRING, "1.1B"),
            gguf_kv("general.file_type", GGUF_UINT32, 15),
            gguf_kv("llama.context_length", GGUF_UINT32, 4096),
            gguf_kv("tokenizer.ggml.tokens", GGUF_ARRAY, ["<s>", "</s>", "hello"]),
            gguf_kv("tokenizer.ggml.token_type", GGUF_ARRAY, [1, 1, 1]),
        ]
    if tensors is None:
        tensors = [
            gguf_tensor("tok_embd.weight", [64, 32], 12),
            gguf_tensor("output.weight", [32, 64], 14),
        ]
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    return header + b"".join(kvs) + b"".join(tensors) + b"\0" * 64


# ----------------------------------------------------------------------------- safetensors


def safetensors_bytes(
    tensors: dict[str, tuple[str, list[int]]] | None = None, metadata: dict[str, str] | None = None
) -> bytes:
    """Header length, JSON header and zeroed tensor data, laid out as the format requires."""
    widths = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1}
    tensors = tensors or {"embed.weight": ("F32", [16, 8]), "head.bias": ("BF16", [8])}
    header: dict[str, object] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for d in shape:
            count *= d
        size = count * widths[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    if metadata is not None:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\0" * offset


# ----------------------------------------------------------------------------- ONNX (protobuf)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes | int) -> bytes:
    tag = _varint(number << 3 | wire)
    if wire == 0:
        assert isinstance(payload, int)
        return tag + _varint(payload)
    assert isinstance(payload, bytes)
    return tag + _varint(len(payload)) + payload


def onnx_bytes(producer: str = "pytorch", opset: int = 17, graph_size: int = 300) -> bytes:
    """A ModelProto with IR version, producer, a (dummy) graph, an opset and metadata."""
    opset_msg = _field(1, 2, b"") + _field(2, 0, opset)
    meta = _field(1, 2, b"author") + _field(2, 2, b"tests")
    return (
        _field(1, 0, 8)
        + _field(2, 2, producer.encode())
        + _field(3, 2, b"2.3.0")
        + _field(7, 2, _field(2, 2, b"main_graph") * max(1, graph_size // 12))
        + _field(8, 2, opset_msg)
        + _field(14, 2, meta)
    )


# ----------------------------------------------------------------------------- pickles


class Payload:
    """Runs a shell command when unpickled: the classic malicious model file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


class EvalPayload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (eval, ("1 + 1",))


def malicious_pickle(marker: Path, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
    return pickle.dumps({"weights": [1.0, 2.0], "hook": Payload(marker)}, protocol=protocol)


def memo_obfuscated_pickle() -> bytes:
    """``os.system`` resolved through memo puts and gets, as an obfuscating tool would write it."""
    return (
        b"\x80\x04"
        + b"\x8c\x02os\x94"  # SHORT_BINUNICODE 'os', MEMOIZE -> memo[0]
        + b"\x8c\x05print\x94"  # decoy -> memo[1]
        + b"0"  # POP decoy
        + b"0"  # POP 'os'
        + b"\x8c\x06system\x94"  # memo[2]
        + b"0"
        + b"h\x00h\x02"  # BINGET 0, BINGET 2
        + b"\x93"  # STACK_GLOBAL -> os.system
        + b"\x8c\x04true\x85R."  # ('true',) REDUCE STOP
    )


def zip_checkpoint(data_pkl: bytes, *, torchscript: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/version", "3\n")
        z.writestr("archive/data/0", b"\0" * 64)
        if torchscript:
            z.writestr("archive/code/__torch__/model.py", "def forward(self): ...\n")
    return buf.getvalue()


def torch_state_dict_pickle() -> bytes:
    """What torch.save writes for a state dict, reduced to its opcodes' callables.

    Built with copyreg-free references to the allowlisted rebuild functions (``GLOBAL`` protocol 2
    form, as torch uses), a persistent id for the storage, and an OrderedDict.
    """
    return (
        b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01"
        b"X\x0c\x00\x00\x00layer.weightq\x02"
        b"ctorch._utils\n_rebuild_tensor_v2\nq\x03"
        b"((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x04tq\x08QK\x00K\x04\x85K\x01\x85\x89h\x00)Rq\x09tq\x0aRq\x0b"
        b"s."
    )


# ----------------------------------------------------------------------------- project trees


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def sample_tree(root: Path, marker: Path) -> Path:
    """Four small projects and a model store, as the scanner would meet them in a monorepo."""
    write(root / "py-app/requirements.txt", "openai>=1.40,<2\nanthropic==0.34.2\nrequests\n")
    write(
        root / "py-app/pyproject.toml",
        '[project]\nname = "app"\ndependencies = ["litellm>=1.0", "httpx"]\n'
        '[project.optional-dependencies]\nml = ["transformers>=4.44", "torch"]\n',
    )
    write(
        root / "py-app/app/main.py",
        "import os\nimport openai\nfrom anthropic import Anthropic\n\n"
        f'OPENAI_KEY = "{FAKE_OPENAI_KEY}"\n'
        "client = openai.OpenAI(api_key=OPENAI_KEY)\n"
        'reply = client.chat.completions.create(model="gpt-4o-mini", messages=[])\n'
        'msg = Anthropic().messages.create(model="claude-3-5-sonnet-20241022", max_tokens=5)\n'
        "# claude reviewed this; the llama in the logo is unrelated to gpt\n"
        'GREETING = "Ask claude or a llama about gpt"\n',
    )
    write(
        root / "py-app/config/settings.yaml",
        "llm:\n  model: gemini-2.0-flash\n  temperature: 0.2\n",
    )
    write(
        root / "ts-app/package.json",
        json.dumps(
            {
                "name": "ts-app",
                "dependencies": {"openai": "^4.52.0", "@anthropic-ai/sdk": "^0.24.0"},
                "devDependencies": {"@langchain/openai": "^0.2.0", "typescript": "^5.4.0"},
            },
            indent=2,
        ),
    )
    write(
        root / "ts-app/src/index.ts",
        "import OpenAI from 'openai';\n"
        'import Anthropic from "@anthropic-ai/sdk";\n'
        'import { ChatOpenAI } from "@langchain/openai";\n'
        "import { helper } from './helper';\n\n"
        'const chat = new ChatOpenAI({ model: "gpt-4.1-mini" });\n'
        'const embed = "text-embedding-3-small";\n',
    )
    write(
        root / "java-app/pom.xml",
        '<?xml version="1.0"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <properties><lc4j.version>0.35.0</lc4j.version></properties>\n  <dependencies>\n"
        "    <dependency>\n      <groupId>com.openai</groupId>\n"
        "      <artifactId>openai-java</artifactId>\n      <version>0.8.0</version>\n    </dependency>\n"
        "    <dependency>\n      <groupId>dev.langchain4j</groupId>\n"
        "      <artifactId>langchain4j-open-ai</artifactId>\n      <version>${lc4j.version}</version>\n"
        "    </dependency>\n  </dependencies>\n</project>\n",
    )
    write(
        root / "java-app/src/main/java/App.java",
        "package app;\n\nimport com.openai.client.OpenAIClient;\nimport java.util.List;\n"
        "import dev.langchain4j.model.chat.ChatLanguageModel;\n\nclass App {\n"
        '  String model = "gpt-4o";\n}\n',
    )
    write(
        root / "go-app/go.mod",
        "module example.com/bot\n\ngo 1.22\n\nrequire (\n"
        "\tgithub.com/sashabaranov/go-openai v1.29.0\n\tgithub.com/google/uuid v1.6.0 // indirect\n)\n",
    )
    write(
        root / "go-app/main.go",
        'package main\n\nimport (\n\t"fmt"\n\topenai "github.com/sashabaranov/go-openai"\n)\n\n'
        'func main() { fmt.Println(openai.GPT4o, "llama3.1:8b") }\n',
    )
    write(root / "models/tiny.gguf", gguf_bytes())
    write(root / "models/encoder.safetensors", safetensors_bytes(metadata={"format": "pt"}))
    write(root / "models/benign.pkl", pickle.dumps({"a": 1, "b": [1.0, 2.0], "c": "text"}))
    write(root / "models/evil.pkl", malicious_pickle(marker))
    write(root / "models/checkpoint.pt", zip_checkpoint(malicious_pickle(marker, protocol=2)))
    write(root / "node_modules/openai/index.js", "module.exports = require('openai');\n")
    write(root / ".git/config", "[core]\n")
    return root
