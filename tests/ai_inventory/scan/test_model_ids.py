import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardgate.ai_inventory.scan.fileio import LineIndex
from wardgate.ai_inventory.scan.model_ids import classify, may_contain, scan_model_ids

# (identifier, provider, family, open_weights, via)
MUST_FLAG = [
    ("gpt-4o", "openai", "gpt", False, None),
    ("gpt-4o-mini", "openai", "gpt", False, None),
    ("gpt-4.1-mini", "openai", "gpt", False, None),
    ("gpt-4o-2024-08-06", "openai", "gpt", False, None),
    ("gpt-3.5-turbo-16k", "openai", "gpt", False, None),
    ("chatgpt-4o-latest", "openai", "gpt", False, None),
    ("gpt-oss-20b", "openai", "gpt-oss", True, None),
    ("o3-mini", "openai", "o-series", False, None),
    ("o1-preview", "openai", "o-series", False, None),
    ("o4-mini-2025-04-16", "openai", "o-series", False, None),
    ("text-embedding-3-small", "openai", "text-embedding", False, None),
    ("text-embedding-ada-002", "openai", "text-embedding", False, None),
    ("whisper-1", "openai", "audio", False, None),
    ("dall-e-3", "openai", "dall-e", False, None),
    ("claude-3-5-sonnet-20241022", "anthropic", "claude", False, None),
    ("claude-3-opus-20240229", "anthropic", "claude", False, None),
    ("claude-3-7-sonnet-latest", "anthropic", "claude", False, None),
    ("claude-sonnet-4-20250514", "anthropic", "claude", False, None),
    ("claude-opus-4-1-20250805", "anthropic", "claude", False, None),
    ("claude-haiku-4-5", "anthropic", "claude", False, None),
    ("claude-2.1", "anthropic", "claude", False, None),
    ("claude-instant-1.2", "anthropic", "claude", False, None),
    ("claude-3-5-haiku@20241022", "anthropic", "claude", False, None),
    ("gemini-1.5-pro", "google", "gemini", False, None),
    ("gemini-2.0-flash", "google", "gemini", False, None),
    ("gemini-2.5-flash-lite", "google", "gemini", False, None),
    ("models/gemini-1.5-pro-002", "google", "gemini", False, None),
    ("gemini-pro", "google", "gemini", False, None),
    ("text-bison@002", "google", "palm", False, None),
    ("google/gemma-2-9b-it", "google", "gemma", True, "huggingface"),
    ("gemma2:9b", "google", "gemma", True, "ollama"),
    ("mistral-large-latest", "mistral", "mistral", None, None),
    ("mistral-small-2409", "mistral", "mistral", None, None),
    ("open-mixtral-8x7b", "mistral", "mistral", True, None),
    ("codestral-latest", "mistral", "mistral", None, None),
    ("mistralai/Mistral-7B-Instruct-v0.3", "mistral", "mistral", True, "huggingface"),
    ("mixtral:8x7b", "mistral", "mistral", True, "ollama"),
    ("command-r-plus", "cohere", "command", None, None),
    ("command-r-08-2024", "cohere", "command", None, None),
    ("command-a-03-2025", "cohere", "command", None, None),
    ("embed-english-v3.0", "cohere", "cohere-embed", False, None),
    ("llama3.1:8b", "meta", "llama", True, "ollama"),
    ("meta-llama/Llama-3.1-8B-Instruct", "meta", "llama", True, "huggingface"),
    ("meta-llama/Meta-Llama-3-8B-Instruct", "meta", "llama", True, "huggingface"),
    ("Llama-2-7b-chat-hf", "meta", "llama", True, None),
    ("llama-3.3-70b-versatile", "meta", "llama", True, None),
    ("groq/llama-3.1-8b-instant", "meta", "llama", True, "groq"),
    ("codellama:7b", "meta", "llama", True, "ollama"),
    ("Qwen/Qwen2.5-7B-Instruct", "alibaba", "qwen", True, "huggingface"),
    ("qwen2.5:7b", "alibaba", "qwen", True, "ollama"),
    ("qwen-max", "alibaba", "qwen", False, None),
    ("deepseek-chat", "deepseek", "deepseek", True, None),
    ("deepseek-r1:7b", "deepseek", "deepseek", True, "ollama"),
    ("deepseek-ai/DeepSeek-V3", "deepseek", "deepseek", True, "huggingface"),
    ("microsoft/Phi-3-mini-4k-instruct", "microsoft", "phi", True, "huggingface"),
    ("phi4", "microsoft", "phi", True, None),
    ("tiiuae/falcon-7b-instruct", "tii", "falcon", True, "huggingface"),
    ("grok-2-1212", "xai", "grok", None, None),
    ("anthropic.claude-3-sonnet-20240229-v1:0", "anthropic", "claude", False, "bedrock"),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic", "claude", False, "bedrock"),
    ("amazon.titan-embed-text-v2:0", "amazon", "titan", False, "bedrock"),
    ("amazon.nova-pro-v1:0", "amazon", "nova", False, "bedrock"),
    ("meta.llama3-1-8b-instruct-v1:0", "meta", "llama", True, "bedrock"),
    ("cohere.command-r-plus-v1:0", "cohere", "command", None, "bedrock"),
    (
        "sentence-transformers/all-MiniLM-L6-v2",
        "sbert",
        "sentence-transformers",
        True,
        "huggingface",
    ),
    ("all-mpnet-base-v2", "sbert", "sentence-transformers", True, None),
    ("BAAI/bge-large-en-v1.5", "baai", "bge", True, "huggingface"),
    ("nomic-embed-text", "nomic", "nomic-embed", True, None),
    ("openrouter/anthropic/claude-3.5-sonnet", "anthropic", "claude", False, "openrouter"),
    ("https://huggingface.co/meta-llama/Llama-3.1-8B", "meta", "llama", True, "huggingface"),
    ("EleutherAI/pythia-1.4b", "eleutherai", "eleutherai", True, "huggingface"),
]

MUST_PASS = [
    "gpt",
    "GPT",
    "claude",
    "Claude",
    "llama",
    "gemini",
    "mistral",
    "command",
    "o1",  # bare: only next to a model key
    "sonar",
    "v1.2.3",
    "1.2.3",
    "claude-code",
    "gemini-cli",
    "llama-index",
    "llama_index",
    "command-line",
    "mistral-common",
    "gpt-engineer",
    "src/gpt-4o",
    "docs/claude-3-opus.md",
    "facebook/create-react-app",
    "mistralai/mistral-common",
    "google/protobuf",
    "Ask claude about gpt-4o",
    "the llama walked",
    "Dear Claude, thanks",
    "phi",
    "falcon",
    "commander-1",
    "o",
    "",
    "x" * 500,
]


@pytest.mark.parametrize(("value", "provider", "family", "open_weights", "via"), MUST_FLAG)
def test_model_ids_are_recognised(value, provider, family, open_weights, via):
    match = classify(value)
    assert match is not None, value
    assert (match.provider, match.family, match.open_weights, match.via) == (
        provider,
        family,
        open_weights,
        via,
    )


@pytest.mark.parametrize("value", MUST_PASS)
def test_ordinary_strings_are_not_model_ids(value):
    assert classify(value) is None


@pytest.mark.parametrize("value", ["o1", "o3", "sonar"])
def test_ambiguous_bare_ids_need_a_model_key(value):
    assert classify(value) is None
    assert classify(value, model_context=True) is not None


def _scan(text: str, *, config: bool = False):
    return scan_model_ids("f", text, LineIndex(text), config=config)


def test_code_literals_with_lines_and_no_prose_or_comments():
    text = (
        "# we moved from gpt-4 to gpt-4o last year\n"
        'client.create(model="gpt-4o-mini")\n'
        "x = 'claude-3-5-haiku-20241022'\n"
        'note = "Claude said gpt-4o is fine"\n'
        "y = `gemini-2.0-flash`\n"
        'z = f"{model}"\n'
    )
    found = [(m.line, m.model_id, m.context) for m in _scan(text)]
    assert found == [
        (2, "gpt-4o-mini", "code"),
        (3, "claude-3-5-haiku-20241022", "code"),
        (5, "gemini-2.0-flash", "code"),
    ]


def test_bare_o_series_with_and_without_a_model_key():
    text = 'reasoning = dict(model="o3")\nlevel = "o1"\n'
    assert [(m.line, m.model_id) for m in _scan(text)] == [(1, "o3")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("llm:\n  model: gemini-2.0-flash  # default\n", "gemini-2.0-flash"),
        ("OPENAI_MODEL=gpt-4o\n", "gpt-4o"),
        ("models:\n  - llama3.1:8b\n", "llama3.1:8b"),
        ('[llm]\nmodel = "claude-sonnet-4-20250514"\n', "claude-sonnet-4-20250514"),
        ("spring.ai.openai.chat.options.model=gpt-4o\n", "gpt-4o"),
        ('{"model": "mistral-large-latest"}', "mistral-large-latest"),
        (
            "bedrock_model: anthropic.claude-3-sonnet-20240229-v1:0\n",
            "anthropic.claude-3-sonnet-20240229-v1:0",
        ),
    ],
)
def test_config_values(text, expected):
    assert [m.model_id for m in _scan(text, config=True)] == [expected]
    assert all(m.context == "config" for m in _scan(text, config=True))


def test_bare_config_values_are_not_read_in_code():
    assert _scan("model = gpt-4o\n", config=False) == []


def test_every_must_flag_id_passes_the_prefilter():
    # The Hyperscan anchors must cover the family table, or a file holding only that id is missed.
    assert [v for v, *_ in MUST_FLAG if not may_contain(f'x = "{v}"')] == []
    assert may_contain('m = "chatglm3-6b"')


def test_prefilter_skips_unrelated_text():
    assert not may_contain("def total(items):\n    return sum(items)\n")
    assert may_contain('m = "gpt-4o"')
    assert may_contain("repo = 'Qwen/Qwen2.5-7B'")


def test_duplicate_mentions_on_one_line_are_one_reference():
    assert len(_scan('pick("gpt-4o") or pick("gpt-4o")\n')) == 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_classify_never_raises(value):
    match = classify(value)
    if match is not None:
        assert not any(c.isspace() for c in value.strip())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
def test_scan_never_raises_and_lines_are_in_range(text):
    for ref in _scan(text, config=True):
        assert 1 <= ref.line <= text.count("\n") + 1


def test_references_per_file_are_capped():
    text = "".join(f'm{i} = "gpt-4o"\n' for i in range(1500))
    assert len(_scan(text)) == 1000
