"""The researcher's commands: `dca search`, `dca sql`, `dca export`, `dca browse`.

All of them read the database only (crawler/commands/readonly.py) and take
`--db PATH` (default: the database of the default output directory).
Results stream: rows are written as SQLite returns them.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import sqlite3
import sys
from pathlib import Path

import click

from crawler.commands.readonly import DatabaseUnreadable, Refused, open_readonly, run_query, table_names

DEFAULT_DB = Path("out") / "archive.sqlite"
HIT_START, HIT_END = "\x02", "\x03"


def db_option(function):
    return click.option(
        "--db", "db_path", type=click.Path(path_type=Path), default=DEFAULT_DB, show_default=True,
        help="The archive database (DIR/archive.sqlite of a crawl's output directory).")(function)


def _open(db_path: Path):
    try:
        return open_readonly(db_path)
    except DatabaseUnreadable as exc:
        raise click.ClickException(str(exc)) from None


def _query(conn, guard, sql, params=()):
    try:
        return run_query(conn, guard, sql, params)
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.Error as exc:
        raise click.ClickException(str(exc)) from None


def _plain(value):
    """A value JSON and CSV can carry: BLOBs as base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _rows(cursor, batch: int = 500):
    """Rows as SQLite returns them; a read error mid-way (a damaged page) is reported, not a traceback."""
    try:
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield from rows
    except sqlite3.Error as exc:
        raise click.ClickException(f"reading rows failed: {exc}") from None


# -- dca sql ---------------------------------------------------------------------------

@click.command("sql")
@click.argument("query")
@db_option
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header line.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A named parameter for :NAME in the query. Repeatable.")
def sql_command(query, db_path, as_csv, as_json, params):
    """Run one read-only SQL query against the archive database.

    The file is opened read-only (mode=ro, query_only, and an authorizer):
    INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH and PRAGMA writes are refused.

    \b
    Examples:
        dca sql "SELECT title, authors, comment_count FROM article_overview ORDER BY comment_count DESC LIMIT 5"
        dca sql "SELECT credit, images FROM image_credits" --csv > credits.csv
        dca sql "SELECT * FROM comments WHERE author = :who" -p who=Hank --json
    """
    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    named = {}
    for pair in params:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--param")
        named[name] = value
    conn, guard = _open(db_path)
    try:
        cursor = _query(conn, guard, query, named)
        columns = [d[0] for d in cursor.description or []]
        out = sys.stdout
        if as_csv:
            write_csv(out, columns, _rows(cursor))
        elif as_json:
            write_json_array(out, columns, _rows(cursor))
        else:
            write_table(out, columns, _rows(cursor))
    finally:
        conn.close()


def write_csv(out, columns, rows) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_plain(v) for v in row])
        n += 1
    return n


def write_json_array(out, columns, rows) -> int:
    out.write("[")
    n = 0
    for row in rows:
        out.write(",\n" if n else "\n")
        out.write(json.dumps(dict(zip(columns, map(_plain, row))), ensure_ascii=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def write_jsonl(out, columns, rows) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(dict(zip(columns, map(_plain, row))), ensure_ascii=False) + "\n")
        n += 1
    return n


def write_table(out, columns, rows, width: int = 60) -> int:
    """Aligned text columns, computed over blocks of rows so that output starts at once."""
    if not columns:
        return 0

    def cell(value):
        text = "" if value is None else str(_plain(value))
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 1] + "…"

    n, block = 0, []
    header_done = False

    def emit(block):
        nonlocal header_done
        widths = [max([len(c)] + [len(r[i]) for r in block]) for i, c in enumerate(columns)]
        if not header_done:
            out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
            out.write("  ".join("-" * w for w in widths) + "\n")
            header_done = True
        for r in block:
            out.write("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")

    for row in rows:
        block.append([cell(v) for v in row])
        n += 1
        if len(block) >= 200:
            emit(block)
            block = []
    if block or not header_done:
        emit(block)
    out.write(f"({n} row{'s' if n != 1 else ''})\n")
    return n


# -- dca search ---------------------------------------------------------------------------

ARTICLE_SEARCH = f"""
SELECT a.id, a.site, a.title, a.published_at, a.canonical_url,
  (SELECT group_concat(name, ', ') FROM (SELECT au.name FROM article_authors aa
     JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = a.id ORDER BY aa.position)) AS authors,
  snippet(articles_fts, 1, '{HIT_START}', '{HIT_END}', '…', :words) AS hit,
  highlight(articles_fts, 0, '{HIT_START}', '{HIT_END}') AS title_hit
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH :query {{filters}}
ORDER BY rank LIMIT :limit
"""
COMMENT_SEARCH = f"""
SELECT c.id, c.site, a.title, c.posted_at, a.canonical_url, c.author, c.comment_id,
  snippet(comments_fts, 0, '{HIT_START}', '{HIT_END}', '…', :words) AS hit
FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid JOIN articles a ON a.id = c.article_id
WHERE comments_fts MATCH :query {{filters}}
ORDER BY rank LIMIT :limit
"""


def quote_terms(query: str) -> str:
    """Every word as an FTS5 string, for queries such as `F-35` that are not valid FTS5 syntax."""
    words = re.findall(r"[^\s\"]+", query)
    return " ".join('"' + w + '"' for w in words)


def search(conn, guard, query: str, *, comments: bool = False, site=None, author=None, since=None,
           limit: int = 20, words: int = 16) -> list[dict]:
    filters, params = [], {"query": query, "limit": limit, "words": words}
    if site:
        filters.append("AND {t}.site = :site")
        params["site"] = site
    if author:
        params["author"] = f"%{author}%"
        filters.append("AND c.author LIKE :author" if comments else
                       "AND EXISTS (SELECT 1 FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
                       " WHERE aa.article_id = a.id AND au.name LIKE :author)")
    if since:
        params["since"] = since
        filters.append("AND c.posted_at >= :since" if comments else "AND a.published_at >= :since")
    table = "c" if comments else "a"
    sql = (COMMENT_SEARCH if comments else ARTICLE_SEARCH).format(
        filters=" ".join(f.format(t=table) for f in filters))
    try:
        cursor = run_query(conn, guard, sql, params)
        rows = cursor.fetchall()
    except Refused:
        raise
    except sqlite3.Error as exc:
        if "fts5" not in str(exc) and "syntax error" not in str(exc) and "no such column" not in str(exc):
            raise
        params["query"] = quote_terms(query)
        rows = run_query(conn, guard, sql, params).fetchall()
    columns = ("id", "site", "title", "posted_at", "url", "author", "comment_id", "hit") if comments else (
        "id", "site", "title", "published_at", "url", "authors", "hit", "title_hit")
    hits = [dict(zip(columns, row)) for row in rows]
    for hit in hits:
        if comments:
            hit["url"] = f"{hit['url']}#comment-{hit['comment_id']}"
    return hits


@click.command("search")
@click.argument("query")
@db_option
@click.option("--comments", is_flag=True, help="Search comment text and commenters instead of articles.")
@click.option("--site", default=None, help="Only this site profile id.")
@click.option("--author", default=None, help="Only articles by (or, with --comments, comments by) a name containing this.")
@click.option("--since", default=None, metavar="DATE", help="Only published (posted) on or after DATE, e.g. 2025-06-01.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one hit per line, snippet marks as [ ].")
def search_command(query, db_path, comments, site, author, since, limit, as_json):
    """Full-text search (SQLite FTS5) over articles, or over comments with --comments.

    QUERY is FTS5 syntax: words (stemmed: 'drones' finds 'drone'), "exact
    phrases", OR, NOT, prefix* and NEAR(a b, 5). Hits are ranked (bm25) and
    shown with a snippet of context, matches highlighted, and the article link.

    \b
    Examples:
        dca search hypersonic
        dca search '"air defense" NOT Ukraine' --site 19fortyfive --since 2025-01-01
        dca search drone --comments --author Hank
    """
    conn, guard = _open(db_path)
    try:
        hits = search(conn, guard, query, comments=comments, site=site, author=author, since=since, limit=limit)
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.Error as exc:
        raise click.ClickException(f"search failed: {exc}") from None
    finally:
        conn.close()
    out = sys.stdout
    if as_json:
        for hit in hits:
            clean = {k: (_marks(v, "[", "]") if isinstance(v, str) else v) for k, v in hit.items()}
            out.write(json.dumps(clean, ensure_ascii=False) + "\n")
        return
    color = out.isatty()
    start, end = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    for n, hit in enumerate(hits, 1):
        if comments:
            when = (hit["posted_at"] or "")[:16].replace("T", " ")
            out.write(f"{n}. {hit['author'] or '(anonymous)'} on \u201c{hit['title']}\u201d ({hit['site']}, {when})\n")
        else:
            when = (hit["published_at"] or "")[:10]
            title = _marks(hit["title_hit"] or hit["title"] or "", start, end)
            out.write(f"{n}. {title} ({hit['site']}, {hit['authors'] or 'no byline'}, {when})\n")
        out.write(f"   {_marks(hit['hit'] or '', start, end)}\n   {hit['url']}\n")
    noun = "comment" if comments else "article"
    out.write(f"{len(hits)} {noun}{'s' if len(hits) != 1 else ''} matched" +
              (f" (showing the first {limit}; use --limit)" if len(hits) == limit else "") + "\n")


def _marks(text: str, start: str, end: str) -> str:
    return " ".join(text.replace(HIT_START, start).replace(HIT_END, end).split())


# -- dca export ---------------------------------------------------------------------------

@click.command("export")
@click.argument("name", metavar="TABLE_OR_VIEW")
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--where", default=None, help="An SQL condition on the rows, e.g. \"site = '19fortyfive'\".")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="File to write (default: standard output). For `wacz`: the .wacz file to create.")
@click.option("--dir", "archive_dir", type=click.Path(path_type=Path), default=None,
              help="For `dca export wacz`: the output directory to package (default: the --db file's directory).")
def export_command(name, db_path, fmt, where, out_file, archive_dir):
    """Stream a table or view as CSV or JSON Lines; `dca export wacz --out FILE` packages the archive.

    Rows are written as they are read, so any size of table exports in
    constant memory. Tables: articles, comments, authors, images, links,
    captures, ...; views: article_overview, comment_threads, image_credits.

    \b
    Examples:
        dca export article_overview > articles.csv
        dca export comments --format jsonl --where "site = 'dca-sample' AND depth > 1" --out replies.jsonl
        dca export wacz --out archive.wacz
    """
    if name == "wacz":
        return _export_wacz(archive_dir or db_path.parent, out_file)
    conn, guard = _open(db_path)
    try:
        names = table_names(conn)
        if name not in names:
            raise click.ClickException(f"no table or view {name!r} in {db_path}; there are: {', '.join(names)}")
        sql = f'SELECT * FROM "{name}"' + (f" WHERE {where}" if where else "")
        cursor = _query(conn, guard, sql)
        columns = [d[0] for d in cursor.description]
        stream = open(out_file, "w", encoding="utf-8", newline="") if out_file else sys.stdout
        try:
            n = (write_csv if fmt == "csv" else write_jsonl)(stream, columns, _rows(cursor))
        finally:
            if out_file:
                stream.close()
        if out_file:
            click.echo(f"{out_file}: {n} row(s) of {name}", err=True)
    finally:
        conn.close()


def _export_wacz(out_dir: Path, out_file: Path | None):
    if out_file is None:
        raise click.UsageError("dca export wacz needs --out FILE.wacz")
    try:
        from archive.wacz import export_wacz
    except ImportError:  # pragma: no cover - the module comes with the archive package
        raise click.ClickException("WACZ export is not available in this installation") from None
    path = export_wacz(out_dir, out_file)
    click.echo(f"{path}")


# -- dca browse ---------------------------------------------------------------------------

FACETS = {
    "articles": ["site", "section", "language"],
    "article_overview": ["site", "authors"],
    "comments": ["site", "depth"],
    "comment_threads": ["site", "depth"],
    "images": ["credit", "is_lead"],
    "image_credits": ["site"],
    "captures": ["status", "warc_type", "content_type"],
    "links": ["label"],
}
SORT_DESC = {"articles": "published_at", "article_overview": "published_at", "comments": "posted_at",
             "captures": "fetched_at", "image_credits": "images"}
LABELS = {"articles": "title", "authors": "name", "sites": "name", "comments": "author"}

CANNED_QUERIES = {
    "search_articles": {
        "title": "Search articles",
        "description": "Full-text search over article titles and bodies (FTS5 syntax), best first.",
        "sql": "SELECT a.id, a.title, a.site, a.published_at, snippet(articles_fts, 1, '<b>', '</b>', '…', 16)"
               " AS context, a.canonical_url FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
               " WHERE articles_fts MATCH :q ORDER BY rank LIMIT 50",
    },
    "search_comments": {
        "title": "Search comments",
        "description": "Full-text search over comment text and commenters, with context and the article.",
        "sql": "SELECT c.author, c.posted_at, snippet(comments_fts, 0, '<b>', '</b>', '…', 16) AS context,"
               " a.title AS article, a.canonical_url || '#comment-' || c.comment_id AS link"
               " FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid"
               " JOIN articles a ON a.id = c.article_id WHERE comments_fts MATCH :q ORDER BY rank LIMIT 50",
    },
    "articles_per_author_month": {
        "title": "Articles per author per month",
        "sql": "SELECT au.name AS author, substr(a.published_at, 1, 7) AS month, count(*) AS articles"
               " FROM articles a JOIN article_authors aa ON aa.article_id = a.id"
               " JOIN authors au ON au.id = aa.author_id GROUP BY 1, 2 ORDER BY 2 DESC, 3 DESC",
    },
    "top_commenters": {
        "title": "Most active commenters across sites",
        "sql": "SELECT author, count(*) AS comments, count(DISTINCT article_id) AS articles,"
               " count(DISTINCT site) AS sites FROM comments WHERE deleted_at IS NULL"
               " GROUP BY author ORDER BY comments DESC LIMIT 50",
    },
    "article_history": {
        "title": "How an article changed between captures",
        "description": "Every version of one article (by canonical URL) with the capture that showed it.",
        "sql": "SELECT v.seen_at, v.title, length(v.body_text) AS body_chars, v.content_hash, c.warc_file,"
               " c.warc_offset FROM article_versions v JOIN articles a ON a.id = v.article_id"
               " LEFT JOIN captures c ON c.id = v.capture_id WHERE a.canonical_url = :url ORDER BY v.seen_at",
    },
    "warc_record_of_article": {
        "title": "The WARC record behind an article",
        "description": "File, offset, length, record id and digest of the capture an article row was read from.",
        "sql": "SELECT a.title, c.url, c.fetched_at, c.warc_file, c.warc_offset, c.warc_length,"
               " c.warc_record_id, c.payload_digest FROM articles a JOIN captures c ON c.id = a.capture_id"
               " WHERE a.id = :article_id",
    },
}


def datasette_metadata(db_name: str = "archive") -> dict:
    from pipelines.descriptions import TABLES

    tables = {}
    for table, info in TABLES.items():
        entry = {"description": info["description"]}
        if info.get("columns"):
            entry["columns"] = dict(info["columns"])
        if table in FACETS:
            entry["facets"] = FACETS[table]
        if table in SORT_DESC:
            entry["sort_desc"] = SORT_DESC[table]
        if table in LABELS:
            entry["label_column"] = LABELS[table]
        tables[table] = entry
    return {
        "title": "dca: the defense-commentary archive",
        "description": "Articles, authors, images, promo links and comment threads derived from WARC captures;"
                       " every row points at its WARC record through captures.",
        "databases": {db_name: {"tables": tables, "queries": CANNED_QUERIES}},
    }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@click.command("browse")
@db_option
@click.option("--port", type=int, default=8001, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--write-metadata", type=click.Path(path_type=Path), default=None,
              help="Only write the Datasette metadata (descriptions, facets, canned queries) to FILE, for"
                   " `datasette DB -m FILE`.")
def browse_command(db_path, port, write_metadata):
    """Explore the database in Datasette on 127.0.0.1, until Ctrl-C.

    Tables and columns carry their descriptions, common facets are on, and
    canned queries answer the everyday questions (search, top commenters,
    an article's history, the WARC record behind a row).
    """
    db_name = db_path.stem
    metadata = datasette_metadata(db_name)
    if write_metadata:
        write_metadata.write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
        click.echo(f"{write_metadata}: datasette {db_path} -m {write_metadata}")
        return
    conn, _ = _open(db_path)  # a clear error for a missing or corrupt file before Datasette starts
    conn.close()
    import tempfile

    from datasette.cli import cli as datasette_cli

    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="dca-browse-") as tmp:
        meta_file = Path(tmp) / "metadata.json"
        meta_file.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
        click.echo(f"Datasette is serving {db_path} at http://127.0.0.1:{port}/{db_name} (Ctrl-C stops it)", err=True)
        sys.stderr.flush()
        try:
            datasette_cli.main(
                ["serve", str(db_path), "--host", "127.0.0.1", "--port", str(port), "--metadata", str(meta_file),
                 "--setting", "sql_time_limit_ms", "5000", "--setting", "facet_time_limit_ms", "500"],
                prog_name="dca browse", standalone_mode=False)
        except KeyboardInterrupt:
            pass
