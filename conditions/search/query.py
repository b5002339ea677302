"""Reading a reader's query: pure functions, no database.

The reader's words are parsed here (never passed to the database's query syntax, so no
input can cause a syntax error), and each is widened with British/American spellings,
symptom synonyms and its word root.
"""

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12

WORD = re.compile(r"[^\W_]+")
PHRASE = re.compile(r'"([^"]*)"')
STOPWORDS = frozenset(
    """
    a about am an and any are as at be been but by can could did do does doing for from get
    gets had has have having how i if im in into is it its just me my of on or should so
    some than that the their them then there these they this those to too very was we were
    what when where which while who why will with would you your
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# British and American spellings readers mix up: (British, American) fragments.
SPELLINGS = [("ae", "e"), ("oe", "e"), ("our", "or"), ("isation", "ization"), ("ise", "ize"),
             ("tre", "ter")]  # fmt: skip
MIN_SPELLING_VARIANT_LENGTH = 5
MAX_SPELLING_VARIANTS = 8
# Endings dropped to search by a word's root, so "stiffening" also finds "stiffness".
ENDINGS = ("ening", "ness", "ings", "ing", "ened", "ed", "es", "s", "ly")
MIN_ROOT = 4

# Every symptom name and synonym, as words, mapped to the word sequences that mean the same
# symptom (see conditions.search.results.symptom_synonyms).
Synonyms = dict[tuple[str, ...], list[list[str]]]


@dataclass
class Alternative:
    """One way a query term may appear: a word or phrase, or a prefix (root*)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass
class Term:
    """One word or phrase of the reader's query, with everything that counts as it."""

    text: str
    alternatives: list[Alternative] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower case without accents: "Anémia" → "anemia"."""
    if text.isascii():  # most text: no accent to take off, and a search folds thousands of words
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def query_words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def parse(query: str, synonyms: Synonyms) -> list[Term]:
    """The terms of `query`: quoted phrases, symptom phrases, and single words.

    `synonyms` maps a symptom name or synonym (as words) to every word sequence that means
    the same symptom, for synonym expansion.
    """
    query = query[:MAX_QUERY_LENGTH]
    terms = []
    for phrase in PHRASE.findall(query):
        words = tuple(query_words(phrase))
        if words:
            terms.append(_term(words, synonyms, quoted=True))
    words = [w for w in query_words(PHRASE.sub(" ", query))]
    meaningful = [w for w in words if w not in STOPWORDS] or words
    position = 0
    while position < len(meaningful):
        # The longest symptom name or synonym starting here ("pins and needles") is one term.
        for length in range(min(4, len(meaningful) - position), 0, -1):
            candidate = tuple(meaningful[position : position + length])
            if length == 1 or candidate in synonyms:
                terms.append(_term(candidate, synonyms))
                position += length
                break
    unique = list({term.text: term for term in terms}.values())
    return unique[:MAX_TERMS]


def _term(words: tuple[str, ...], synonyms: Synonyms, quoted: bool = False) -> Term:
    term = Term(text=" ".join(words), alternatives=[Alternative(words)])
    if quoted:
        return term
    for synonym in synonyms.get(words, []):
        term.alternatives.append(Alternative(tuple(synonym)))
    if len(words) == 1:
        word = words[0]
        term.alternatives += [Alternative((variant,)) for variant in spelling_variants(word)]
        root = word_root(word)
        if root:
            term.alternatives.append(Alternative((root,), prefix=True))
    return term


def spelling_variants(word: str) -> list[str]:
    """The word in the other spelling: "anaemia" → "anemia", "anemia" → "anaemia", …

    One fragment is swapped at a time, in both directions. Most variants are not words and
    simply match nothing; the real one finds the other spelling.
    """
    if len(word) < MIN_SPELLING_VARIANT_LENGTH:
        return []
    variants = set()
    for british, american in SPELLINGS:
        for old, new in ((british, american), (american, british)):
            for found in re.finditer(re.escape(old), word):
                variants.add(word[: found.start()] + new + word[found.end() :])
    variants.discard(word)
    return sorted(variants)[:MAX_SPELLING_VARIANTS]


def word_root(word: str) -> str:
    """The word without a common ending, to search by prefix ("stiffening" → "stiff")."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_ROOT:
            return word[: -len(ending)]
    return ""
