"""Markdown: ATX and setext headings give the section paths; light inline markup is removed.

This is a line scanner, not a CommonMark implementation: it only needs headings, fenced code
(so a ``# comment`` inside code is not a heading) and readable body text. Every regex here is
bounded by a delimiter character class so a hostile line cannot trigger catastrophic backtracking.
"""

from __future__ import annotations

import re

from essor.knowledge.parsers.base import ParsedDocument, ParsedSection
from essor.knowledge.parsers.text import OutlineBuilder, decode_text

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]|$)")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_THEMATIC_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LINK_DEFINITION = re.compile(r" {0,3}\[[^\]\n]+\]:[ \t]*\S")
_QUOTE = re.compile(r" {0,3}>[ \t]?")
# A line that starts a list item, a quote or a table row cannot be a setext heading's text.
_NOT_SETEXT_TEXT = re.compile(r" {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\|)| {4}")
# First characters of every line kind handled here other than plain prose.
_BLOCK_STARTS = frozenset("#`~=-*_[>")
# A setext "heading" longer than this is a paragraph followed by a rule, not a heading; the cap
# also keeps the backwards scan for it constant-time.
_SETEXT_MAX_LINES = 10
_FRONT_MATTER_TITLE = re.compile(r"title:[ \t]*(.+?)[ \t]*$", re.IGNORECASE)
_FRONT_MATTER_TAGS = re.compile(r"(?:tags|keywords):[ \t]*(.+?)[ \t]*$", re.IGNORECASE)

# Each pattern runs only on lines holding its trigger character (most prose lines hold none).
# Each scan stops at the next opening delimiter too ("[", "(", "<"...), so on a line of
# unclosed openers every attempt ends at the next one: linear time, never quadratic.
_INLINE: list[tuple[str, re.Pattern[str]]] = [
    ("[", re.compile(r"!?\[([^\[\]\n]*)\]\([^()\s]*(?:\s+\"[^\"\n]*\")?\)")),  # link, image
    ("[", re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]")),  # [text][ref]
    ("<", re.compile(r"<((?:https?|mailto):[^<>\s]+)>")),  # <https://autolink>
    ("`", re.compile(r"`([^`\n]+)`")),
    ("*", re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*")),
    ("_", re.compile(r"(?<![\w_])__(?=\S)([^_\n]+?)(?<=\S)__(?![\w_])")),
    ("~", re.compile(r"~~(?=\S)([^~\n]+?)(?<=\S)~~")),
    ("*", re.compile(r"(?<![*\w])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![*\w])")),
    # Word-boundary guards keep snake_case identifiers intact.
    ("_", re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")),
]


def _inner(match: re.Match[str]) -> str:
    return match.group(1)


def strip_inline(line: str) -> str:
    for trigger, pattern in _INLINE:
        if trigger in line:
            line = pattern.sub(_inner, line)
    return line


def parse_markdown(data: bytes, stem: str) -> ParsedDocument:
    front_title, tags, lines = _split_front_matter(decode_text(data).split("\n"))
    scanner = _Scanner()
    for line in lines:
        scanner.feed(line.rstrip())
    text, sections = scanner.finish()
    title = front_title or scanner.builder.first_h1 or stem
    metadata = {"tags": tags} if tags else {}
    return ParsedDocument(
        title=title, text=text, sections=sections, format="markdown", metadata=metadata
    )


class _Scanner:
    def __init__(self) -> None:
        self.builder = OutlineBuilder()
        self._body: list[str] = []
        self._fence: str | None = None

    def feed(self, line: str) -> None:
        if self._fence is not None:
            if _closes_fence(line, self._fence):
                self._fence = None
                self._body.append("")  # a closed fence ends the paragraph: no setext on code
            else:
                self._body.append(line)  # code stays verbatim
            return
        if line.lstrip(" ")[:1] not in _BLOCK_STARTS:
            self._body.append(strip_inline(line))  # the common case: a plain prose line
            return
        fence = _FENCE.match(line)
        if fence:
            self._fence = fence.group(1)
            self._body.append("")
            return
        atx = _ATX.match(line)
        if atx:
            self._heading(len(atx.group(1)), _atx_text(line[atx.end() :]))
            return
        setext = _SETEXT.match(line)
        heading_lines = _setext_text_lines(self._body) if setext else []
        if setext and heading_lines:
            del self._body[-len(heading_lines) :]
            text = " ".join(s.strip() for s in heading_lines)
            self._heading(1 if setext.group(1)[0] == "=" else 2, text)
            return
        if _THEMATIC_BREAK.match(line) or _LINK_DEFINITION.match(line):
            return
        self._body.append(strip_inline(_QUOTE.sub("", line, count=1)))

    def finish(self) -> tuple[str, list[ParsedSection]]:
        self._flush()
        return self.builder.build()

    def _heading(self, level: int, text: str) -> None:
        self._flush()
        self.builder.add_heading(level, strip_inline(text))

    def _flush(self) -> None:
        self.builder.add_block(re.sub(r"\n{3,}", "\n\n", "\n".join(self._body)))
        self._body.clear()


def _closes_fence(line: str, fence: str) -> bool:
    """A closing fence is the opening character alone, repeated at least as many times."""
    marker = line.strip()
    return len(marker) >= len(fence) and marker == fence[0] * len(marker)


def _atx_text(rest: str) -> str:
    """Heading text without the optional closing ``###`` sequence."""
    content = rest.strip()
    without_closing = content.rstrip("#")
    if without_closing != content and (not without_closing or without_closing[-1] in " \t"):
        return without_closing.strip()
    return content


def _setext_text_lines(body: list[str]) -> list[str]:
    """The paragraph lines just above a ``===``/``---`` line, or [] when it is no heading."""
    count = 0
    for line in reversed(body):
        if not line.strip():
            break
        if _NOT_SETEXT_TEXT.match(line) or count == _SETEXT_MAX_LINES:
            return []
        count += 1
    return body[len(body) - count :] if count else []


def _split_front_matter(lines: list[str]) -> tuple[str | None, str, list[str]]:
    """Title, tags (comma-separated) and the remaining lines; only these two keys are read."""
    if not lines or lines[0].strip() != "---":
        return None, "", lines
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            title = None
            tags = ""
            for line in lines[1:end]:
                match = _FRONT_MATTER_TITLE.match(line)
                if match and title is None:
                    title = match.group(1).strip("'\"").strip() or None
                found = _FRONT_MATTER_TAGS.match(line)
                if found:
                    tags = ", ".join(
                        t.strip(" '\"")
                        for t in found.group(1).strip("[] ").split(",")
                        if t.strip(" '\"")
                    )
            return title, tags, lines[end + 1 :]
    return None, "", lines
