import pytest

from wardgate.ai_inventory.scan.sdks import (
    LIBRARIES,
    NAMESPACES,
    find_library,
    library,
    normalise_pypi,
)

MUST_FIND = [
    ("pypi", "openai", "openai"),
    ("pypi", "Sentence_Transformers", "sentence-transformers"),
    ("pypi", "langchain-openai", "langchain"),
    ("pypi", "langchain-aws", "aws-bedrock"),
    ("pypi", "llama-index-llms-openai", "llama-index"),
    ("pypi", "google-generativeai", "google-generativeai"),
    ("pypi", "tensorflow-cpu", "tensorflow"),
    ("python", "google.genai.types", "google-genai"),
    ("python", "google.generativeai", "google-generativeai"),
    ("python", "langchain_community.llms", "langchain"),
    ("python", "llama_index.core", "llama-index"),
    ("python", "sentence_transformers", "sentence-transformers"),
    ("python", "autogen_agentchat.agents", "autogen"),
    ("npm", "@anthropic-ai/sdk", "anthropic"),
    ("npm", "@langchain/openai", "langchain"),
    ("npm", "@google/genai", "google-genai"),
    ("npm", "@azure/openai", "azure-openai"),
    ("npm", "@aws-sdk/client-bedrock-runtime", "aws-bedrock"),
    ("npm", "ai", "vercel-ai-sdk"),
    ("maven", "com.openai:openai-java", "openai"),
    ("maven", "dev.langchain4j:langchain4j-open-ai", "langchain4j"),
    ("maven", "org.springframework.ai:spring-ai-openai-spring-boot-starter", "spring-ai"),
    ("maven", "com.azure:azure-ai-openai", "azure-openai"),
    ("java", "com.openai.client.OpenAIClient", "openai"),
    ("java", "dev.langchain4j.model.chat.ChatLanguageModel", "langchain4j"),
    ("java", "software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient", "aws-bedrock"),
    ("go", "github.com/sashabaranov/go-openai", "go-openai"),
    ("go", "github.com/sashabaranov/go-openai/jsonschema", "go-openai"),
    ("go", "github.com/anthropics/anthropic-sdk-go/option", "anthropic"),
    ("go", "github.com/tmc/langchaingo/llms", "langchaingo"),
]
MUST_MISS = [
    ("pypi", "requests"),
    ("pypi", "boto3"),  # the AWS SDK alone is not AI use
    ("pypi", "openai-whisper-ish"),
    ("python", "os"),
    ("python", "google"),
    ("python", "google.cloud.storage"),
    ("python", "openaix"),
    ("python", "boto3"),
    ("npm", "express"),
    ("npm", "@aws-sdk/client-s3"),
    ("npm", "openai-like"),
    ("maven", "org.springframework:spring-core"),
    ("java", "java.util.List"),
    ("java", "com.openaisomething.Foo"),
    ("go", "github.com/sashabaranov/go-openai-fork"),
    ("go", "fmt"),
    ("nope", "openai"),
    ("pypi", ""),
]


@pytest.mark.parametrize(("namespace", "name", "key"), MUST_FIND)
def test_known_libraries_are_found(namespace, name, key):
    found = find_library(namespace, name)
    assert found is not None
    assert found.key == key


@pytest.mark.parametrize(("namespace", "name"), MUST_MISS)
def test_other_names_are_not_ai(namespace, name):
    assert find_library(namespace, name) is None


def test_table_is_well_formed():
    keys = [row.key for row in LIBRARIES]
    assert len(keys) == len(set(keys))
    for row in LIBRARIES:
        assert row.provider
        assert row.category
        assert any(row.names(ns) for ns in NAMESPACES)
    assert library("aws-bedrock").provider == "amazon"
    with pytest.raises(KeyError):
        library("nope")


def test_pep503_normalisation():
    assert normalise_pypi("Llama_Index.Core") == "llama-index-core"
