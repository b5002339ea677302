"""Fresh PostgreSQL databases for the benchmarks (shared by search_bench.py and load_bench.py).

Only databases whose names end in `_bench` are ever dropped.
"""

from urllib.parse import urlsplit, urlunsplit


def maintenance_connection(database_url: str):
    """A connection to the server's `postgres` database, and the benchmark database's name."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.endswith("_bench"):
        raise SystemExit(f"Refusing to drop {name!r}: the benchmark's database must end in _bench.")
    server = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(server, autocommit=True, connect_timeout=5), name


def recreate_postgres_database(database_url: str) -> bool:
    import psycopg
    from psycopg import sql

    try:
        connection, name = maintenance_connection(database_url)
    except psycopg.OperationalError as error:
        print(f"postgres: skipped, no server answers at {database_url}: {error}")
        return False
    with connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)
        ))  # fmt: skip
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_postgres_database(database_url: str) -> None:
    from psycopg import sql

    connection, name = maintenance_connection(database_url)
    with connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)
        ))  # fmt: skip
