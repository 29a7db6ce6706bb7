"""Pickle-based model files (``.pt``, ``.pth``, ``.bin``, ``.pkl``, ``.ckpt``, ``.joblib``), judged
without loading them.

Loading a pickle runs whatever callables it names, so the only safe inspection is static: walk
the opcode stream with :func:`pickletools.genops` (which decodes, never executes), simulate the
stack just enough to resolve what each ``GLOBAL``/``STACK_GLOBAL``/``INST`` imports (string pushes
and memo puts/gets are tracked), and compare every imported callable with a small allowlist of
the reconstruction functions PyTorch, NumPy and ``collections`` need. Anything else is unsafe; a
known code-execution callable (``os.system``, ``builtins.eval``, ``subprocess.*``...) is critical.

Containers are opened the same way: zip-archived PyTorch checkpoints (every ``*.pkl`` member,
``data.pkl`` included), legacy PyTorch files (a sequence of pickles), and joblib's compressed
pickles (inflated with a bounded output). All reads are bounded; a stream that stops parsing after
it has started is itself reported, since the loader would have run everything before that point.
"""

from __future__ import annotations

import bz2
import io
import lzma
import pickletools
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from wardgate.ai_inventory.scan.errors import ArtefactParseError

MAX_PICKLE_BYTES = 64 << 20
MAX_OPS = 2_000_000
MAX_PICKLES = 8  # legacy torch.save writes five in a row
MAX_ZIP_ENTRIES = 100_000
MAX_ZIP_DIRECTORY = 64 << 20
MAX_ZIP_PICKLES = 16
MAX_GLOBALS = 1_000
BLOCK = 1 << 20
UNPARSEABLE = "<unparseable pickle stream>"
UNRESOLVED = "<unresolved STACK_GLOBAL>"

_TORCH_DTYPES = frozenset(
    {
        "float16",
        "float32",
        "float64",
        "bfloat16",
        "half",
        "float",
        "double",
        "complex32",
        "complex64",
        "complex128",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "int8",
        "int16",
        "int32",
        "int64",
        "short",
        "int",
        "long",
        "bool",
        "float8_e4m3fn",
        "float8_e5m2",
        "float8_e4m3fnuz",
        "float8_e5m2fnuz",
        "qint8",
        "quint8",
        "qint32",
        "strided",
        "sparse_coo",
        "channels_last",
        "contiguous_format",
        "preserve_format",
        "per_tensor_affine",
        "per_channel_affine",
        "Size",
        "device",
    }
)
# Callables a plain state dict or array needs to be rebuilt; nothing here runs code or does I/O.
SAFE_GLOBALS: dict[str, frozenset[str]] = {
    "collections": frozenset({"OrderedDict", "defaultdict", "Counter", "deque"}),
    "torch._utils": frozenset(
        {
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
            "_rebuild_qtensor",
            "_rebuild_sparse_tensor",
            "_rebuild_nested_tensor",
            "_rebuild_device_tensor_from_numpy",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_wrapper_subclass",
        }
    ),
    "torch._tensor": frozenset({"_rebuild_from_type_v2"}),
    "torch.nn.parameter": frozenset({"Parameter"}),
    "torch.storage": frozenset({"UntypedStorage", "TypedStorage"}),
    "torch": _TORCH_DTYPES,
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "builtins": frozenset(
        {"set", "frozenset", "slice", "range", "complex", "bytearray", "bytes", "tuple", "list"}
        | {"dict", "int", "float", "bool", "str"}
    ),
    "__builtin__": frozenset({"set", "frozenset", "slice", "complex", "bytearray", "tuple"}),
    "_codecs": frozenset({"encode"}),
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
}
# Modules whose every callable can run commands, code, imports or network/file I/O.
DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "_posixsubprocess",
        "sys",
        "runpy",
        "webbrowser",
        "socket",
        "shutil",
        "pty",
        "importlib",
        "pickle",
        "_pickle",
        "dill",
        "cloudpickle",
        "marshal",
        "types",
        "code",
        "codeop",
        "ctypes",
        "requests",
        "urllib",
        "urllib2",
        "urllib3",
        "http",
        "httplib",
        "httpx",
        "asyncio",
        "multiprocessing",
        "commands",
        "pdb",
        "bdb",
        "timeit",
        "cProfile",
        "profile",
        "trace",
        "pip",
        "setuptools",
        "zipimport",
        "tempfile",
        "signal",
        "ftplib",
        "smtplib",
        "telnetlib",
        "shelve",
        "glob",
        "io",
        "_io",
    }
)
DANGEROUS_BUILTINS = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "open",
        "input",
        "breakpoint",
        "globals",
        "locals",
        "vars",
        "execfile",
        "apply",
        "help",
    }
)
DANGEROUS_CALLABLES = frozenset(
    {
        ("torch.storage", "_load_from_bytes"),
        ("torch", "load"),
        ("torch.serialization", "load"),
        ("torch.jit", "load"),
        ("numpy", "load"),
        ("numpy.testing._private.utils", "runstring"),
        ("operator", "attrgetter"),
        ("operator", "methodcaller"),
        ("pandas.io.pickle", "read_pickle"),
        ("joblib", "load"),
    }
)

_MARK = object()
_STRING_OPS = frozenset(
    {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE"}
    | {"BINUNICODE8"}
)
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_EXT_OPS = frozenset({"EXT1", "EXT2", "EXT4"})
_PARSE_ERRORS = (ValueError, EOFError, struct.error, OverflowError, IndexError, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class _Global:
    module: str
    name: str


def classify_global(module: str, name: str) -> str:
    """``safe``, ``critical`` (known to run code or do I/O) or ``unsafe`` (unknown callable)."""
    if name in SAFE_GLOBALS.get(module, ()):
        return "safe"
    if module == "torch" and name.endswith("Storage"):
        return "safe"
    if module == "numpy.dtypes" and name.endswith("DType"):
        return "safe"
    top = module.split(".", 1)[0]
    if top in DANGEROUS_MODULES or (module, name) in DANGEROUS_CALLABLES:
        return "critical"
    if module in ("builtins", "__builtin__", "__builtins__") and name in DANGEROUS_BUILTINS:
        return "critical"
    return "unsafe"


@dataclass(slots=True)
class PickleVerdict:
    """What a pickle (or a container's pickles) imports, and how bad that is."""

    globals: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    critical: list[str] = field(default_factory=list)
    pickles: int = 0
    opcodes: int = 0
    truncated: bool = False

    @property
    def severity(self) -> str | None:
        return "critical" if self.critical else "warning" if self.unsafe else None

    def note(self, module: str, name: str) -> None:
        label = f"{module}.{name}"
        if label in self.globals or len(self.globals) >= MAX_GLOBALS:
            return
        self.globals.append(label)
        verdict = classify_global(module, name)
        if verdict != "safe":
            self.unsafe.append(label)
        if verdict == "critical":
            self.critical.append(label)

    def flag(self, label: str) -> None:
        if label not in self.unsafe:
            self.unsafe.append(label)

    def merge(self, other: PickleVerdict) -> None:
        for label in other.globals:
            if label not in self.globals:
                self.globals.append(label)
        for label in other.unsafe:
            self.flag(label)
        self.critical.extend(c for c in other.critical if c not in self.critical)
        self.pickles += other.pickles
        self.opcodes += other.opcodes
        self.truncated = self.truncated or other.truncated


class _Machine:
    """Just enough of the unpickler's stack to know what each global import names."""

    def __init__(self, verdict: PickleVerdict) -> None:
        self.stack: list[object] = []
        self.memo: dict[int, object] = {}
        self.verdict = verdict

    def pop(self) -> object:
        return self.stack.pop() if self.stack else None

    def pop_mark(self) -> list[object]:
        items: list[object] = []
        while self.stack:
            item = self.stack.pop()
            if item is _MARK:
                break
            items.append(item)
        items.reverse()
        return items

    def step(self, op: pickletools.OpcodeInfo, arg: Any) -> None:
        name = op.name
        stack = self.stack
        if name in _STRING_OPS:
            stack.append(arg.decode("latin-1") if isinstance(arg, bytes) else arg)
        elif name == "GLOBAL":
            module, _, attr = str(arg).partition(" ")
            stack.append(self._import(module, attr))
        elif name == "INST":
            module, _, attr = str(arg).partition(" ")
            self._import(module, attr)
            self.pop_mark()
            stack.append(None)
        elif name == "STACK_GLOBAL":
            qualname, owner = self.pop(), self.pop()
            if isinstance(owner, str) and isinstance(qualname, str):
                stack.append(self._import(owner, qualname))
            else:
                self.verdict.flag(UNRESOLVED)
                stack.append(None)
        elif name == "MEMOIZE":
            if stack:
                self.memo[len(self.memo)] = stack[-1]
        elif name in _PUT_OPS:
            if stack:
                self.memo[int(arg)] = stack[-1]
        elif name in _GET_OPS:
            stack.append(self.memo.get(int(arg)))
        elif name == "DUP":
            stack.append(stack[-1] if stack else None)
        elif name == "MARK":
            stack.append(_MARK)
        elif name in _EXT_OPS:
            self.verdict.flag(f"copyreg.extension:{arg}")
            stack.append(None)
        else:
            self._generic(op)

    def _import(self, module: str, attr: str) -> _Global:
        self.verdict.note(module, attr)
        return _Global(module, attr)

    def _generic(self, op: pickletools.OpcodeInfo) -> None:
        before = op.stack_before
        if pickletools.markobject in before:
            self.pop_mark()
            for _ in range(before.index(pickletools.markobject)):
                self.pop()
        else:
            for _ in before:
                self.pop()
        self.stack.extend([None] * len(op.stack_after))


def scan_pickle(data: bytes, *, truncated: bool = False, max_ops: int = MAX_OPS) -> PickleVerdict:
    """Judge the pickle (or legacy torch sequence of pickles) at the start of ``data``.

    ``truncated`` says ``data`` is a prefix of a larger stream, so running out of bytes is
    expected rather than suspicious. Raises :class:`ArtefactParseError` when ``data`` does not
    start with a pickle at all.
    """
    verdict = PickleVerdict(truncated=truncated)
    stream = io.BytesIO(data)
    for index in range(MAX_PICKLES):
        start = stream.tell()
        if index > 0 and not (
            len(data) > start + 1 and data[start] == 0x80 and 2 <= data[start + 1] <= 5
        ):
            break
        machine = _Machine(verdict)
        ops = 0
        try:
            for op, arg, _pos in pickletools.genops(stream):
                machine.step(op, arg)
                ops += 1
                if verdict.opcodes + ops >= max_ops:
                    verdict.truncated = True
                    break
        except _PARSE_ERRORS as exc:
            if index == 0 and ops == 0:
                raise ArtefactParseError("pickle: not a pickle stream") from exc
            if index == 0 and not (truncated and stream.tell() >= len(data)):
                verdict.flag(UNPARSEABLE)
            verdict.opcodes += ops
            break
        verdict.opcodes += ops
        verdict.pickles += 1
        if verdict.truncated:
            break
    return verdict


# ----------------------------------------------------------------------------- containers


def _zlib_header(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0


_COMPRESSIONS: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("gzip", lambda h: h.startswith(b"\x1f\x8b")),
    ("bz2", lambda h: h.startswith(b"BZh")),
    ("xz", lambda h: h.startswith(b"\xfd7zXZ\x00")),
    ("lzma", lambda h: h.startswith(b"\x5d\x00\x00")),
    ("zlib", _zlib_header),
)


def sniff(head: bytes) -> str | None:
    """``zip``, a compression name, ``pickle`` (protocol 2+), or None, from the first bytes."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    for name, test in _COMPRESSIONS:
        if test(head):
            return name
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pickle"
    return None


def _inflate(stream: BinaryIO, kind: str, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` decompressed bytes, and whether there was more (bomb-safe)."""
    inflater: Any
    if kind in ("gzip", "zlib"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if kind == "gzip" else zlib.MAX_WBITS)
    elif kind == "bz2":
        inflater = bz2.BZ2Decompressor()
    else:
        inflater = lzma.LZMADecompressor()
    out = bytearray()
    streaming = isinstance(inflater, type(zlib.decompressobj()))
    try:
        while len(out) <= limit and not inflater.eof:
            if streaming:
                data = inflater.unconsumed_tail or stream.read(BLOCK)
            else:
                data = stream.read(BLOCK) if inflater.needs_input else b""
            if not data and (streaming or inflater.needs_input):
                break
            # max_length >= 1 always: 0 would mean "no limit" to zlib.
            out += inflater.decompress(data, limit + 1 - len(out))
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
        raise ArtefactParseError(f"pickle: invalid {kind} stream") from exc
    return bytes(out[:limit]), len(out) > limit


def _check_zip_directory(stream: BinaryIO, size: int) -> None:
    """Refuse zips whose central directory claims more entries or bytes than we will read."""
    tail_len = min(size, 65_557)
    stream.seek(size - tail_len)
    tail = stream.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at == -1 or at + 22 > len(tail):
        raise ArtefactParseError("zip: no end-of-central-directory record")
    entries, directory = struct.unpack_from("<HI", tail, at + 10)
    if entries == 0xFFFF or directory == 0xFFFFFFFF:
        locator = at - 20
        if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            raise ArtefactParseError("zip: bad zip64 locator")
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        if offset + 56 > size:
            raise ArtefactParseError("zip: bad zip64 record offset")
        stream.seek(offset)
        record = stream.read(56)
        if len(record) != 56 or record[:4] != b"PK\x06\x06":
            raise ArtefactParseError("zip: bad zip64 record")
        entries, directory = struct.unpack_from("<QQ", record, 32)
    if entries > MAX_ZIP_ENTRIES or directory > MAX_ZIP_DIRECTORY:
        raise ArtefactParseError("zip: central directory larger than allowed")
    stream.seek(0)


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    zlib.error,
    lzma.LZMAError,
    KeyError,
    OverflowError,
)


def _zip(stream: BinaryIO, size: int, limit: int) -> tuple[str, dict[str, Any], PickleVerdict]:
    _check_zip_directory(stream, size)
    verdict = PickleVerdict()
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            members = [i for i in infos if i.filename.endswith(".pkl")][:MAX_ZIP_PICKLES]
            for info in members:
                with archive.open(info) as member:
                    data = member.read(limit + 1)
                verdict.merge(scan_pickle(data[:limit], truncated=len(data) > limit))
    except ArtefactParseError:
        raise
    except _ZIP_ERRORS as exc:
        raise ArtefactParseError("zip: unreadable archive") from exc
    torchscript = any("/code/" in i.filename and i.filename.endswith(".py") for i in infos)
    metadata: dict[str, Any] = {
        "entries": len(infos),
        "pickles": [m.filename[:200] for m in members],
    }
    if torchscript:
        metadata["torchscript"] = True
    kind = "torch-zip" if members else "zip"
    return kind, metadata, verdict


def inspect_pickle_file(
    stream: BinaryIO, size: int, *, limit: int = MAX_PICKLE_BYTES, require_magic: bool = False
) -> tuple[str, dict[str, Any], PickleVerdict] | None:
    """``(format, metadata, verdict)`` for a pickle-bearing file, or None when it is not one.

    ``require_magic`` (for extensions such as ``.bin`` that other formats share) accepts only a
    zip, a compressed stream or a protocol 2+ pickle; otherwise any content is tried as a pickle.
    Raises :class:`ArtefactParseError` when the file claims a format it does not follow.
    """
    head = stream.read(8)
    stream.seek(0)
    kind = sniff(head)
    if kind == "zip":
        return _zip(stream, size, limit)
    if kind is None and require_magic:
        return None
    if kind not in (None, "pickle"):
        data, more = _inflate(stream, kind, limit)
        verdict = scan_pickle(data, truncated=more)
        return f"pickle+{kind}", {"compressed": kind}, verdict
    data = stream.read(limit)
    verdict = scan_pickle(data, truncated=size > limit)
    fmt = "torch-legacy" if verdict.pickles >= 3 else "pickle"
    return fmt, {}, verdict
