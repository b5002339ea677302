from django.db import migrations

# PostgreSQL only. What every search reads of an entry, kept together in its row: its two
# vectors and (new) the words of its title, while its body text goes to the TOAST table.
#
# The body (about 1.5 KB of a 4 KB row) stayed in the row: rows were only toasted from 4 KB
# on. So the rows matching a common word spread over twice as many pages as their vectors
# need: for "neck pain", 7,000 rows were read to check the phrase at 10,000 articles. Now rows
# are toasted from 2 KB on: the body (stored uncompressed, EXTERNAL since 0021) and the title,
# headings and symptoms texts (read only for a page of results) go to the TOAST table, and the
# three vectors stay in the row, uncompressed: MAIN, which PostgreSQL moves out only when a row
# would not fit in a page. (Added while still EXTENDED, the small title vector was moved out
# with the texts: checking 4,500 titles for a phrase then read three TOAST pages each.)

# title_vector, with its GIN index, finds the newest entries named for the words (see
# PostgreSQLSearch.match). Adding it rewrites every row with the settings above.

POSTGRESQL = [
    "ALTER TABLE conditions_searchentry ALTER COLUMN search_vector SET STORAGE MAIN, "
    "ALTER COLUMN key_vector SET STORAGE MAIN",
    "ALTER TABLE conditions_searchentry SET (toast_tuple_target = 2048)",
    """ALTER TABLE conditions_searchentry
        ADD COLUMN title_vector tsvector
            GENERATED ALWAYS AS (to_tsvector('neckinfo', coalesce(title, ''))) STORED,
        ALTER COLUMN title_vector SET STORAGE MAIN""",
    "CREATE INDEX conditions_searchentry_title ON conditions_searchentry USING gin (title_vector)",
    "ANALYZE conditions_searchentry",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX conditions_searchentry_title",
    "ALTER TABLE conditions_searchentry DROP COLUMN title_vector",
    "ALTER TABLE conditions_searchentry ALTER COLUMN search_vector SET STORAGE EXTENDED, "
    "ALTER COLUMN key_vector SET STORAGE EXTENDED",
    "ALTER TABLE conditions_searchentry SET (toast_tuple_target = 4096)",
    "CLUSTER conditions_searchentry USING conditions_searchentry_pkey",
]


def run_statements(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0025_article_lead_image"),
    ]

    operations = [
        migrations.RunPython(run_statements(POSTGRESQL), run_statements(POSTGRESQL_REVERSE)),
    ]
