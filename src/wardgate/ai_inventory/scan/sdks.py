"""The table of AI SDKs and frameworks the scanner knows, and name look-up in it.

One row per library, with the names it goes by in each namespace: ``pypi`` distributions,
``python`` import modules, ``npm`` packages (also their import names), ``maven`` coordinates
(``group:artifact``), ``java`` packages (Java and Kotlin imports) and ``go`` module paths. A name
ending in ``*`` is a prefix (``langchain-*``, ``@langchain/*``, ``dev.langchain4j:*``); any other
name also matches its sub-modules (``google.genai`` matches ``google.genai.types``). To support a
new library, add a row; nothing else changes.

``boto3`` is deliberately absent: it is the general AWS SDK, and only a Bedrock client name in
code makes it AI use (see :mod:`wardgate.ai_inventory.scan.imports`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMESPACES = ("pypi", "python", "npm", "maven", "java", "go")

# Categories: what the library is for, coarse enough to group a report by.
LLM_API = "llm-api-sdk"
CLOUD_AI = "cloud-ai-sdk"
ORCHESTRATION = "llm-framework"
AGENTS = "agent-framework"
ML_FRAMEWORK = "ml-framework"
MODEL_HUB = "model-hub"
INFERENCE = "inference-runtime"
EMBEDDINGS = "embeddings"
VECTOR_STORE = "vector-store"
GATEWAY = "llm-gateway"
PROTOCOL = "agent-protocol"


@dataclass(frozen=True, slots=True)
class Library:
    """An AI SDK or framework and the names it is known by in each namespace."""

    key: str
    provider: str
    category: str
    pypi: tuple[str, ...] = ()
    python: tuple[str, ...] = ()
    npm: tuple[str, ...] = ()
    maven: tuple[str, ...] = ()
    java: tuple[str, ...] = ()
    go: tuple[str, ...] = ()

    def names(self, namespace: str) -> tuple[str, ...]:
        names: tuple[str, ...] = getattr(self, namespace)
        return names


L = Library
LIBRARIES: tuple[Library, ...] = (
    # --- model providers' own SDKs
    L(
        "openai",
        "openai",
        LLM_API,
        pypi=("openai", "openai-agents", "tiktoken"),
        python=("openai", "tiktoken"),
        npm=("openai", "@openai/agents", "@openai/*"),
        maven=("com.openai:*", "com.theokanning.openai-gpt3-java:*"),
        java=("com.openai", "com.theokanning.openai"),
        go=("github.com/openai/openai-go",),
    ),
    L("go-openai", "openai", LLM_API, go=("github.com/sashabaranov/go-openai",)),
    L(
        "anthropic",
        "anthropic",
        LLM_API,
        pypi=("anthropic", "claude-agent-sdk"),
        python=("anthropic", "claude_agent_sdk"),
        npm=("@anthropic-ai/*",),
        maven=("com.anthropic:*",),
        java=("com.anthropic",),
        go=("github.com/anthropics/anthropic-sdk-go", "github.com/liushuangls/go-anthropic"),
    ),
    L(
        "google-genai",
        "google",
        LLM_API,
        pypi=("google-genai",),
        python=("google.genai",),
        npm=("@google/genai",),
        maven=("com.google.genai:*",),
        java=("com.google.genai",),
        go=("google.golang.org/genai",),
    ),
    L(
        "google-generativeai",
        "google",
        LLM_API,
        pypi=("google-generativeai", "google-ai-generativelanguage"),
        python=("google.generativeai", "google.ai.generativelanguage"),
        npm=("@google/generative-ai",),
        go=("github.com/google/generative-ai-go",),
    ),
    L(
        "vertexai",
        "google",
        CLOUD_AI,
        pypi=("google-cloud-aiplatform", "vertexai"),
        python=("vertexai", "google.cloud.aiplatform"),
        npm=("@google-cloud/vertexai", "@google-cloud/aiplatform"),
        maven=(
            "com.google.cloud:google-cloud-vertexai",
            "com.google.cloud:google-cloud-aiplatform",
        ),
        java=("com.google.cloud.vertexai", "com.google.cloud.aiplatform"),
        go=("cloud.google.com/go/vertexai", "cloud.google.com/go/aiplatform"),
    ),
    L("google-adk", "google", AGENTS, pypi=("google-adk",), python=("google.adk",)),
    L(
        "aws-bedrock",
        "amazon",
        CLOUD_AI,
        pypi=("langchain-aws*", "amazon-bedrock*"),
        npm=("@aws-sdk/client-bedrock*",),
        maven=("software.amazon.awssdk:bedrock*",),
        java=(
            "software.amazon.awssdk.services.bedrock",
            "software.amazon.awssdk.services.bedrockruntime",
        ),
        go=(
            "github.com/aws/aws-sdk-go-v2/service/bedrock",
            "github.com/aws/aws-sdk-go-v2/service/bedrockruntime",
            "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime",
        ),
    ),
    L(
        "azure-openai",
        "microsoft",
        CLOUD_AI,
        pypi=("azure-ai-openai", "azure-ai-inference", "azure-ai-projects", "azure-ai-agents"),
        python=("azure.ai.openai", "azure.ai.inference", "azure.ai.projects", "azure.ai.agents"),
        npm=(
            "@azure/openai",
            "@azure/ai-inference",
            "@azure-rest/ai-inference",
            "@azure/ai-projects",
        ),
        maven=("com.azure:azure-ai-openai", "com.azure:azure-ai-inference"),
        java=("com.azure.ai.openai", "com.azure.ai.inference"),
        go=("github.com/Azure/azure-sdk-for-go/sdk/ai/azopenai",),
    ),
    L(
        "cohere",
        "cohere",
        LLM_API,
        pypi=("cohere",),
        python=("cohere",),
        npm=("cohere-ai",),
        maven=("com.cohere:*",),
        java=("com.cohere",),
        go=("github.com/cohere-ai/cohere-go",),
    ),
    L(
        "mistralai",
        "mistral",
        LLM_API,
        pypi=("mistralai",),
        python=("mistralai",),
        npm=("@mistralai/*",),
    ),
    L("groq", "groq", LLM_API, pypi=("groq",), python=("groq",), npm=("groq-sdk",)),
    L(
        "together",
        "together",
        LLM_API,
        pypi=("together",),
        python=("together",),
        npm=("together-ai",),
    ),
    L(
        "replicate",
        "replicate",
        LLM_API,
        pypi=("replicate",),
        python=("replicate",),
        npm=("replicate",),
    ),
    L("fireworks", "fireworks", LLM_API, pypi=("fireworks-ai",), python=("fireworks",)),
    L("xai", "xai", LLM_API, pypi=("xai-sdk",), python=("xai_sdk",)),
    L(
        "ollama",
        "ollama",
        INFERENCE,
        pypi=("ollama",),
        python=("ollama",),
        npm=("ollama",),
        go=("github.com/ollama/ollama",),
    ),
    # --- gateways and routers
    L("litellm", "berriai", GATEWAY, pypi=("litellm",), python=("litellm",)),
    L("vercel-ai-sdk", "vercel", ORCHESTRATION, npm=("ai", "@ai-sdk/*")),
    # --- Hugging Face and local inference
    L(
        "huggingface-hub",
        "huggingface",
        MODEL_HUB,
        pypi=("huggingface-hub",),
        python=("huggingface_hub",),
        npm=("@huggingface/hub", "@huggingface/inference"),
    ),
    L(
        "transformers",
        "huggingface",
        ML_FRAMEWORK,
        pypi=("transformers", "peft", "trl", "accelerate", "diffusers"),
        python=("transformers", "peft", "trl", "accelerate", "diffusers"),
        npm=("@huggingface/transformers", "@xenova/transformers"),
    ),
    L(
        "sentence-transformers",
        "huggingface",
        EMBEDDINGS,
        pypi=("sentence-transformers",),
        python=("sentence_transformers",),
    ),
    L(
        "torch",
        "pytorch",
        ML_FRAMEWORK,
        pypi=("torch", "torchvision", "torchaudio", "pytorch-lightning", "lightning"),
        python=("torch", "torchvision", "torchaudio", "pytorch_lightning", "lightning"),
        java=("org.pytorch",),
        maven=("org.pytorch:*",),
    ),
    L(
        "tensorflow",
        "google",
        ML_FRAMEWORK,
        pypi=("tensorflow*", "tf-keras", "keras"),
        python=("tensorflow", "keras", "tf_keras"),
        npm=("@tensorflow/*",),
        maven=("org.tensorflow:*",),
        java=("org.tensorflow",),
    ),
    L("jax", "google", ML_FRAMEWORK, pypi=("jax", "jaxlib", "flax"), python=("jax", "flax")),
    L("djl", "amazon", ML_FRAMEWORK, maven=("ai.djl*",), java=("ai.djl",)),
    L(
        "onnxruntime",
        "microsoft",
        INFERENCE,
        pypi=("onnxruntime*", "onnx"),
        python=("onnxruntime", "onnx"),
        npm=("onnxruntime-node", "onnxruntime-web", "onnxruntime-common"),
        maven=("com.microsoft.onnxruntime:*",),
        java=("ai.onnxruntime",),
        go=("github.com/yalue/onnxruntime_go",),
    ),
    L("vllm", "vllm", INFERENCE, pypi=("vllm",), python=("vllm",)),
    L(
        "llama-cpp",
        "ggml",
        INFERENCE,
        pypi=("llama-cpp-python",),
        python=("llama_cpp",),
        npm=("node-llama-cpp",),
    ),
    L("mlx", "apple", INFERENCE, pypi=("mlx", "mlx-lm"), python=("mlx", "mlx_lm")),
    # --- orchestration and agent frameworks
    L(
        "langchain",
        "langchain",
        ORCHESTRATION,
        pypi=("langchain", "langchain-*", "langgraph*", "langsmith"),
        python=("langchain", "langchain_*", "langgraph", "langsmith"),
        npm=("langchain", "@langchain/*", "langsmith"),
    ),
    L("langchaingo", "langchain", ORCHESTRATION, go=("github.com/tmc/langchaingo",)),
    L(
        "langchain4j",
        "langchain4j",
        ORCHESTRATION,
        maven=("dev.langchain4j:*",),
        java=("dev.langchain4j",),
    ),
    L(
        "spring-ai",
        "spring",
        ORCHESTRATION,
        maven=("org.springframework.ai:*",),
        java=("org.springframework.ai",),
    ),
    L(
        "llama-index",
        "llamaindex",
        ORCHESTRATION,
        pypi=("llama-index", "llama-index-*", "llama-parse"),
        python=("llama_index", "llama_parse"),
        npm=("llamaindex", "@llamaindex/*"),
    ),
    L(
        "haystack",
        "deepset",
        ORCHESTRATION,
        pypi=("haystack-ai", "farm-haystack"),
        python=("haystack",),
    ),
    L(
        "semantic-kernel",
        "microsoft",
        ORCHESTRATION,
        pypi=("semantic-kernel",),
        python=("semantic_kernel",),
        maven=("com.microsoft.semantic-kernel:*",),
        java=("com.microsoft.semantickernel",),
    ),
    L("dspy", "stanford", ORCHESTRATION, pypi=("dspy", "dspy-ai"), python=("dspy",)),
    L("guidance", "guidance-ai", ORCHESTRATION, pypi=("guidance",), python=("guidance",)),
    L("instructor", "instructor", ORCHESTRATION, pypi=("instructor",), python=("instructor",)),
    L("pydantic-ai", "pydantic", AGENTS, pypi=("pydantic-ai*",), python=("pydantic_ai",)),
    L("crewai", "crewai", AGENTS, pypi=("crewai*",), python=("crewai",)),
    L(
        "autogen",
        "microsoft",
        AGENTS,
        pypi=("pyautogen", "autogen-*", "ag2"),
        python=("autogen", "autogen_*"),
    ),
    L("smolagents", "huggingface", AGENTS, pypi=("smolagents",), python=("smolagents",)),
    L(
        "genkit",
        "google",
        ORCHESTRATION,
        npm=("genkit", "@genkit-ai/*"),
        go=("github.com/firebase/genkit",),
    ),
    L(
        "mcp",
        "modelcontextprotocol",
        PROTOCOL,
        pypi=("mcp", "fastmcp"),
        python=("mcp", "fastmcp"),
        npm=("@modelcontextprotocol/*",),
        maven=("io.modelcontextprotocol*",),
        java=("io.modelcontextprotocol",),
        go=("github.com/mark3labs/mcp-go", "github.com/modelcontextprotocol/go-sdk"),
    ),
    # --- vector stores (where embeddings, and so often sensitive text, end up)
    L(
        "chromadb",
        "chroma",
        VECTOR_STORE,
        pypi=("chromadb",),
        python=("chromadb",),
        npm=("chromadb",),
    ),
    L(
        "pinecone",
        "pinecone",
        VECTOR_STORE,
        pypi=("pinecone", "pinecone-client"),
        python=("pinecone",),
        npm=("@pinecone-database/pinecone",),
    ),
    L(
        "qdrant",
        "qdrant",
        VECTOR_STORE,
        pypi=("qdrant-client",),
        python=("qdrant_client",),
        npm=("@qdrant/js-client-rest",),
    ),
    L(
        "weaviate",
        "weaviate",
        VECTOR_STORE,
        pypi=("weaviate-client",),
        python=("weaviate",),
        npm=("weaviate-client", "weaviate-ts-client"),
    ),
    L("faiss", "meta", VECTOR_STORE, pypi=("faiss-cpu", "faiss-gpu", "faiss"), python=("faiss",)),
    L("milvus", "zilliz", VECTOR_STORE, pypi=("pymilvus",), python=("pymilvus",)),
)

_SEPARATORS = {"python": ".", "java": ".", "go": "/", "npm": "/", "pypi": "", "maven": ""}
_PEP503 = re.compile(r"[-_.]+")


def normalise_pypi(name: str) -> str:
    """PEP 503 form: ``Sentence_Transformers`` and ``sentence.transformers`` are one project."""
    return _PEP503.sub("-", name).lower()


class _Index:
    """Exact names in a dict; prefixes in a short list; sub-module matches by walking up."""

    def __init__(self, namespace: str) -> None:
        self.sep = _SEPARATORS[namespace]
        self.exact: dict[str, Library] = {}
        self.prefixes: list[tuple[str, Library]] = []
        for library in LIBRARIES:
            for raw in library.names(namespace):
                name = self._norm(namespace, raw)
                if name.endswith("*"):
                    self.prefixes.append((name[:-1], library))
                else:
                    self.exact.setdefault(name, library)
        self.prefixes.sort(key=lambda p: -len(p[0]))  # most specific first
        self.namespace = namespace

    @staticmethod
    def _norm(namespace: str, name: str) -> str:
        if namespace == "pypi":
            return normalise_pypi(name.rstrip("*")) + ("*" if name.endswith("*") else "")
        if namespace in ("npm", "maven"):
            return name.lower()
        return name

    def find(self, name: str) -> Library | None:
        name = self._norm(self.namespace, name)
        hit = self.exact.get(name)
        if hit is not None:
            return hit
        if self.sep:
            cut = name.rfind(self.sep)
            while cut > 0:
                hit = self.exact.get(name[:cut])
                if hit is not None:
                    return hit
                cut = name.rfind(self.sep, 0, cut)
        for prefix, library in self.prefixes:
            if name.startswith(prefix):
                return library
        return None


_INDEXES = {namespace: _Index(namespace) for namespace in NAMESPACES}


def find_library(namespace: str, name: str) -> Library | None:
    """The library ``name`` belongs to in ``namespace`` (see :data:`NAMESPACES`), or None."""
    index = _INDEXES.get(namespace)
    return None if index is None or not name else index.find(name)


def library(key: str) -> Library:
    """The table row with this key (for code-level detections such as Bedrock clients)."""
    for row in LIBRARIES:
        if row.key == key:
            return row
    raise KeyError(key)
