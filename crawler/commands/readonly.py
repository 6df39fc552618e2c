"""Read-only access to the archive database for the query commands (sql, search, export, browse).

The file is opened with `mode=ro` and `PRAGMA query_only=ON`, and an SQLite
authorizer refuses everything that is not reading: writes, schema changes,
ATTACH/DETACH (which could create or write another file), and any PRAGMA that
sets a value or is not on a list of read-only ones.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

# Pragmas that only report; those in the first set may take an argument (a table or index name).
READ_ONLY_PRAGMAS_WITH_ARG = {
    "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo",
    "integrity_check", "quick_check", "table_info", "table_list", "table_xinfo",
}
READ_ONLY_PRAGMAS = READ_ONLY_PRAGMAS_WITH_ARG | {
    "collation_list", "compile_options", "data_version", "database_list", "encoding", "foreign_keys",
    "freelist_count", "function_list", "journal_mode", "module_list", "page_count", "page_size",
    "pragma_list", "query_only", "schema_version", "user_version",
}
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_ACTIONS = (
    "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER",
    "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE", "DROP_INDEX", "DROP_TABLE",
    "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER",
    "DROP_VIEW", "INSERT", "PRAGMA", "READ", "SELECT", "TRANSACTION", "UPDATE", "ATTACH", "DETACH",
    "ALTER_TABLE", "REINDEX", "ANALYZE", "CREATE_VTABLE", "DROP_VTABLE", "FUNCTION", "SAVEPOINT",
    "RECURSIVE",
)
_NAMES = {getattr(sqlite3, f"SQLITE_{n}"): n.replace("_", " ") for n in _ACTIONS if hasattr(sqlite3, f"SQLITE_{n}")}


class DatabaseUnreadable(Exception):
    """The file is missing or not an SQLite database; the message names it."""


class Refused(Exception):
    """A statement that would write (or attach, or set a pragma) was refused."""


class ReadOnlyGuard:
    """SQLite authorizer: allow reading only; remember what was refused, for the message."""

    def __init__(self):
        self.refused: str | None = None

    def __call__(self, action, arg1, arg2, dbname, source):
        if action in _ALLOWED:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master" and source is None and dbname:
            # SQLite reading its own schema (first use of a virtual table such as FTS5)
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in READ_ONLY_PRAGMAS and (arg2 is None or name in READ_ONLY_PRAGMAS_WITH_ARG):
                return sqlite3.SQLITE_OK
        what = _NAMES.get(action, str(action))
        if action == sqlite3.SQLITE_PRAGMA:
            what = f"PRAGMA {arg1}" + (f" = {arg2}" if arg2 is not None else "")
        elif action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            what = what + (f" {arg1!r}" if arg1 else "")
        elif arg1:
            what = f"{what} on {arg1}"
        self.refused = what
        return sqlite3.SQLITE_DENY


def open_readonly(path: Path) -> tuple[sqlite3.Connection, ReadOnlyGuard]:
    """Open the database for reading only; DatabaseUnreadable names the file when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise DatabaseUnreadable(f"{path}: no such database (crawl first with `dca crawl URL --out DIR`, or pass --db PATH)")
    if path.is_dir():
        raise DatabaseUnreadable(f"{path}: is a directory, not a database file")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnreadable(f"{path}: not a readable SQLite database ({exc})") from None
    conn.execute("PRAGMA query_only=ON")
    guard = ReadOnlyGuard()
    conn.set_authorizer(guard)
    return conn, guard


def run_query(conn: sqlite3.Connection, guard: ReadOnlyGuard, sql: str, params=()) -> sqlite3.Cursor:
    """Execute one statement; a refused write raises Refused with a clear message."""
    guard.refused = None
    try:
        return conn.execute(sql, params)
    except (sqlite3.DatabaseError, sqlite3.ProgrammingError, sqlite3.Warning) as exc:
        raise explain(exc, guard) from None


def explain(exc: Exception, guard: ReadOnlyGuard) -> Exception:
    text = str(exc)
    if guard.refused or "not authorized" in text or "readonly" in text or "query_only" in text.lower():
        what = guard.refused or text.removeprefix("not authorized").strip() or "this statement"
        return Refused(f"refused: the database is opened read-only (mode=ro, query_only); {what} is not allowed."
                       " Queries may only read (SELECT, WITH, read-only PRAGMAs).")
    if "one statement at a time" in text:
        return Refused("refused: give one SQL statement at a time")
    return sqlite3.OperationalError(f"SQL error: {text}")


def table_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE '%_fts_%' ORDER BY type, name")]
