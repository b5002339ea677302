from django.db import migrations

# PostgreSQL only (SQLite's FTS5 needs neither): what lets search rank a few hundred
# candidates instead of every match. See conditions/search/postgres.py.

POSTGRESQL = [
    # Each entry's search_vector (about 1.6 KB) kept in the row, and its body text (stored
    # apart, uncompressed) moved out instead: a phrase ("neck pain") is checked against the
    # vector of every entry having both words, and fetching each from TOAST read three times
    # as many pages. Set before the column below is added, as adding it rewrites every row.
    "ALTER TABLE conditions_searchentry ALTER COLUMN body SET STORAGE EXTERNAL",
    "ALTER TABLE conditions_searchentry SET (toast_tuple_target = 4096)",
    # The words of an entry's title, symptoms and headings: a small vector (about 0.5 KB,
    # in the row), so ranking thousands of matches by it is cheap; the full search_vector,
    # three times as large, is ranked only for the candidates.
    """ALTER TABLE conditions_searchentry ADD COLUMN key_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('neckinfo', coalesce(title, '')), 'A')
            || setweight(to_tsvector('neckinfo', coalesce(symptoms, '')), 'B')
            || setweight(to_tsvector('neckinfo', coalesce(headings, '')), 'C')
        ) STORED""",
    # Every entry matching a query, from the GIN index alone, with its rank by key_vector.
    # For a common word the planner prefers reading the whole table, not counting that it
    # must then fetch every entry's search_vector (from TOAST) to test it: 30 to 90 ms at
    # 10,000 articles, against 1 to 3 ms from the index. The SET lasts only while this runs.
    """CREATE FUNCTION conditions_search_matches(query tsquery, weights real[])
        RETURNS TABLE (article_id bigint, key_rank real)
        LANGUAGE sql STABLE
        SET enable_seqscan = off
        AS $$
            SELECT e.article_id, ts_rank(weights, e.key_vector, query)
            FROM conditions_searchentry e WHERE e.search_vector @@ query
        $$""",
]
POSTGRESQL_REVERSE = [
    "ALTER TABLE conditions_searchentry RESET (toast_tuple_target)",
    "ALTER TABLE conditions_searchentry ALTER COLUMN body SET STORAGE EXTENDED",
    "DROP FUNCTION conditions_search_matches(tsquery, real[])",
    "ALTER TABLE conditions_searchentry DROP COLUMN key_vector",
]


def run_statements(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0020_symptom_page_indexes"),
    ]

    operations = [
        migrations.RunPython(run_statements(POSTGRESQL), run_statements(POSTGRESQL_REVERSE)),
    ]
