"""Spelling: "Did you mean …?", from the words the index holds (`SearchTerm`)."""

import difflib

from django.db.models.functions import Length

from conditions.models import SearchTerm
from conditions.search.query import STOPWORDS, query_words


def correct_spelling(query: str, backend) -> str:
    """The query with unknown words replaced by the closest indexed words, or ""."""
    words = query_words(query)
    checkable = [w for w in words if w not in STOPWORDS and len(w) >= 3 and not w.isdigit()]
    if not checkable:
        return ""
    known = set(SearchTerm.objects.filter(word__in=checkable).values_list("word", flat=True))
    replacements = {}
    for word in checkable:
        if word in known:
            continue
        candidates = backend.similar_words(word)
        close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.7)
        if close:
            replacements[word] = close[0]
    if not replacements:
        return ""
    return " ".join(replacements.get(word, word) for word in words)


def words_starting_like(word: str) -> list[str]:
    """Indexed words of about the same length with the same first two letters.

    Short words share few trigrams with their misspelling ("nek", "neck"), so both databases
    also offer these.
    """
    start = word[:2]
    following = start[:-1] + chr(ord(start[-1]) + 1)
    return list(
        SearchTerm.objects.filter(word__gte=start, word__lt=following)
        .annotate(length=Length("word"))
        .filter(length__range=(len(word) - 2, len(word) + 2))
        .values_list("word", flat=True)[:500]
    )
