"""Read a workflow definition from YAML, rejecting anything invalid with ``file:line: reason``.

The file is composed into YAML nodes (``yaml.compose`` with the safe loader: no Python objects,
no custom tags) rather than loaded into plain values, because only nodes remember the line they
came from, and an author fixing a file needs the line.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from essor.workflows.schema import (
    ALL_DEPARTMENTS,
    DEFAULT_MAX_LENGTH,
    INPUT_TYPES,
    LANGUAGES,
    MAX_SENTENCES,
    SECTION_FORMATS,
    STATUSES,
    Choice,
    InputField,
    Localized,
    OutputSection,
    Scope,
    WorkflowDefinition,
)

MAX_FILE_BYTES = 64 * 1024
# Aliases let a small file describe a huge graph ("billion laughs"); walking is capped.
MAX_NODES = 5_000
MAX_TEXT = 2_000
MAX_MINUTES = 480  # a working day: anything above is a typo, not an estimate

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEPARTMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

TOP_KEYS = {
    "id",
    "department",
    "title",
    "description",
    "inputs",
    "scope",
    "sections",
    "minutes_saved",
    "tips",
    "examples",
    "owner",
    "status",
    "version",
    "fallback_contact",
}
TOP_REQUIRED = TOP_KEYS - {"tips", "examples", "version", "fallback_contact"}
INPUT_KEYS = {"name", "type", "label", "required", "choices", "max_length", "help"}
SECTION_KEYS = {"id", "title", "query", "sentences", "format"}

STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")
)

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


class DefinitionError(ValueError):
    """One or more problems in one file; ``str()`` gives one ``file:line: reason`` per line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__(str(self))

    @property
    def lines(self) -> list[str]:
        return [f"{self.source}:{p.line}: {p.reason}" for p in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines)


class _Invalid(Exception):
    def __init__(self, node: Node | None, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.line = line if line is not None else (_line(node) if node is not None else 1)
        self.reason = reason


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def load_file(path: Path) -> WorkflowDefinition:
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DefinitionError(
            source, [Problem(1, f"cannot read the file: {exc.strerror}")]
        ) from exc
    if size > MAX_FILE_BYTES:
        raise DefinitionError(
            source, [Problem(1, f"file too big ({size} bytes, at most {MAX_FILE_BYTES})")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(source, [Problem(1, "the file is not UTF-8 text")]) from exc
    return load_text(text, source)


# libyaml's loader when PyYAML has it: the same safe nodes and marks, parsed about ten times
# faster (the registry reads every workflow file on each page that lists them).
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_text(text: str, source: str = "<workflow>") -> WorkflowDefinition:
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise DefinitionError(
            source, [Problem(1, f"file too big (at most {MAX_FILE_BYTES} bytes)")]
        )
    try:
        root = yaml.compose(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        reason = exc.problem or exc.context or "syntax error"
        raise DefinitionError(source, [Problem(line, f"invalid YAML: {reason}")]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(source, [Problem(1, f"invalid YAML: {exc}")]) from exc
    if root is None:
        raise DefinitionError(source, [Problem(1, "the file is empty")])
    try:
        nodes = _count(root, set())
    except _Invalid as exc:
        raise DefinitionError(source, [Problem(exc.line, exc.reason)]) from exc
    if nodes > MAX_NODES:
        raise DefinitionError(source, [Problem(1, f"too many YAML nodes (at most {MAX_NODES})")])
    return _Builder(source).definition(root)


def _count(node: Node, seen: set[int]) -> int:
    """Nodes in the graph, each counted once (an alias-heavy graph costs its size, not its
    expansion); a tag outside YAML's standard ones (``!!python/...``, ``!custom``) is refused."""
    if id(node) in seen:
        return 0
    seen.add(id(node))
    if node.tag not in STANDARD_TAGS:
        raise _Invalid(node, f"invalid YAML: the tag {node.tag} is not allowed")
    if isinstance(node, MappingNode):
        return 1 + sum(_count(k, seen) + _count(v, seen) for k, v in node.value)
    if isinstance(node, SequenceNode):
        return 1 + sum(_count(v, seen) for v in node.value)
    return 1


class _Builder:
    """Node-to-definition conversion; collects problems per field so one run reports many."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def attempt(self, fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except _Invalid as exc:
            self.problems.append(Problem(exc.line, exc.reason))
            return None

    def definition(self, root: Node) -> WorkflowDefinition:
        fields = self.attempt(lambda: _mapping(root, "the definition", TOP_KEYS, TOP_REQUIRED))
        if fields is None:
            raise DefinitionError(self.source, self.problems)
        a = self.attempt
        wid = a(lambda: _slug(fields["id"], "id"))
        department = a(lambda: _department(fields["department"]))
        title = a(lambda: _localized(fields["title"], "title"))
        description = a(lambda: _localized(fields["description"], "description"))
        inputs = self.inputs(fields["inputs"])
        # With broken inputs, template and example checks would only repeat that problem.
        names = {i.name: i for i in inputs} if inputs is not None else None
        scope = a(lambda: _scope(fields["scope"]))
        sections = self.sections(fields["sections"], names)
        minutes = a(lambda: _int(fields["minutes_saved"], "minutes_saved", 1, MAX_MINUTES))
        owner = a(lambda: _email(fields["owner"], "owner"))
        status = a(lambda: _one_of(fields["status"], "status", STATUSES))
        version = (
            a(lambda: _int(fields["version"], "version", 1, 10_000)) if "version" in fields else 1
        )
        tips = a(lambda: _tips(fields["tips"])) if "tips" in fields else {}
        examples: tuple[dict[str, dict[str, str]], ...] | None = ()
        if "examples" in fields and names is not None:
            examples = a(lambda: _examples(fields["examples"], names))
        contact = (
            a(lambda: _email(fields["fallback_contact"], "fallback_contact"))
            if "fallback_contact" in fields
            else None
        )
        if self.problems:
            raise DefinitionError(self.source, self.problems)
        assert wid and department and title and description and inputs and scope and sections
        assert minutes and owner and status and version and tips is not None
        assert examples is not None
        return WorkflowDefinition(
            id=wid,
            department=department,
            title=title,
            description=description,
            inputs=inputs,
            scope=scope,
            sections=sections,
            minutes_saved=minutes,
            owner=owner,
            status=status,
            version=version,
            tips=tips,
            examples=examples,
            fallback_contact=contact,
            source=self.source,
        )

    def inputs(self, node: Node) -> tuple[InputField, ...] | None:
        items = self.attempt(lambda: _sequence(node, "inputs", minimum=1))
        if items is None:
            return None
        out: list[InputField] = []
        for item in items:
            field = self.attempt(partial(_input, item))
            if field is None:
                continue
            if any(f.name == field.name for f in out):
                self.problems.append(Problem(_line(item), f"duplicate input name {field.name!r}"))
                continue
            out.append(field)
        return tuple(out) if len(out) == len(items) else None

    def sections(
        self, node: Node, inputs: dict[str, InputField] | None
    ) -> tuple[OutputSection, ...] | None:
        items = self.attempt(lambda: _sequence(node, "sections", minimum=1))
        if items is None:
            return None
        out: list[OutputSection] = []
        for item in items:
            section = self.attempt(partial(_section, item, inputs))
            if section is None:
                continue
            if any(s.id == section.id for s in out):
                self.problems.append(Problem(_line(item), f"duplicate section id {section.id!r}"))
                continue
            out.append(section)
        return tuple(out) if len(out) == len(items) else None


# -- node readers ---------------------------------------------------------------------------
def _mapping(node: Node, what: str, allowed: set[str], required: set[str]) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        raise _Invalid(node, f"{what} must be a mapping of keys to values")
    out: dict[str, Node] = {}
    for key, value in node.value:
        if not isinstance(key, ScalarNode) or not isinstance(key.value, str):
            raise _Invalid(key, f"{what}: keys must be plain words")
        name = key.value
        if name not in allowed:
            raise _Invalid(key, f"unknown key {name!r} in {what} (allowed: {_list(allowed)})")
        if name in out:
            raise _Invalid(key, f"duplicate key {name!r} in {what}")
        out[name] = value
    missing = sorted(required - set(out))
    if missing:
        raise _Invalid(node, f"{what}: missing {_list(set(missing))}")
    return out


def _sequence(node: Node, what: str, minimum: int = 0) -> list[Node]:
    if not isinstance(node, SequenceNode):
        raise _Invalid(node, f"{what} must be a list")
    if len(node.value) < minimum:
        raise _Invalid(node, f"{what} needs at least {minimum} item(s)")
    return list(node.value)


def _str(node: Node, what: str, *, max_len: int = MAX_TEXT) -> str:
    # Numbers and booleans are refused too: `title: yes` is a mistake, not a title.
    if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        raise _Invalid(node, f"{what} must be text")
    value = str(node.value).strip()
    if not value:
        raise _Invalid(node, f"{what} is empty")
    if len(value) > max_len:
        raise _Invalid(node, f"{what} is too long (at most {max_len} characters)")
    return value


def _int(node: Node, what: str, low: int, high: int) -> int:
    if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        raise _Invalid(node, f"{what} must be a whole number")
    try:
        value = int(str(node.value).replace("_", ""), 0)
    except ValueError as exc:
        raise _Invalid(node, f"{what} must be a whole number") from exc
    if not low <= value <= high:
        raise _Invalid(node, f"{what} must be between {low} and {high}, not {value}")
    return value


def _bool(node: Node, what: str) -> bool:
    if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
        raise _Invalid(node, f"{what} must be true or false")
    return str(node.value).lower() in ("true", "yes", "on")


def _one_of(node: Node, what: str, allowed: tuple[str, ...]) -> str:
    value = _str(node, what)
    if value not in allowed:
        raise _Invalid(node, f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _slug(node: Node, what: str) -> str:
    value = _str(node, what, max_len=64)
    if not SLUG.match(value):
        raise _Invalid(node, f"{what} must be lowercase letters, digits and hyphens: {value!r}")
    return value


def _department(node: Node) -> str:
    value = _str(node, "department", max_len=64)
    if value != ALL_DEPARTMENTS and not DEPARTMENT.match(value):
        raise _Invalid(node, f"department must be a department code or 'all', not {value!r}")
    return value


def _email(node: Node, what: str) -> str:
    value = _str(node, what, max_len=254).lower()
    if not EMAIL.match(value):
        raise _Invalid(node, f"{what} must be an email address, not {value!r}")
    return value


def _localized(node: Node, what: str, *, max_len: int = MAX_TEXT) -> Localized:
    if isinstance(node, ScalarNode):
        raise _Invalid(node, f"{what} needs both languages: {{fr: ..., en: ...}}")
    fields = _mapping(node, what, set(LANGUAGES), set())
    missing = [lang for lang in LANGUAGES if lang not in fields]
    if missing:
        raise _Invalid(node, f"{what}: missing the {' and '.join(missing)} text")
    return Localized(
        fr=_str(fields["fr"], f"{what}.fr", max_len=max_len),
        en=_str(fields["en"], f"{what}.en", max_len=max_len),
    )


def _input(node: Node) -> InputField:
    fields = _mapping(node, "an input", INPUT_KEYS, {"name", "type", "label"})
    name = _str(fields["name"], "input name", max_len=40)
    if not NAME.match(name):
        raise _Invalid(fields["name"], f"input name must be lowercase letters, digits, _: {name!r}")
    kind = _one_of(fields["type"], f"type of input {name!r}", INPUT_TYPES)
    label = _localized(fields["label"], f"label of input {name!r}", max_len=200)
    required = _bool(fields["required"], "required") if "required" in fields else True
    max_length = (
        _int(fields["max_length"], "max_length", 1, 20_000)
        if "max_length" in fields
        else DEFAULT_MAX_LENGTH[kind]
    )
    help_text = _localized(fields["help"], f"help of input {name!r}") if "help" in fields else None
    choices: tuple[Choice, ...] = ()
    if kind == "choice":
        if "choices" not in fields:
            raise _Invalid(node, f"input {name!r} is a choice but has no choices")
        choices = _choices(fields["choices"], name)
    elif "choices" in fields:
        raise _Invalid(fields["choices"], f"input {name!r}: choices only apply to a choice input")
    return InputField(name, kind, label, required, choices, max_length, help_text)


def _choices(node: Node, name: str) -> tuple[Choice, ...]:
    out: list[Choice] = []
    for item in _sequence(node, f"choices of input {name!r}", minimum=1):
        fields = _mapping(item, "a choice", {"value", "label"}, {"value", "label"})
        value = _str(fields["value"], "choice value", max_len=100)
        if any(c.value == value for c in out):
            raise _Invalid(item, f"duplicate choice {value!r}")
        out.append(Choice(value, _localized(fields["label"], f"label of choice {value!r}")))
    return tuple(out)


def _scope(node: Node) -> Scope:
    fields = _mapping(node, "scope", {"collections", "tags"}, set())
    collections = tuple(
        _str(n, "a collection name", max_len=200)
        for n in (
            _sequence(fields["collections"], "collections") if "collections" in fields else []
        )
    )
    tags = tuple(
        _str(n, "a tag", max_len=100)
        for n in (_sequence(fields["tags"], "tags") if "tags" in fields else [])
    )
    return Scope(collections, tags)


def _section(node: Node, inputs: dict[str, InputField] | None) -> OutputSection:
    fields = _mapping(node, "a section", SECTION_KEYS, {"id", "title", "query"})
    sid = _slug(fields["id"], "section id")
    title = _localized(fields["title"], f"title of section {sid!r}", max_len=200)
    qnode = fields["query"]
    if isinstance(qnode, ScalarNode):
        text = _str(qnode, f"query of section {sid!r}")
        query = Localized(text, text)
    else:
        query = _localized(qnode, f"query of section {sid!r}")
    for template in (query.fr, query.en):
        if inputs is not None:
            _check_template(qnode, template, inputs)
    sentences = (
        _int(fields["sentences"], "sentences", 1, MAX_SENTENCES) if "sentences" in fields else 3
    )
    fmt = (
        _one_of(fields["format"], "format", SECTION_FORMATS) if "format" in fields else "sentences"
    )
    return OutputSection(sid, title, query, sentences, fmt)


def _check_template(node: Node, template: str, inputs: dict[str, InputField]) -> None:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise _Invalid(node, f"query template {template!r}: {exc}") from exc
    for _literal, field_name, spec, conversion in parts:
        if field_name is None:
            continue
        if spec or conversion or field_name not in inputs:
            # Only bare input names: "{x.attr}" or "{x!r}" would reach into Python objects.
            raise _Invalid(node, f"query template uses {{{field_name}}}, which is not an input")


def _tips(node: Node) -> dict[str, tuple[str, ...]]:
    fields = _mapping(node, "tips", set(LANGUAGES), set(LANGUAGES))
    return {
        lang: tuple(
            _str(n, f"a tip ({lang})", max_len=500)
            for n in _sequence(fields[lang], f"tips.{lang}", minimum=1)
        )
        for lang in LANGUAGES
    }


def _examples(node: Node, inputs: dict[str, InputField]) -> tuple[dict[str, dict[str, str]], ...]:
    out: list[dict[str, dict[str, str]]] = []
    for item in _sequence(node, "examples"):
        fields = _mapping(item, "an example", set(LANGUAGES), set(LANGUAGES))
        example: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            values = _mapping(fields[lang], f"example ({lang})", set(inputs), set())
            example[lang] = {}
            for name, value_node in values.items():
                value = _str(value_node, f"example value of {name!r}", max_len=20_000)
                choice_input = inputs[name]
                if choice_input.type == "choice" and choice_input.choice(value) is None:
                    raise _Invalid(value_node, f"example: {value!r} is not a choice of {name!r}")
                example[lang][name] = value
        out.append(example)
    return tuple(out)


def _list(names: set[str]) -> str:
    return ", ".join(sorted(names))
