"""Which entities may be one party: scores and reasons, never a link by itself (§10).

Names are normalised the way the field does it, with OpenSanctions' ``fingerprints``
(transliteration to ASCII, case, punctuation, legal forms such as "Co.", "Corp.",
"Company Limited" removed); names are then compared token by token with ``rapidfuzz``'s
token-sort ratio, which counts extra tokens against a pair ("Kunlun Bank" and "Kunlun
Holding" share only "kunlun"). Stronger evidence: a shared identifier, names equal after
normalisation, and an acronym in brackets ("(NORINCO)") that is the other's name or alias,
bracketed acronym, or initials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence, Set

import attrs
import fingerprints
from rapidfuzz import fuzz

SAME_IDENTIFIER = 1.0
EQUAL_NAMES = 0.95
ACRONYM = 0.9
MORE_REASONS = 0.03  # each further kind of evidence, up to 1
_BRACKETS = re.compile(r"\(([^()]*)\)")
_WORDS = re.compile(r"[A-Za-z0-9]+")


def normalised(name: str) -> str:
    """The name without brackets, legal forms, punctuation or case, in ASCII."""
    text = fingerprints.clean_brackets(name) or name
    return fingerprints.remove_types(text) or fingerprints.clean_name_light(text) or ""


def acronyms(name: str) -> set[str]:
    """Acronyms a name gives in brackets: "China North Industries Group (NORINCO)"."""
    found = set()
    for inner in _BRACKETS.findall(name):
        text = inner.strip()
        if text and " " not in text and len(text) >= 3 and text.upper() == text:
            found.add(text.casefold())
    return found


def initials(name: str) -> str:
    """The first letters of the words of a name, legal form included ("CPMIEC")."""
    text = _BRACKETS.sub(" ", name)
    return "".join(w[0] for w in _WORDS.findall(text)).casefold()


@attrs.frozen
class Names:
    """What an entity is called, prepared once for many comparisons."""

    names: tuple[str, ...]
    identifiers: frozenset[str]
    forms: tuple[str, ...] = attrs.field(init=False)
    bracketed: frozenset[str] = attrs.field(init=False)
    plain: frozenset[str] = attrs.field(init=False)
    initials: frozenset[str] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "forms", tuple(dict.fromkeys(normalised(n) for n in self.names)))
        object.__setattr__(self, "bracketed", frozenset(a for n in self.names for a in acronyms(n)))
        object.__setattr__(self, "plain", frozenset(n.strip().casefold() for n in self.names))
        object.__setattr__(self, "initials", frozenset(initials(n) for n in self.names))

    @classmethod
    def of(cls, names: Iterable[str], identifiers: Iterable[str] = ()) -> Names:
        return cls(tuple(names), frozenset(i.casefold() for i in identifiers))


@attrs.frozen
class Score:
    score: float
    reasons: tuple[str, ...]


COMMON_ONLY = 0.4  # the most that names sharing only common words can score


def score(query: Names, other: Names, common: Set[str] = frozenset()) -> Score:
    """How strongly the record says two entities are one party, with the reasons.

    ``common`` holds the words too frequent to tell entities apart ("bank", "industries"):
    names alike only through them score at most ``COMMON_ONLY``."""
    found: list[tuple[float, str]] = []
    shared = sorted(query.identifiers & other.identifiers)
    if shared:
        found.append((SAME_IDENTIFIER, f"same identifier {shared[0]}"))
    equal = sorted(set(query.forms) & set(other.forms) - {""})
    if equal:
        found.append((EQUAL_NAMES, f"names equal after normalisation ({equal[0]!r})"))
    acronym = _acronym(query, other) or _acronym(other, query)
    if acronym:
        found.append((ACRONYM, acronym))
    best, pair = 0.0, ("", "")
    for mine in query.forms:
        for theirs in other.forms:
            ratio = fuzz.token_sort_ratio(mine, theirs) / 100
            if ratio > best:
                best, pair = ratio, (mine, theirs)
    if best > 0 and not equal:
        shared_words = sorted(set(pair[0].split()) & set(pair[1].split()))
        if shared_words and set(shared_words) <= common:
            found.append(
                (
                    min(best, COMMON_ONLY),
                    f"only common words shared: {', '.join(shared_words)} ({best:.0%} alike)",
                )
            )
        elif shared_words:
            found.append((best, f"shared tokens {', '.join(shared_words)} ({best:.0%} alike)"))
    if not found:
        return Score(0.0, ())
    found.sort(key=lambda f: -f[0])
    total = min(1.0, found[0][0] + MORE_REASONS * (len(found) - 1))
    return Score(round(total, 3), tuple(reason for _, reason in found))


def _acronym(query: Names, other: Names) -> str | None:
    for acronym in sorted(query.bracketed):
        if acronym in other.bracketed:
            return f"same acronym in brackets ({acronym.upper()})"
        if acronym in other.plain:
            return f"acronym in brackets ({acronym.upper()}) is the other's name or alias"
        if acronym in other.initials:
            return f"acronym in brackets ({acronym.upper()}) gives the other's initials"
    return None


def common_words(all_names: Iterable[Names], share: float = 0.005, least: int = 20) -> set[str]:
    """Words in the names of more than ``share`` of the entities (and at least ``least``)."""
    counts: dict[str, int] = {}
    total = 0
    for names in all_names:
        total += 1
        for word in {w for form in names.forms for w in form.split()}:
            counts[word] = counts.get(word, 0) + 1
    limit = max(least, share * total)
    return {w for w, n in counts.items() if n > limit}


def blocking_keys(names: Names) -> set[str]:
    """Keys two entities must share to be compared at all, across a whole store: their
    identifiers, acronyms and names' tokens (so two entities of different names and no
    shared token are never compared)."""
    keys = {f"id:{i}" for i in names.identifiers}
    keys |= {f"acronym:{a}" for a in names.bracketed | names.plain | names.initials}
    keys |= {f"token:{t}" for form in names.forms for t in form.split()}
    return keys


def ranked(candidates: Sequence[tuple[str, Score]], min_score: float) -> list[tuple[str, Score]]:
    """Best first; ties by key, for output that does not change from run to run."""
    kept = [c for c in candidates if c[1].score >= min_score]
    return sorted(kept, key=lambda c: (-c[1].score, c[0]))
