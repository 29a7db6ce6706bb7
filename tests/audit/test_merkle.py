"""RFC 6962 hashing and proofs against the Certificate Transparency reference vectors.

Vectors: github.com/transparency-dev/merkle proof/verify_test.go (originally the C++
certificate-transparency merkle_tree_test.cc): 8 leaf inputs, the roots of the trees of sizes
1..8, and known inclusion and consistency proofs.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.audit import merkle

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# (leaf index, tree size, proof): the vectors use 1-based leaf numbers; converted here.
INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def _tree(n: int = 8) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for data in LEAVES[:n]:
        tree.append_data(data)
    return tree


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, literally: the recursive definition over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split_point(len(leaves))
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_empty_tree_hash() -> None:
    assert merkle.EMPTY_ROOT.hex() == EMPTY
    assert merkle.MemoryTree().root() == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_roots(size: int) -> None:
    tree = _tree()
    assert tree.root(size) == ROOTS[size - 1]
    frontier = merkle.Frontier()
    for data in LEAVES[:size]:
        frontier.append(merkle.leaf_hash(data))
    assert frontier.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    tree = _tree()
    expected = [bytes.fromhex(h) for h in proof]
    assert tree.inclusion_proof(index, size) == expected
    leaf = merkle.leaf_hash(LEAVES[index])
    assert merkle.verify_inclusion(leaf, index, size, expected, ROOTS[size - 1])


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_reference_consistency_proofs(size1: int, size2: int, proof: list[str]) -> None:
    tree = _tree()
    expected = [bytes.fromhex(h) for h in proof]
    assert tree.consistency_proof(size1, size2) == expected
    assert merkle.verify_consistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], expected)


def _inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes):
    """The corruptions transparency-dev's verifier test must reject (corruptInclusionProof)."""
    yield index - 1, size, leaf, proof, root
    yield index + 1, size, leaf, proof, root
    yield index ^ 2, size, leaf, proof, root
    yield index, size * 2, leaf, proof, root
    yield index, size // 2, leaf, proof, root
    yield index, size, b"WrongLeaf", proof, root
    yield index, size, leaf, proof, bytes.fromhex(EMPTY)
    yield index, size, leaf, [*proof, b""], root
    yield index, size, leaf, [*proof, root], root
    yield index, size, leaf, [b"", *proof], root
    yield index, size, leaf, [root, *proof], root
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        yield index, size, leaf, wrong, root
    if proof:
        yield index, size, leaf, proof[:-1], root


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[:4])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof: list[str]) -> None:
    good = [bytes.fromhex(h) for h in proof]
    leaf = merkle.leaf_hash(LEAVES[index])
    probes = list(_inclusion_probes(index, size, good, ROOTS[size - 1], leaf))
    assert len(probes) > 10
    for i, s, lf, p, r in probes:
        assert not merkle.verify_inclusion(lf, i, s, p, r), (i, s)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(size1: int, size2: int, proof: list[str]) -> None:
    good = [bytes.fromhex(h) for h in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    probes = [
        (size1 - 1, size2, r1, r2, good),
        (size1 + 1, size2, r1, r2, good),
        (size1 ^ 2, size2, r1, r2, good),
        (size1, size2 * 2, r1, r2, good),
        (size1, size2 // 2, r1, r2, good),
        (size1, size2, b"WrongRoot", r2, good),
        (size1, size2, r1, b"WrongRoot", good),
        (size1, size2, r2, r1, good),
        (size1, size2, r1, r2, []),
        (size1, size2, r1, r2, [*good, b""]),
        (size1, size2, r1, r2, [*good, r1]),
        (size1, size2, r1, r2, [*good, r2]),
        (size1, size2, r1, r2, [b"", *good]),
        (size1, size2, r1, r2, [r1, *good]),
        (size1, size2, r1, r2, [r2, *good]),
        (size1, size2, r1, r2, [good[0], *good]),
        (size1, size2, r1, r2, good[:-1]),
    ]
    for i in range(len(good)):
        wrong = list(good)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((size1, size2, r1, r2, wrong))
    for s1, s2, a, b, p in probes:
        assert not merkle.verify_consistency(s1, s2, a, b, p), (s1, s2)


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof", "ok"),
    [
        (0, 0, b"r1", b"r1", [], True),
        (0, 1, b"r1", b"r2", [], True),  # the empty tree is a prefix of every tree
        (1, 1, b"r2", b"r2", [], True),
        (0, 0, b"r1", b"r2", [], False),
        (1, 1, b"r1", b"r2", [], False),
        (1, 0, b"r1", b"r2", [], False),  # time travel
        (2, 1, b"r1", b"r2", [], False),
        (1, 2, b"r1", b"r2", [], False),  # empty proof
        (0, 1, bytes.fromhex(EMPTY), bytes.fromhex(EMPTY), [bytes.fromhex(EMPTY)], False),
        (1, 1, bytes.fromhex(EMPTY), bytes.fromhex(EMPTY), [bytes.fromhex(EMPTY)], False),
    ],
)
def test_consistency_edge_cases(size1, size2, root1, root2, proof, ok) -> None:
    assert merkle.verify_consistency(size1, size2, root1, root2, proof) is ok


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_rejects_bad_shapes(index: int, size: int) -> None:
    some = bytes(range(32))
    assert not merkle.verify_inclusion(some, index, size, [], b"")
    assert not merkle.verify_inclusion(b"", index, size, [], bytes.fromhex(EMPTY))
    if size != 1 or index != 0:
        assert not merkle.verify_inclusion(some, index, size, [], bytes.fromhex(EMPTY))


def test_single_leaf_tree_root_is_the_leaf_hash() -> None:
    leaf = merkle.leaf_hash(b"data")
    assert merkle.verify_inclusion(leaf, 0, 1, [], leaf)
    assert not merkle.verify_inclusion(leaf, 0, 1, [], b"")


def test_frontier_reports_completed_subtrees_and_round_trips() -> None:
    frontier = merkle.Frontier()
    tree = _tree()
    completed = []
    for data in LEAVES:
        completed += frontier.append(merkle.leaf_hash(data))
    assert [(n.level, n.idx) for n in completed] == [
        (1, 0),
        (1, 1),
        (2, 0),
        (1, 2),
        (1, 3),
        (2, 1),
        (3, 0),
    ]
    assert all(tree.perfect(n.level, n.idx) == n.hash for n in completed)
    again = merkle.Frontier.from_reader(tree, 7)
    assert again.root() == ROOTS[6]
    assert again.hashes == tuple(tree.perfect(lv, ix) for lv, ix in [(2, 0), (1, 2), (0, 6)])


class CountingReader:
    def __init__(self, tree: merkle.MemoryTree) -> None:
        self.tree = tree
        self.reads = 0

    def perfect(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.tree.perfect(level, index)


def test_proofs_need_logarithmic_reads() -> None:
    tree = merkle.MemoryTree()
    for i in range(3000):
        tree.append(merkle.leaf_hash(i.to_bytes(4, "big")))
    reader = CountingReader(tree)
    merkle.inclusion_proof(reader, 1234, 2999)
    assert reader.reads <= 2 * 12
    reader.reads = 0
    merkle.consistency_proof(reader, 1001, 2999)
    assert reader.reads <= 3 * 12
    reader.reads = 0
    merkle.root_hash(reader, 2999)
    assert reader.reads == bin(2999).count("1")


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (merkle.inclusion_proof, (5, 5)),
        (merkle.inclusion_proof, (-1, 5)),
        (merkle.consistency_proof, (6, 5)),
        (merkle.subtree_hash, (1, 3)),  # not an RFC 6962 subtree
    ],
)
def test_generation_rejects_bad_arguments(call, args) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        call(_tree(), *args)


def _flip(data: bytes, bit: int) -> bytes:
    i = bit % (8 * len(data))
    return data[: i // 8] + bytes([data[i // 8] ^ (1 << (i % 8))]) + data[i // 8 + 1 :]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_random_inclusion_proofs_verify_and_any_bit_flip_fails(size: int, data) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    tree = merkle.MemoryTree(leaves)
    root = tree.root()
    assert root == _mth(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index)
    assert len(proof) <= (size - 1).bit_length()
    assert merkle.verify_inclusion(leaves[index], index, size, proof, root)
    bit = data.draw(st.integers(0, 255))
    assert not merkle.verify_inclusion(_flip(leaves[index], bit), index, size, proof, root)
    assert not merkle.verify_inclusion(leaves[index], index, size, proof, _flip(root, bit))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
        assert not merkle.verify_inclusion(leaves[index], index, size, bad, root)


@settings(max_examples=60, deadline=None)
@given(size2=st.integers(1, 300), data=st.data())
def test_random_consistency_proofs_verify_and_any_bit_flip_fails(size2: int, data) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(size2)]
    tree = merkle.MemoryTree(leaves)
    size1 = data.draw(st.integers(1, size2))
    root1, root2 = _mth(leaves[:size1]), tree.root()
    assert tree.root(size1) == root1
    proof = tree.consistency_proof(size1)
    assert merkle.verify_consistency(size1, size2, root1, root2, proof)
    if size1 == size2:
        return
    bit = data.draw(st.integers(0, 255))
    assert not merkle.verify_consistency(size1, size2, _flip(root1, bit), root2, proof)
    assert not merkle.verify_consistency(size1, size2, root1, _flip(root2, bit), proof)
    k = data.draw(st.integers(0, len(proof) - 1))
    bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
    assert not merkle.verify_consistency(size1, size2, root1, root2, bad)
