"""Marking the reader's words in a title, and the passage of a long text around them: in
Python, from the text itself, so a page of results costs one read of its entries rather
than a full-text match per result."""

from conditions.search.indexing import MARK_END, MARK_START
from conditions.search.query import STOPWORDS, WORD, Term, fold, word_root

# Words of a text shown around its first match: about as many as the databases' own
# snippets.
SNIPPET_WORDS = 30


def query_roots(terms: list[Term]) -> set[str]:
    """The beginnings of the words that count as the query's (folded, stopwords left out)."""
    return {
        word_root(word) or word
        for term in terms
        for alternative in term.alternatives
        for word in alternative.words
        if word not in STOPWORDS
    }


def _is_match(word: str, roots: set[str]) -> bool:
    folded = fold(word)
    return any(folded.startswith(root) for root in roots)


def highlighted(text: str, roots: set[str]) -> str:
    """`text` with the words starting with one of `roots` between highlight marks."""
    text = _unmarked(text)
    return WORD.sub(
        lambda found: (
            f"{MARK_START}{found[0]}{MARK_END}" if _is_match(found[0], roots) else found[0]
        ),
        text,
    )


def snippet(text: str, roots: set[str]) -> str:
    """About SNIPPET_WORDS words of `text` around its first match, highlighted."""
    words = _unmarked(text).split()
    first = next(
        (i for i, word in enumerate(words) if any(_is_match(w, roots) for w in WORD.findall(word))),
        0,
    )
    start = max(0, min(first - SNIPPET_WORDS // 3, len(words) - SNIPPET_WORDS))
    shown = " ".join(words[start : start + SNIPPET_WORDS])
    before = "… " if start > 0 else ""
    after = " …" if start + SNIPPET_WORDS < len(words) else ""
    return before + highlighted(shown, roots) + after


def _unmarked(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")
