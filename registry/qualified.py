"""Schema contexts and qualified subject names, as Confluent's registry spells them.

A qualified subject is `:.ctx:subject`: the subject `subject` of the context `.ctx`. The default
context is `.`, and its subjects are written plainly (`:.:orders` is `orders`), so every name the
registry stored before contexts existed keeps its meaning. `:.ctx:` alone (an empty subject)
names the context itself: its config and mode are kept under that key, as Confluent keeps them.
`:*:` stands for every context, in listings' `subjectPrefix` only.

Each context has its own schema ids; a schema's identity (its fingerprint) is tied to its
context by `in_context`, so the same text in two contexts is two schemas.

This module is pure: names in, names out. The `/contexts/{ctx}/...` URL forms are rewritten to
the plain ones by `context_path`, used by the registry's middleware and by the security route
table alike, so both see the same qualified subject.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from registry import errors

__all__ = [
    "DEFAULT_CONTEXT",
    "GLOBAL_CONTEXT",
    "WILDCARD",
    "ContextPath",
    "Qualified",
    "check_subject_name",
    "context_of",
    "context_path",
    "in_context",
    "normalize_context",
    "parse",
    "prefix_filter",
    "qualify_reference",
]

DEFAULT_CONTEXT = "."
GLOBAL_CONTEXT = ".__GLOBAL"  # Confluent's context for registry-wide config and mode only
WILDCARD = ":*:"
CONTEXT_PREFIX = ":."
RESERVED_SUBJECTS = frozenset({"__GLOBAL", "__EMPTY"})
CONTEXT_CHARS_MAX = 255


@dataclass(frozen=True, slots=True)
class Qualified:
    """A subject name split into its context (`.` or `.name`) and the subject in it."""

    context: str
    subject: str

    @property
    def name(self) -> str:
        """The normal spelling: plain in the default context, `:.ctx:subject` elsewhere."""
        if self.context == DEFAULT_CONTEXT:
            return self.subject
        return f":{self.context}:{self.subject}"

    @property
    def context_key(self) -> str:
        """The key the context's own config and mode are stored under ("" is the default
        context's, which is the registry-wide one)."""
        return "" if self.context == DEFAULT_CONTEXT else f":{self.context}:"


def parse(name: str) -> Qualified:
    """Split a (maybe qualified) subject name, as Confluent does: `:.ctx:rest` is `rest` in
    `.ctx`, `:.ctx` is the context alone, anything else is a subject of the default context."""
    if not name.startswith(CONTEXT_PREFIX):
        return Qualified(DEFAULT_CONTEXT, name)
    end = name.find(":", len(CONTEXT_PREFIX))
    if end < 0:
        return Qualified(_context(name[1:]), "")
    return Qualified(_context(name[1:end]), name[end + 1 :])


def _context(context: str) -> str:
    if len(context) > CONTEXT_CHARS_MAX:
        raise errors.InvalidSubject(
            f"Invalid context {context[:40]!r}...: a context name is at most "
            f"{CONTEXT_CHARS_MAX} characters"
        )
    if context != DEFAULT_CONTEXT and context.strip(".") == "":
        raise errors.InvalidSubject(f"Invalid context {context!r}: the name is empty")
    return context


def check_subject_name(name: str, *, config_or_mode: bool = False) -> Qualified:
    """A qualified subject a route may act on (42208 otherwise): a subject route needs a
    subject (`:.ctx:` alone names only a context's config or mode), never a reserved name,
    and Confluent's `.__GLOBAL` context holds config and mode only."""
    qualified = parse(name)
    if qualified.subject in RESERVED_SUBJECTS:
        raise errors.InvalidSubject(f"Invalid subject {name!r}: reserved name")
    if not config_or_mode:
        if qualified.subject == "":
            raise errors.InvalidSubject(
                f"Invalid subject {name!r}: a qualified name needs a subject after the context"
            )
        if qualified.context == GLOBAL_CONTEXT:
            raise errors.InvalidSubject(
                f"Invalid subject {name!r}: the {GLOBAL_CONTEXT} context holds only config "
                "and mode"
            )
    return qualified


def normalize_context(value: str) -> str:
    """A context as a URL names it (`.ctx`, `ctx`, `:.ctx:`) in its normal form `.ctx`
    (`.` for the default context); a colon inside is refused, as Confluent refuses it."""
    context = value.removeprefix(":").removesuffix(":")
    if ":" in context:
        raise errors.BadRequest(f"Invalid context {value!r}: a context name cannot hold a colon")
    if not context.startswith("."):
        context = "." + context
    return _context(context)


def in_context(fingerprint: str, context: str) -> str:
    """A schema's identity within its context: unchanged in the default context (the rows
    stored before contexts keep theirs), else a digest of both."""
    if context == DEFAULT_CONTEXT:
        return fingerprint
    digest = hashlib.sha256()
    for part in ("context", context, fingerprint):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def qualify_reference(subject: str, context: str) -> str:
    """A reference's subject as seen from a schema of `context`: an unqualified name means a
    subject of the same context (Confluent's rule), a qualified one names its own."""
    if context == DEFAULT_CONTEXT or subject.startswith(CONTEXT_PREFIX):
        return parse(subject).name
    return Qualified(context, subject).name


def prefix_filter(prefix: str | None) -> tuple[str | None, str]:
    """A listing's `subjectPrefix` as (context or None for every context, subject prefix).
    No prefix, or `:*:`, lists every context (Confluent's default prefix is `:*:`); a plain
    prefix, even an empty one, lists the default context."""
    if prefix is None:
        return None, ""
    if prefix.startswith(WILDCARD):
        return None, prefix[len(WILDCARD) :]
    qualified = parse(prefix)
    return qualified.context, qualified.subject


def parent_scope(subject: str) -> str | None:
    """The scope whose config and mode a subject inherits, as Confluent's lookup goes: its
    context's own (`:.ctx:`) for a subject of another context, else the registry-wide one
    (None). A context's key itself inherits the registry-wide one."""
    try:
        qualified = parse(subject)
    except errors.RegistryError:
        return None
    if qualified.context == DEFAULT_CONTEXT or qualified.subject == "":
        return None
    return qualified.context_key


def is_context_key(subject: str) -> bool:
    """Whether `subject` names a context's own config or mode (`:.ctx:`)."""
    try:
        qualified = parse(subject)
    except errors.RegistryError:
        return False
    return qualified.subject == "" and qualified.context != DEFAULT_CONTEXT


def context_of(name: str) -> str:
    """The context of a subject name; a name that does not parse is of the default context."""
    try:
        return parse(name).context
    except errors.RegistryError:
        return DEFAULT_CONTEXT


# ---- the /contexts/{ctx}/... URL forms -----------------------------------------------------

SUBJECT_SEGMENTS = frozenset({"subjects"})
ROOT_WITH_SUBJECT = frozenset({"config", "mode"})


@dataclass(frozen=True, slots=True)
class ContextPath:
    """A request path with the `/contexts/{ctx}` prefix folded into its names."""

    segments: tuple[str, ...]
    query: str


def _qualified_in(context: str, segment: str) -> str:
    if segment.startswith(CONTEXT_PREFIX) or segment.startswith(WILDCARD):
        return segment
    return Qualified(context, segment).name


def context_path(segments: Sequence[str], query: str = "") -> ContextPath | None:
    """`/contexts/{ctx}/rest` as the plain path and query it means, as Confluent's context
    filter rewrites them: a subject after `subjects` (and after a root `config` or `mode`) is
    qualified with the context; a root `config` or `mode` alone becomes the context's own;
    `/schemas/ids/...` gets `subject=:.ctx:`; listings get `subjectPrefix=:.ctx:`. None when
    the path has no such prefix (`/contexts` and `/contexts/{ctx}` themselves are routes)."""
    if len(segments) < 3 or segments[0] != "contexts":
        return None
    context = normalize_context(segments[1])
    rest = list(segments[2:])
    if rest and rest[-1] == "":
        rest.pop()
    if not rest:
        return None
    root = rest[0]
    if root in ROOT_WITH_SUBJECT:
        if len(rest) == 1:
            if context != DEFAULT_CONTEXT:
                rest.append(Qualified(context, "").name)
        else:
            rest[1] = _qualified_in(context, rest[1])
    else:
        for i in range(len(rest) - 1):
            if rest[i] in SUBJECT_SEGMENTS:
                rest[i + 1] = _qualified_in(context, rest[i + 1])
                break
    pairs = parse_qsl(query, keep_blank_values=True)
    plain = "/".join(rest)
    if plain.startswith("schemas/ids"):
        subject = next((v for k, v in pairs if k == "subject"), "")
        pairs = [(k, v) for k, v in pairs if k != "subject"]
        pairs.append(("subject", _qualified_in(context, subject)))
    elif plain in ("schemas", "subjects"):
        prefixes = [v for k, v in pairs if k == "subjectPrefix"] or [""]
        pairs = [(k, v) for k, v in pairs if k != "subjectPrefix"]
        pairs.extend(("subjectPrefix", _qualified_in(context, p)) for p in prefixes)
    return ContextPath(tuple(rest), urlencode(pairs))
