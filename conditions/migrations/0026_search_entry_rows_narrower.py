from django.db import migrations

# PostgreSQL only. Each search entry's row held its body text too (about 1.5 KB of a 4 KB
# row), so the rows matching a common word spread over twice as many pages as their vectors
# need: for "neck pain", 7,000 rows were read to check the phrase. With the rows toasted from
# 2 KB, the body (stored uncompressed, EXTERNAL since 0021) goes to the TOAST table, and the
# two vectors, which every search reads, stay in the row, uncompressed (MAIN: compressed or
# moved out only when a row would not fit otherwise). The table is 29% smaller and the
# benchmark's slowest searches 14% faster at 10,000 articles, with the same results.
# CLUSTER rewrites the rows already there (VACUUM FULL can't run in a transaction).

POSTGRESQL = [
    "ALTER TABLE conditions_searchentry ALTER COLUMN search_vector SET STORAGE MAIN, "
    "ALTER COLUMN key_vector SET STORAGE MAIN",
    "ALTER TABLE conditions_searchentry SET (toast_tuple_target = 2048)",
    "CLUSTER conditions_searchentry USING conditions_searchentry_pkey",
    "ANALYZE conditions_searchentry",
]
POSTGRESQL_REVERSE = [
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
