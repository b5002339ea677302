"""The symptoms a reader's words name, offered when a search finds no article: each
symptom's page carries its red-flag advice, even with no article about it."""

from django.db.models.functions import Lower

from conditions.models import Symptom
from conditions.search.query import STOPWORDS, query_words, word_root

MAX_NAMED_SYMPTOMS = 8
# A longer word matches without its last letter, so "dizzy" finds "dizziness".
LOOSE_FROM = 5


def symptoms_named_in(query: str) -> list[Symptom]:
    """Symptoms with a word in their name or synonyms that begins like a word of `query`
    ("stiff" → Neck stiffness, "dizzy" → Dizziness), in name order."""
    wanted = [word for word in query_words(query) if word not in STOPWORDS and len(word) >= 3]
    if not wanted:
        return []
    roots = [word_root(word) or word for word in wanted]
    beginnings = tuple({root[:-1] if len(root) >= LOOSE_FROM else root for root in roots})
    named = []
    # One query for the whole vocabulary (a few hundred short rows): matching word
    # beginnings in the database would take a LIKE per word and name.
    for symptom in Symptom.objects.only("name", "slug", "synonyms").order_by(Lower("name")):
        words = query_words(f"{symptom.name} {symptom.synonyms}")
        if any(word.startswith(beginnings) for word in words):
            named.append(symptom)
            if len(named) == MAX_NAMED_SYMPTOMS:
                break
    return named
