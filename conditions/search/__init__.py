"""Search: finding published articles however readers describe their symptoms.

The same behaviour on both databases. The reader's words are parsed (`query`: never passed
to the database's query syntax, so no input can cause a syntax error), widened with
British/American spellings, symptom synonyms and word stems, and run against the database's
own full-text index (`sqlite`: FTS5, porter stemming, accents folded; `postgres`: weighted
tsvector, GIN index, unaccent, with pg_trgm for typos). `results` ranks and highlights the
matches and offers a better spelling (`spelling`); `highlighting` marks the reader's words in
a title or a passage (FAQ answers, and on SQLite every result); `indexing` keeps one entry
per article.

Ranking: an entry's title counts most, then its symptoms (names and synonyms), then its
body. Entries matching every query word come before entries matching only some. A common
word matches thousands of entries: SQLite ranks only the newest 1,500 of them and the newest
1,500 with the words in their titles; PostgreSQL ranks every match by its title, symptoms
and headings first, then the best by their whole text.
"""

from conditions.search.indexing import rebuild_index, reindex_ids
from conditions.search.results import SearchHit, SearchResults, search

__all__ = ["SearchHit", "SearchResults", "rebuild_index", "reindex_ids", "search"]
