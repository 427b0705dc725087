"""The OpenAI-compatible provider against a local FAKE server (tests/assistant/fake_openai.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from essor.assistant.providers import (
    Message,
    OpenAICompatProvider,
    ProviderError,
    get_provider,
)
from essor.settings import Settings
from tests.assistant.fake_openai import FakeOpenAI, fake_openai

KEY = "sk-test-secret-key-123"
MESSAGES = [
    Message("system", "Answer from the passages."),
    Message(
        "user",
        "<<<PASSAGE 1 abc>>>\nTitle: T\n\nThe quokka office opens at nine every morning.\n"
        "<<<END PASSAGE 1 abc>>>\n\nQuestion: When does the office open?",
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with fake_openai() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOpenAI) -> FakeOpenAI:
    server.reset()
    return server


def llm_settings(fake: FakeOpenAI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "llm_base_url": fake.url,
        "llm_model": "fake-honest",
        "llm_api_key": KEY,
        "llm_max_retries": 2,
        "llm_timeout_seconds": 10.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def provider(fake: FakeOpenAI, **overrides: Any) -> OpenAICompatProvider:
    return OpenAICompatProvider(llm_settings(fake, **overrides), backoff_seconds=0.01)


def test_no_base_url_means_no_provider() -> None:
    assert get_provider(Settings(_env_file=None)) is None
    assert get_provider(Settings(llm_base_url="  ", _env_file=None)) is None


def test_completion_request_and_token_counts(fake: FakeOpenAI) -> None:
    completion = provider(fake).complete(MESSAGES)
    assert completion.text == "The quokka office opens at nine every morning [1]."
    assert completion.model == "fake-honest"
    assert completion.prompt_tokens is not None and completion.prompt_tokens > 10
    assert completion.completion_tokens == 9
    [request] = fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert "api-key" not in request.headers and request.query == {}
    body = request.body
    assert body["model"] == "fake-honest" and body["temperature"] == 0
    assert body["messages"][0] == {"role": "system", "content": "Answer from the passages."}
    # Nothing that would let a model act: no tools, no functions.
    assert not {"tools", "functions", "tool_choice", "stream"} & set(body)


def test_streaming_is_assembled_with_usage(fake: FakeOpenAI) -> None:
    deltas: list[str] = []
    completion = provider(fake).complete(MESSAGES, stream_to=deltas.append)
    assert len(deltas) > 3
    assert "".join(deltas) == completion.text
    assert completion.text == "The quokka office opens at nine every morning [1]."
    assert completion.completion_tokens == 9 and completion.prompt_tokens
    body = fake.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_flaky_server_is_retried(fake: FakeOpenAI) -> None:
    fake.fail_next = 2
    completion = provider(fake).complete(MESSAGES)
    assert completion.text.endswith("[1].")
    assert len(fake.requests) == 3


def test_streaming_is_retried_too(fake: FakeOpenAI) -> None:
    fake.fail_next = 1
    deltas: list[str] = []
    completion = provider(fake).complete(MESSAGES, stream_to=deltas.append)
    assert "".join(deltas) == completion.text and len(fake.requests) == 2


@pytest.mark.parametrize("status", [500, 503, 429])
def test_retries_are_bounded_then_a_clear_error(fake: FakeOpenAI, status: int) -> None:
    fake.fail_next, fake.fail_status = 10, status
    with pytest.raises(ProviderError) as info:
        provider(fake, llm_max_retries=2).complete(MESSAGES)
    assert len(fake.requests) == 3
    message = str(info.value)
    assert f"HTTP {status}" in message and "after 3 attempts" in message
    assert "127.0.0.1" in message and KEY not in message


@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_not_retried(fake: FakeOpenAI, status: int) -> None:
    fake.fail_next, fake.fail_status = 10, status
    with pytest.raises(ProviderError, match=f"refused the request: HTTP {status}"):
        provider(fake).complete(MESSAGES)
    assert len(fake.requests) == 1


def test_timeout(fake: FakeOpenAI) -> None:
    fake.slow_seconds = 1.5
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"did not answer within 0\.3 s"):
        provider(fake, llm_model="fake-slow", llm_timeout_seconds=0.3).complete(MESSAGES)
    assert time.monotonic() - started < 1.4
    assert len(fake.requests) == 1  # a slow model is not asked again


def test_connection_refused_is_retried_then_reported() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    settings = Settings(
        llm_base_url=f"http://127.0.0.1:{port}/v1",
        llm_model="m",
        llm_api_key=KEY,
        llm_max_retries=1,
        _env_file=None,
    )
    with pytest.raises(ProviderError, match=r"ConnectError.*after 2 attempts") as info:
        OpenAICompatProvider(settings, backoff_seconds=0.01).complete(MESSAGES)
    assert KEY not in str(info.value)


def test_azure_style(fake: FakeOpenAI) -> None:
    p = provider(
        fake,
        llm_base_url=f"{fake.url}/openai/deployments/gpt-4o-mini",
        llm_api_style="azure",
        llm_azure_api_version="2024-10-21",
    )
    assert p.complete(MESSAGES).text.endswith("[1].")
    [request] = fake.requests
    assert request.path == "/v1/openai/deployments/gpt-4o-mini/chat/completions"
    assert request.query == {"api-version": "2024-10-21"}
    assert request.headers["api-key"] == KEY
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_the_key_is_never_shown(fake: FakeOpenAI) -> None:
    settings = llm_settings(fake)
    p = get_provider(settings)
    assert p is not None
    assert KEY not in repr(settings) and KEY not in repr(p) and KEY not in str(settings)
    assert KEY not in settings.model_dump_json()
