"""Cross-site request forgery checks: a state-changing request from a browser must carry the
session's token, in the ``X-CSRF-Token`` header or the ``csrf_token`` form field.

The form field is found by reading the body only until the field is complete (templates put
it first), then what was read is replayed to the route, so a large upload is neither held in
memory nor parsed twice.
"""

from __future__ import annotations

import hmac
from urllib.parse import unquote_plus

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope

FIELD = "csrf_token"
HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_TOKEN_BYTES = 256


def tokens_match(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class _UrlencodedScanner:
    def __init__(self) -> None:
        self.token: str | None = None
        self._pending = b""

    def feed(self, chunk: bytes, *, final: bool) -> None:
        pairs = (self._pending + chunk).split(b"&")
        # The last pair may continue in the next chunk.
        self._pending = b"" if final else pairs.pop()
        for pair in pairs:
            name, _, value = pair.partition(b"=")
            if unquote_plus(name.decode("latin-1")) == FIELD:
                self.token = unquote_plus(value.decode("latin-1"))
                return


class _MultipartScanner:
    def __init__(self, boundary: bytes) -> None:
        self.token: str | None = None
        self._failed = False
        self._header_name = b""
        self._header_value = b""
        self._is_token_part = False
        self._data = bytearray()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_part,
                "on_header_end": self._header_end,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._is_token_part = False
        self._data.clear()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            _, options = parse_options_header(self._header_value)
            self._is_token_part = options.get(b"name") == FIELD.encode() and (
                b"filename" not in options
            )
        self._header_name = self._header_value = b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_token_part and len(self._data) <= MAX_TOKEN_BYTES:
            self._data += data[start:end]

    def _part_end(self) -> None:
        if self._is_token_part and self.token is None:
            self.token = self._data.decode("utf-8", "replace")

    def feed(self, chunk: bytes, *, final: bool) -> None:
        if self._failed or self.token is not None:
            return
        try:
            self._parser.write(chunk)
        except FormParserError:
            self._failed = True  # a malformed body carries no token


def _scanner(scope: Scope) -> _UrlencodedScanner | _MultipartScanner | None:
    content_type, params = parse_options_header(Headers(scope=scope).get("content-type"))
    if content_type == b"application/x-www-form-urlencoded":
        return _UrlencodedScanner()
    if content_type == b"multipart/form-data" and params.get(b"boundary"):
        return _MultipartScanner(params[b"boundary"])
    return None


def _replay(buffered: list[Message], receive: Receive) -> Receive:
    pending = list(buffered)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def form_token(scope: Scope, receive: Receive, *, limit: int) -> tuple[str | None, Receive]:
    """The ``csrf_token`` field of a form body, and a ``receive`` that replays the body.

    Reading stops at the field, at the end of the body, or after ``limit`` bytes (no token:
    the request is refused, and nothing more is read into memory).
    """
    scanner = _scanner(scope)
    if scanner is None:
        return None, receive
    buffered: list[Message] = []
    size = 0
    more = True
    while more and scanner.token is None and size <= limit:
        message = await receive()
        buffered.append(message)
        if message["type"] != "http.request":
            break  # the client went away
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        more = bool(message.get("more_body", False))
        scanner.feed(chunk, final=not more)
    return scanner.token, _replay(buffered, receive)


async def request_token(
    scope: Scope, receive: Receive, *, limit: int
) -> tuple[str | None, Receive]:
    """The token a request carries: the header if present, else the form field."""
    header = Headers(scope=scope).get(HEADER)
    if header:
        return header, receive
    return await form_token(scope, receive, limit=limit)
