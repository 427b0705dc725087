"""An OpenAI-compatible chat-completions client: OpenAI, Azure OpenAI, Mistral, vLLM, Ollama,
llama.cpp server.

Only ``messages`` go out (no ``tools``, no ``functions``): a model that is never offered a tool
cannot be talked into calling one by a document, and any ``tool_calls`` in a reply are ignored.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from essor.assistant.providers.base import Completion, Message, ProviderError
from essor.settings import Settings

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
MAX_ERROR_DETAIL = 200
# Connection-level failures worth another try. A read timeout is not retried: a model that
# is too slow once will be too slow again, and each try costs the person a full timeout.
RETRYABLE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class OpenAICompatProvider:
    def __init__(
        self,
        settings: Settings,
        *,
        backoff_seconds: float = BACKOFF_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._base_url = settings.llm_base_url.strip().rstrip("/")
        self._backoff = backoff_seconds
        self._transport = transport

    @property
    def model(self) -> str:
        return self._settings.llm_model

    def __repr__(self) -> str:  # the settings hold the key: never show them
        return f"OpenAICompatProvider(host={self._host!r}, model={self.model!r})"

    @property
    def _host(self) -> str:
        return urlsplit(self._base_url).netloc or self._base_url

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self._settings.llm_api_key.get_secret_value()
        if key:
            headers["Authorization"] = f"Bearer {key}"
            if self._settings.llm_api_style == "azure":
                headers["api-key"] = key
        return headers

    def _params(self) -> dict[str, str]:
        if self._settings.llm_api_style == "azure":
            return {"api-version": self._settings.llm_azure_api_version}
        return {}

    def _body(self, messages: Sequence[Message], stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            # Deterministic answers: the same sources and question give the same reply.
            "temperature": 0,
        }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def complete(
        self, messages: Sequence[Message], *, stream_to: Callable[[str], None] | None = None
    ) -> Completion:
        attempts = 1 + self._settings.llm_max_retries
        timeout = httpx.Timeout(self._settings.llm_timeout_seconds)
        with httpx.Client(timeout=timeout, transport=self._transport) as client:
            for attempt in range(attempts):
                try:
                    if stream_to is None:
                        return self._once(client, messages)
                    return self._stream(client, messages, stream_to)
                except _Retryable as exc:
                    if attempt + 1 >= attempts:
                        raise ProviderError(
                            f"language model at {self._host} failed: {exc.reason} "
                            f"(after {attempts} attempts)"
                        ) from None
                    delay = self._delay(attempt, exc.retry_after)
                    log.warning(
                        "language model at %s: %s; retry %d/%d in %.1fs",
                        self._host,
                        exc.reason,
                        attempt + 1,
                        attempts - 1,
                        delay,
                    )
                    time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = min(self._backoff * 2.0**attempt, MAX_BACKOFF_SECONDS)
        if retry_after is not None:
            # Honour the server's Retry-After, but never wait longer than the cap.
            delay = min(max(delay, retry_after), MAX_BACKOFF_SECONDS)
        return delay

    def _url(self) -> str:
        return f"{self._base_url}/chat/completions"

    def _once(self, client: httpx.Client, messages: Sequence[Message]) -> Completion:
        try:
            response = client.post(
                self._url(),
                headers=self._headers(),
                params=self._params(),
                json=self._body(messages, stream=False),
            )
        except RETRYABLE_ERRORS as exc:
            raise _Retryable(type(exc).__name__) from None
        except httpx.TimeoutException:
            raise self._timeout() from None
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"language model at {self._host} failed: {type(exc).__name__}"
            ) from None
        self._check(response)
        try:
            data = response.json()
            text = data["choices"][0]["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise ProviderError(
                f"language model at {self._host} sent a reply that is not a chat completion"
            ) from None
        usage = data.get("usage") or {}
        return Completion(
            text=str(text),
            model=str(data.get("model") or self.model),
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")),
        )

    def _stream(
        self, client: httpx.Client, messages: Sequence[Message], stream_to: Callable[[str], None]
    ) -> Completion:
        parts: list[str] = []
        model = self.model
        usage: dict[str, Any] = {}
        try:
            with client.stream(
                "POST",
                self._url(),
                headers=self._headers(),
                params=self._params(),
                json=self._body(messages, stream=True),
            ) as response:
                if response.status_code >= 400:
                    response.read()
                self._check(response)
                for chunk in _sse_events(response.iter_lines()):
                    model = str(chunk.get("model") or model)
                    if chunk.get("usage"):
                        usage = chunk["usage"]
                    for choice in chunk.get("choices") or []:
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            parts.append(str(delta))
                            stream_to(str(delta))
        except RETRYABLE_ERRORS as exc:
            if parts:  # text already went out: a retry would repeat it
                raise ProviderError(
                    f"language model at {self._host} broke off mid-answer: {type(exc).__name__}"
                ) from None
            raise _Retryable(type(exc).__name__) from None
        except httpx.TimeoutException:
            raise self._timeout() from None
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"language model at {self._host} failed: {type(exc).__name__}"
            ) from None
        return Completion(
            text="".join(parts),
            model=model,
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")),
        )

    def _timeout(self) -> ProviderError:
        return ProviderError(
            f"language model at {self._host} did not answer within "
            f"{self._settings.llm_timeout_seconds:g} s"
        )

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        reason = f"HTTP {status}"
        detail = self._detail(response)
        if detail:
            reason = f"{reason}: {detail}"
        if status == 429 or status >= 500:
            raise _Retryable(reason, _retry_after(response.headers.get("retry-after")))
        # Any other 4xx (bad key, unknown model, bad request) will fail the same way again.
        raise ProviderError(f"language model at {self._host} refused the request: {reason}")

    def _detail(self, response: httpx.Response) -> str:
        """The server's own error message, short and with the key scrubbed out of it."""
        try:
            error = response.json().get("error")
            message = error.get("message") if isinstance(error, dict) else error
        except (ValueError, AttributeError):
            return ""
        if not isinstance(message, str):
            return ""
        key = self._settings.llm_api_key.get_secret_value()
        if key:
            message = message.replace(key, "***")
        return " ".join(message.split())[:MAX_ERROR_DETAIL]


def _sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The JSON payloads of an SSE stream's ``data:`` lines, up to ``[DONE]``."""
    for line in lines:
        if not line.startswith("data:"):
            continue  # comments (": keep-alive"), event names and blank separators
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        if not payload:
            continue
        try:
            event = json.loads(payload)
        except ValueError:
            raise ProviderError("the language model sent a malformed stream event") from None
        if isinstance(event, dict):
            if event.get("error"):
                raise ProviderError("the language model reported an error mid-stream")
            yield event


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
