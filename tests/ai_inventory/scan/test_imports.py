from wardgate.ai_inventory.scan.fileio import LineIndex
from wardgate.ai_inventory.scan.imports import scan_imports


def _found(language, text):
    return [
        (s.package, s.library, s.source, s.line)
        for s in scan_imports(language, "f", text, LineIndex(text))
    ]


def test_python_imports():
    text = (
        "import os, openai as oa\n"
        "from anthropic import Anthropic\n"
        "from google import genai\n"
        "from google.genai import types\n"
        "    import transformers  # inside a function\n"
        "from . import local\n"
        "from langchain_openai import ChatOpenAI\n"
        "import openai\n"
        "x = 'import torch'\n"
    )
    assert _found("python", text) == [
        ("openai", "openai", "import", 1),
        ("anthropic", "anthropic", "import", 2),
        ("google.genai", "google-genai", "import", 4),
        ("transformers", "transformers", "import", 5),
        ("langchain_openai", "langchain", "import", 7),
    ]


def test_bedrock_needs_a_bedrock_client_not_just_boto3():
    assert _found("python", "import boto3\ns3 = boto3.client('s3')\n") == []
    text = "import boto3\nrt = boto3.client(service_name='bedrock-runtime')\nb = session.client(\"bedrock\")\n"
    assert _found("python", text) == [
        ("boto3:bedrock-runtime", "aws-bedrock", "code", 2),
        ("boto3:bedrock", "aws-bedrock", "code", 3),
    ]


def test_javascript_and_typescript():
    text = (
        "import OpenAI from 'openai';\n"
        'import { ChatAnthropic } from "@langchain/anthropic";\n'
        "const sdk = require('@anthropic-ai/sdk/resources');\n"
        "const lazy = await import('ollama');\n"
        "import './styles.css';\n"
        "import { x } from '../local';\n"
        "import fs from 'node:fs';\n"
        "export * from '@google/genai';\n"
    )
    assert _found("javascript", text) == [
        ("openai", "openai", "import", 1),
        ("@langchain/anthropic", "langchain", "import", 2),
        ("@anthropic-ai/sdk", "anthropic", "import", 3),
        ("ollama", "ollama", "import", 4),
        ("@google/genai", "google-genai", "import", 8),
    ]


def test_java_and_kotlin():
    text = (
        "package x;\nimport java.util.List;\nimport com.openai.client.OpenAIClient;\n"
        "import static dev.langchain4j.data.message.UserMessage.userMessage;\n"
        "import org.springframework.ai.chat.client.ChatClient\n"
    )
    assert [(p, lib) for p, lib, _, _ in _found("java", text)] == [
        ("com.openai.client.OpenAIClient", "openai"),
        ("dev.langchain4j.data.message.UserMessage.userMessage", "langchain4j"),
        ("org.springframework.ai.chat.client.ChatClient", "spring-ai"),
    ]


def test_go_single_and_block_imports():
    text = (
        'package main\n\nimport "github.com/anthropics/anthropic-sdk-go"\n\nimport (\n\t"fmt"\n'
        '\topenai "github.com/sashabaranov/go-openai"\n\t"github.com/tmc/langchaingo/llms"\n)\n'
    )
    assert _found("go", text) == [
        ("github.com/anthropics/anthropic-sdk-go", "anthropic", "import", 3),
        ("github.com/sashabaranov/go-openai", "go-openai", "import", 7),
        ("github.com/tmc/langchaingo/llms", "langchaingo", "import", 8),
    ]


def test_unknown_language_yields_nothing():
    assert _found("rust", "use openai;") == []
