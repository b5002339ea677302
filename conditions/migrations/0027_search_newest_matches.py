from django.db import migrations

# PostgreSQL only: what lets search rank the newest matches of a common word or phrase
# without listing every match first (see PostgreSQLSearch.match). Each function sets the
# plan it needs for as long as it runs: given a choice, the planner read a phrase's entries
# newest first through the primary key for a question whose words are each common but rare
# together (546 ms), or listed every match of a common word from the GIN index to keep the
# newest few (100 ms and more at 100,000 articles).

POSTGRESQL = [
    # The matches among the entries with ids from `low` to `high`, read by the primary key
    # and each checked by its vector: a window's cost is its size, however common the words.
    """CREATE FUNCTION conditions_search_window(
            query tsquery, weights real[], low bigint, high bigint)
        RETURNS TABLE (article_id bigint, key_rank real)
        LANGUAGE sql STABLE
        SET enable_seqscan = off SET enable_bitmapscan = off
        AS $$
            SELECT e.article_id, ts_rank(weights, e.key_vector, query)
            FROM conditions_searchentry e
            WHERE e.article_id BETWEEN low AND high AND e.search_vector @@ query
        $$""",
    # Every match with an id up to `high`, from the GIN index: for words rare enough that a
    # window would check many entries for each match.
    """CREATE FUNCTION conditions_search_older_matches(query tsquery, weights real[], high bigint)
        RETURNS TABLE (article_id bigint, key_rank real)
        LANGUAGE sql STABLE
        SET enable_seqscan = off SET enable_indexscan = off
        AS $$
            SELECT e.article_id, ts_rank(weights, e.key_vector, query)
            FROM conditions_searchentry e
            WHERE e.search_vector @@ query AND e.article_id <= high
        $$""",
    # The newest `newest` entries with the words in their titles, from the title index (0026);
    # ranked once chosen.
    """CREATE FUNCTION conditions_search_titles(query tsquery, weights real[], newest integer)
        RETURNS TABLE (article_id bigint, key_rank real)
        LANGUAGE sql STABLE
        SET enable_seqscan = off SET enable_indexscan = off
        AS $$
            SELECT t.article_id, ts_rank(weights, t.key_vector, query) FROM (
                SELECT e.article_id, e.key_vector FROM conditions_searchentry e
                WHERE e.title_vector @@ query ORDER BY e.article_id DESC LIMIT newest
            ) t
        $$""",
]
POSTGRESQL_REVERSE = [
    "DROP FUNCTION conditions_search_titles(tsquery, real[], integer)",
    "DROP FUNCTION conditions_search_older_matches(tsquery, real[], bigint)",
    "DROP FUNCTION conditions_search_window(tsquery, real[], bigint, bigint)",
]


def run_statements(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0026_search_entry_rows_narrower"),
    ]

    operations = [
        migrations.RunPython(run_statements(POSTGRESQL), run_statements(POSTGRESQL_REVERSE)),
    ]
