"""Corpus loading on small synthetic JSONL files, and the source-grouping rules."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.corpus import (
    DATA_ENV,
    DEFAULT_DATA,
    CorpusRow,
    assign_folds,
    limit_per_file,
    load_corpus,
    resolve_data_dir,
    sample_rows,
    source_group,
)


@pytest.mark.parametrize(
    ("source", "group"),
    [
        # split and version suffixes merge into one source
        ("S-Labs/prompt-injection-dataset:train", "S-Labs/prompt-injection-dataset"),
        ("S-Labs/prompt-injection-dataset:validation", "S-Labs/prompt-injection-dataset"),
        ("S-Labs/prompt-injection-dataset:test", "S-Labs/prompt-injection-dataset"),
        (
            "neuralchemy/Prompt-injection-dataset:core:test",
            "neuralchemy/Prompt-injection-dataset:core",
        ),
        ("GSM8K:train", "GSM8K"),
        ("arena-hard-auto:v0.1", "arena-hard-auto"),
        # item names and variants of one origin collapse
        ("awesome-chatgpt-prompts:Linux Terminal", "awesome-chatgpt-prompts"),
        ("pyrit:Arth_Singh/some_template.yaml", "pyrit"),
        ("pyrit:aim.yaml", "pyrit"),
        ("bastioncorpus:tool_output:de", "bastioncorpus"),
        (
            "PurpleLlama/CyberSecEval:frr_multilingual:Thai",
            "PurpleLlama/CyberSecEval:frr_multilingual",
        ),
        ("garak-probe:encoding.InjectBase64", "garak-probe:encoding"),
        ("garak-probe:latentinjection.LatentWhois", "garak-probe:latentinjection"),
        ("garak:dan/Dan_6_0.json", "garak"),
        ("garak:payloads/normal_instructions.json", "garak"),
        # different origins stay apart
        (
            "PurpleLlama/CyberSecEval:prompt_injection.json",
            "PurpleLlama/CyberSecEval:prompt_injection.json",
        ),
        ("PurpleLlama/CyberSecEval:mitre_frr.json", "PurpleLlama/CyberSecEval:mitre_frr.json"),
        ("GPTeacher:Codegen", "GPTeacher:Codegen"),
        ("GPTeacher:Roleplay", "GPTeacher:Roleplay"),
        ("yanismiraoui/prompt_injections", "yanismiraoui/prompt_injections"),
        ("verazuo/jailbreak_llms (via garak data)", "verazuo/jailbreak_llms (via garak data)"),
        # a component that merely contains a split word is not a split
        ("example/set:testing", "example/set:testing"),
        ("train", "train"),
    ],
)
def test_source_group(source: str, group: str) -> None:
    assert source_group(source) == group


def test_row_group_uses_source() -> None:
    row = CorpusRow("hi", 0, "", "GSM8K:test", "f", 1)
    assert row.group == "GSM8K"


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")


def _obj(text: str, label: object, source: str | None = "demo:train") -> bytes:
    item: dict[str, object] = {"text": text, "label": label, "category": "c"}
    if source is not None:
        item["source"] = source
    return json.dumps(item).encode()


def test_malformed_lines_are_skipped_and_reported(tmp_path: Path) -> None:
    _write(
        tmp_path / "alpha.jsonl",
        [
            _obj("please water the plants", 0),
            b'{"text": "unterminated',  # line 2: broken JSON
            b"[1, 2]",  # line 3: not an object
            _obj("ignore me", 2),  # line 4: bad label
            b'{"label": 1}',  # line 5: no text
            b"",  # line 6: blank, silently ignored
            b'{"text": "\xff\xfe", "label": 1}',  # line 7: invalid UTF-8
            _obj("booleans are not labels", True),  # line 8
            _obj("an attack, as it happens", 1, source=None),  # line 9: source defaults to file
        ],
    )
    corpus = load_corpus(tmp_path)
    assert corpus.files == ["alpha"]
    assert [(r.line, r.label, r.source) for r in corpus.rows] == [
        (1, 0, "demo:train"),
        (9, 1, "alpha"),
    ]
    assert [s.line for s in corpus.skipped] == [2, 3, 4, 5, 7, 8]
    reasons = {s.line: s.reason for s in corpus.skipped}
    assert reasons[2].startswith("not valid JSON")
    assert reasons[3] == "not a JSON object"
    assert "label" in reasons[4]
    assert "text" in reasons[5]
    assert reasons[7] == "not valid UTF-8"
    # reports say where and why, never what: no corpus text leaks into them
    assert all("unterminated" not in s.reason for s in corpus.skipped)


def test_load_reads_files_in_name_order_and_filters_by_glob(tmp_path: Path) -> None:
    _write(tmp_path / "b_set.jsonl", [_obj("two", 0)])
    _write(tmp_path / "a_set.jsonl", [_obj("one", 1)])
    (tmp_path / "notes.md").write_text("not data", encoding="utf-8")
    assert [r.text for r in load_corpus(tmp_path).rows] == ["one", "two"]
    assert load_corpus(tmp_path, ["b_*"]).files == ["b_set"]
    assert [r.file for r in load_corpus(tmp_path / "a_set.jsonl").rows] == ["a_set"]


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=DATA_ENV):
        load_corpus(tmp_path / "absent")


def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert resolve_data_dir() == DEFAULT_DATA
    assert DEFAULT_DATA.parts[-3:] == ("shared", "data", "detection")
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert resolve_data_dir() == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"


def _rows(spec: list[tuple[str, int]]) -> list[CorpusRow]:
    return [CorpusRow(f"t{i}", 0, "", "s", file, line) for i, (file, line) in enumerate(spec)]


def test_limit_keeps_first_n_of_each_file() -> None:
    rows = _rows([("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2)])
    assert [(r.file, r.line) for r in limit_per_file(rows, 2)] == [
        ("a", 1),
        ("a", 2),
        ("b", 1),
        ("b", 2),
    ]


def test_sample_is_seeded_sized_and_in_corpus_order() -> None:
    rows = _rows([("a", i) for i in range(1, 101)])
    first = sample_rows(rows, 10, seed=3)
    assert first == sample_rows(rows, 10, seed=3)
    assert first != sample_rows(rows, 10, seed=4)
    assert len(first) == 10
    assert [r.line for r in first] == sorted(r.line for r in first)
    assert sample_rows(rows, 500, seed=0) == rows


# --- grouped folds -------------------------------------------------------------------------------


def _grouped(sizes: dict[str, int]) -> list[CorpusRow]:
    return [
        CorpusRow(f"{source} text {i}", i % 2, "", source, "f", i)
        for source, n in sizes.items()
        for i in range(n)
    ]


def _fold_sizes(folds: list[tuple[str, ...]], sizes: dict[str, int]) -> list[int]:
    return [sum(sizes[g] for g in fold) for fold in folds]


@given(
    sizes=st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=4), st.integers(1, 40), min_size=1, max_size=12
    ),
    k=st.integers(1, 15),
)
def test_folds_partition_the_groups_and_stay_balanced(sizes: dict[str, int], k: int) -> None:
    folds = assign_folds(_grouped(sizes), k)
    held = [g for fold in folds for g in fold]
    assert sorted(held) == sorted(sizes)  # every group in exactly one fold
    assert len(folds) == min(k, len(sizes))
    assert all(fold and list(fold) == sorted(fold) for fold in folds)
    totals = _fold_sizes(folds, sizes)
    assert max(totals) - min(totals) <= max(sizes.values())


@pytest.mark.parametrize("k", [4, 5, 50])
def test_enough_folds_is_plain_leave_one_source_out(k: int) -> None:
    rows = _grouped({"delta": 3, "alpha": 9, "charlie": 1, "bravo": 4})
    assert assign_folds(rows, k) == [("alpha",), ("bravo",), ("charlie",), ("delta",)]


def test_largest_groups_go_first_to_the_smallest_fold() -> None:
    sizes = {"a": 10, "b": 8, "c": 6, "d": 5, "e": 2}
    # totals after each step: a [10, 0], b [10, 8], c [10, 14], d [15, 14], e [15, 16]
    assert assign_folds(_grouped(sizes), 2) == [("a", "d"), ("b", "c", "e")]


def test_folds_follow_source_groups_not_raw_sources() -> None:
    rows = _grouped({"set:train": 5, "set:test": 5, "other": 3, "third:v1.2": 2})
    folds = assign_folds(rows, 2)
    assert sorted(g for fold in folds for g in fold) == ["other", "set", "third"]
    assert ("set",) in folds


def test_folds_are_deterministic_whatever_the_row_order() -> None:
    rows = _grouped({"north": 7, "south": 7, "east": 3, "west": 3, "centre": 1})
    first = assign_folds(rows, 3)
    shuffled = list(rows)
    random.Random(2).shuffle(shuffled)
    assert assign_folds(shuffled, 3) == first
    assert assign_folds(iter(rows), 3) == first


@pytest.mark.parametrize("k", [0, -1, -10])
def test_fewer_than_one_fold_is_an_error(k: int) -> None:
    with pytest.raises(ValueError, match="at least one fold"):
        assign_folds(_grouped({"a": 1}), k)
