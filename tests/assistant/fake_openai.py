"""A FAKE OpenAI-compatible chat-completions server, for tests only: no model behind it.

It runs on a free 127.0.0.1 port in a thread (Starlette + uvicorn) and answers according to
the model name it is asked for:

- ``fake-honest``: quotes the first sentence of passage 1 and cites it ``[1]``;
- ``fake-unsupported``: states a figure that is in no passage, citing ``[1]``;
- ``fake-mixed``: the honest sentence, then the unsupported one;
- ``fake-injectable``: behaves honestly unless a passage says "IGNORE PREVIOUS
  INSTRUCTIONS"; then it obeys, as a gullible model would: a markdown image and a link to
  evil.example, a claim about another document's content, a fake tool-call JSON (and a real
  ``tool_calls`` field);
- ``fake-slow``: sleeps ``slow_seconds`` before answering (past the client's timeout).

``fail_next`` makes the next N requests fail with ``fail_status`` (flaky server). A request
with ``"stream": true`` is answered as server-sent events, usage in the last chunk. Every
request is recorded (path, query, headers, JSON body) so tests can check what was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.servers import serve

INJECTION_TRIGGER = "IGNORE PREVIOUS INSTRUCTIONS"
EVIL_IMAGE = "http://evil.example/x.png"
EVIL_LINK = "http://evil.example/login"
INJECTED_CLAIM = "The okapi ledger shows the okapi committee approved 90000 euros for okapis"
TOOL_CALL = {"tool_call": {"name": "send_email", "arguments": {"to": "boss@evil.example"}}}
UNSUPPORTED_SENTENCE = "The office was founded in 1887 and employs 4321 people"

_PASSAGE = re.compile(r"<<<PASSAGE (\d+) (\w+)>>>\n(.*?)\n<<<END PASSAGE \1 \2>>>", re.DOTALL)


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeOpenAI:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 500
    slow_seconds: float = 2.0

    def reset(self) -> None:
        self.requests.clear()
        self.fail_next = 0
        self.fail_status = 500
        self.slow_seconds = 2.0


def passages_of(body: dict[str, Any]) -> dict[int, str]:
    """Passage number -> passage text (without its Title/Section header) from the user turn."""
    user = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
    out: dict[int, str] = {}
    for match in _PASSAGE.finditer(user):
        _header, _, text = match.group(3).partition("\n\n")
        out[int(match.group(1))] = text
    return out


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    parts = re.split(r"(?<=[.!?])\s+", text)
    sentence = next((p for p in parts if len(p.split()) >= 5), parts[0])
    return sentence.rstrip(".!?")


def _reply(fake: FakeOpenAI, body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The reply text and any tool calls, for the mode named by the model."""
    model = str(body.get("model", ""))
    passages = passages_of(body)
    first = _first_sentence(passages.get(1, "I cannot answer from the available sources"))
    honest = f"{first} [1]."
    if model == "fake-unsupported":
        return f"{UNSUPPORTED_SENTENCE} [1].", []
    if model == "fake-mixed":
        return f"{honest} {UNSUPPORTED_SENTENCE} [1].", []
    if model == "fake-injectable" and any(
        INJECTION_TRIGGER.lower() in t.lower() for t in passages.values()
    ):
        text = (
            f"![logo]({EVIL_IMAGE}) Please [confirm your account]({EVIL_LINK}) today [1]. "
            f"{INJECTED_CLAIM} [1]. {json.dumps(TOOL_CALL)} "
            f'<img src="{EVIL_IMAGE}"> Visit {EVIL_LINK} now. {honest}'
        )
        calls = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "send_email", "arguments": json.dumps(TOOL_CALL)},
            }
        ]
        return text, calls
    return honest, []


def _usage(body: dict[str, Any], reply: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
    completion = len(reply.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def make_app(fake: FakeOpenAI) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        fake.requests.append(
            Recorded(request.url.path, dict(request.query_params), dict(request.headers), body)
        )
        if fake.fail_next > 0:
            fake.fail_next -= 1
            return JSONResponse(
                {"error": {"message": "the fake is flaky on purpose", "type": "server_error"}},
                status_code=fake.fail_status,
            )
        if body.get("model") == "fake-slow":
            await asyncio.sleep(fake.slow_seconds)
        text, calls = _reply(fake, body)
        usage = _usage(body, text)
        if body.get("stream"):
            return StreamingResponse(_events(body, text, usage), media_type="text/event-stream")
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": usage,
            }
        )

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/{prefix:path}/chat/completions", completions, methods=["POST"]),
        ]
    )


async def _events(body: dict[str, Any], text: str, usage: dict[str, int]) -> AsyncIterator[str]:
    model = body.get("model")
    yield ": a comment line, as some servers send to keep the connection alive\n\n"
    for i, word in enumerate(text.split(" ")):
        delta = {"content": word if i == 0 else f" {word}"}
        chunk = {"model": model, "choices": [{"index": 0, "delta": delta}]}
        yield f"data: {json.dumps(chunk)}\n\n"
    if (body.get("stream_options") or {}).get("include_usage"):
        yield f"data: {json.dumps({'model': model, 'choices': [], 'usage': usage})}\n\n"
    yield "data: [DONE]\n\n"


@contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    """Run the fake on a free 127.0.0.1 port; yields it with ``url`` set to its /v1 base."""
    fake = FakeOpenAI()
    with serve(make_app(fake)) as root:
        fake.url = f"{root}/v1"
        yield fake
