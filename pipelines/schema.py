"""The SQLite schema of the archive database (derived from the WARC files).

`ensure_schema(db)` is idempotent: every statement is `IF NOT EXISTS` and the
FTS indexes are created only when missing. `connect(path)` opens a database the
way every connection to the archive must be opened (WAL, foreign keys on).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

SCHEMA_VERSION = 3

TABLES = [
    """CREATE TABLE IF NOT EXISTS crawls (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        settings TEXT,          -- JSON
        stats TEXT,             -- JSON
        status TEXT NOT NULL DEFAULT 'running'
    )""",
    """CREATE TABLE IF NOT EXISTS captures (
        id INTEGER PRIMARY KEY,
        crawl_id INTEGER REFERENCES crawls(id),
        url TEXT NOT NULL,
        fetched_at TEXT,
        status INTEGER,
        content_type TEXT,
        warc_file TEXT,
        warc_offset INTEGER,
        warc_length INTEGER,
        warc_record_id TEXT NOT NULL UNIQUE,
        payload_digest TEXT,
        warc_type TEXT NOT NULL DEFAULT 'response',
        etag TEXT,              -- validators of the response, for conditional GET
        last_modified TEXT,
        refers_to TEXT          -- a revisit's WARC-Refers-To (record id of the original)
    )""",
    """CREATE TABLE IF NOT EXISTS sites (
        id TEXT PRIMARY KEY,
        name TEXT,
        timezone TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS articles (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL REFERENCES sites(id),
        url TEXT NOT NULL,
        canonical_url TEXT NOT NULL,
        title TEXT,
        subtitle TEXT,
        section TEXT,
        tags TEXT,              -- JSON list
        body_text TEXT,
        body_html TEXT,
        published_at TEXT,
        modified_at TEXT,
        language TEXT,
        word_count INTEGER,
        comment_count INTEGER,
        declared_comment_count INTEGER,
        pingback_count INTEGER,
        post_id TEXT,
        comments_system TEXT,
        comments_thread_id TEXT,
        content_hash TEXT,
        first_seen TEXT,
        last_seen TEXT,
        capture_id INTEGER REFERENCES captures(id),
        UNIQUE (site, canonical_url)
    )""",
    """CREATE TABLE IF NOT EXISTS article_versions (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        capture_id INTEGER REFERENCES captures(id),
        content_hash TEXT NOT NULL,
        title TEXT,
        body_text TEXT,
        seen_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS authors (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        url TEXT,
        bio TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS article_authors (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        author_id INTEGER NOT NULL REFERENCES authors(id),
        position INTEGER NOT NULL,
        PRIMARY KEY (article_id, author_id)
    )""",
    """CREATE TABLE IF NOT EXISTS images (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        src TEXT NOT NULL,
        alt TEXT,
        caption TEXT,
        credit TEXT,
        is_lead INTEGER NOT NULL DEFAULT 0,
        position INTEGER NOT NULL,
        capture_id INTEGER REFERENCES captures(id)
    )""",
    # host: '' for a named site profile; for the generic 'wordpress' profile the
    # article's host, because comment ids are only unique within one blog.
    """CREATE TABLE IF NOT EXISTS comments (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL REFERENCES sites(id),
        host TEXT NOT NULL DEFAULT '',
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        comment_id TEXT NOT NULL,
        parent_comment_id TEXT,
        author TEXT,
        author_url TEXT,
        posted_at TEXT,
        text TEXT,
        depth INTEGER,
        position INTEGER,
        first_seen TEXT,
        last_seen TEXT,
        deleted_at TEXT,
        capture_id INTEGER REFERENCES captures(id),
        by_post_author INTEGER,
        deleted_capture_id INTEGER REFERENCES captures(id),
        UNIQUE (site, host, comment_id)
    )""",
    """CREATE TABLE IF NOT EXISTS links (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        text TEXT,
        label TEXT,
        position INTEGER NOT NULL
    )""",
    # One row per state of a comment: written by triggers (COMMENT_VERSION_TRIGGERS)
    # when a comment is first stored and whenever its author, text, date or
    # deletion changes. comment_row_id is comments.id (not the site's comment id).
    """CREATE TABLE IF NOT EXISTS comment_versions (
        id INTEGER PRIMARY KEY,
        comment_row_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
        capture_id INTEGER REFERENCES captures(id),
        author TEXT,
        author_url TEXT,
        posted_at TEXT,
        text TEXT,
        deleted_at TEXT,
        seen_at TEXT
    )""",
    # One row per stored item (an article's thread as one crawl saw it), so a
    # thread's size over time is one query (view comment_count_history).
    """CREATE TABLE IF NOT EXISTS comment_counts (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        capture_id INTEGER REFERENCES captures(id),
        seen_at TEXT,
        comment_count INTEGER,
        declared_comment_count INTEGER,
        pingback_count INTEGER,
        complete INTEGER NOT NULL DEFAULT 1,
        UNIQUE (article_id, capture_id)
    )""",
]

_COMMENT_VERSION_COLUMNS = "comment_row_id, capture_id, author, author_url, posted_at, text, deleted_at, seen_at"
COMMENT_VERSION_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS comments_version_insert AFTER INSERT ON comments BEGIN
        INSERT INTO comment_versions ({_COMMENT_VERSION_COLUMNS}) VALUES
        (new.id, new.capture_id, new.author, new.author_url, new.posted_at, new.text, new.deleted_at,
         new.last_seen);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS comments_version_update AFTER UPDATE ON comments
    WHEN old.text IS NOT new.text OR old.author IS NOT new.author OR old.author_url IS NOT new.author_url
        OR old.posted_at IS NOT new.posted_at OR old.deleted_at IS NOT new.deleted_at BEGIN
        INSERT INTO comment_versions ({_COMMENT_VERSION_COLUMNS}) VALUES
        (new.id,
         CASE WHEN old.deleted_at IS NULL AND new.deleted_at IS NOT NULL
              THEN coalesce(new.deleted_capture_id, new.capture_id) ELSE new.capture_id END,
         new.author, new.author_url, new.posted_at, new.text, new.deleted_at,
         CASE WHEN old.deleted_at IS NULL AND new.deleted_at IS NOT NULL THEN new.deleted_at
              ELSE new.last_seen END);
    END""",
]
# Indexes older schemas made that a UNIQUE constraint's own index now serves (it starts
# with the same column): each one only slowed every insert.
DROPPED_INDEXES = ["articles_site", "comments_site"]
# Triggers whose body changed since an older schema version: dropped and made again.
REPLACED_TRIGGERS = {3: ["comments_version_update"]}

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS authors_name_url ON authors (name, coalesce(url, ''))",
    "CREATE INDEX IF NOT EXISTS captures_crawl_id ON captures (crawl_id)",
    "CREATE INDEX IF NOT EXISTS captures_url ON captures (url)",
    "CREATE INDEX IF NOT EXISTS articles_capture_id ON articles (capture_id)",
    "CREATE INDEX IF NOT EXISTS articles_published_at ON articles (published_at)",
    "CREATE INDEX IF NOT EXISTS article_versions_article_id ON article_versions (article_id)",
    "CREATE INDEX IF NOT EXISTS article_versions_capture_id ON article_versions (capture_id)",
    "CREATE INDEX IF NOT EXISTS article_authors_author_id ON article_authors (author_id)",
    "CREATE INDEX IF NOT EXISTS images_article_id ON images (article_id)",
    "CREATE INDEX IF NOT EXISTS images_capture_id ON images (capture_id)",
    "CREATE INDEX IF NOT EXISTS comments_article_id ON comments (article_id)",
    "CREATE INDEX IF NOT EXISTS comments_capture_id ON comments (capture_id)",
    "CREATE INDEX IF NOT EXISTS comments_posted_at ON comments (posted_at)",
    "CREATE INDEX IF NOT EXISTS links_article_id ON links (article_id)",
    "CREATE INDEX IF NOT EXISTS comments_author ON comments (author)",
    "CREATE INDEX IF NOT EXISTS comment_versions_comment_row_id ON comment_versions (comment_row_id)",
    "CREATE INDEX IF NOT EXISTS comment_versions_capture_id ON comment_versions (capture_id)",
    "CREATE INDEX IF NOT EXISTS authors_name ON authors (name)",
    "CREATE INDEX IF NOT EXISTS comments_deleted_capture_id ON comments (deleted_capture_id)",
    "CREATE INDEX IF NOT EXISTS comment_counts_article_id ON comment_counts (article_id, seen_at)",
    "CREATE INDEX IF NOT EXISTS comment_counts_capture_id ON comment_counts (capture_id)",
]

VIEWS = [
    """CREATE VIEW IF NOT EXISTS article_overview AS
    SELECT
        a.id AS article_id,
        a.title,
        a.site,
        (SELECT group_concat(name, ', ') FROM (
            SELECT au.name FROM article_authors aa
            JOIN authors au ON au.id = aa.author_id
            WHERE aa.article_id = a.id ORDER BY aa.position)) AS authors,
        a.published_at,
        a.word_count,
        a.comment_count,
        (SELECT count(*) FROM comments c
            WHERE c.article_id = a.id AND c.deleted_at IS NULL) AS stored_comments,
        (SELECT i.credit FROM images i WHERE i.article_id = a.id AND i.is_lead
            ORDER BY i.position LIMIT 1) AS lead_image_credit,
        a.canonical_url,
        a.first_seen,
        a.last_seen
    FROM articles a""",
    """CREATE VIEW IF NOT EXISTS comment_threads AS
    SELECT
        c.id AS id,
        c.article_id,
        a.title AS article_title,
        a.site,
        c.comment_id,
        c.parent_comment_id,
        c.author,
        c.posted_at,
        c.depth,
        p.author AS parent_author,
        c.text,
        c.deleted_at
    FROM comments c
    JOIN articles a ON a.id = c.article_id
    LEFT JOIN comments p
        ON p.site = c.site AND p.host = c.host AND p.comment_id = c.parent_comment_id
    ORDER BY c.article_id, c.position""",
]

VIEWS.append(
    """CREATE VIEW IF NOT EXISTS image_credits AS
    SELECT
        a.site,
        i.credit,
        count(*) AS images,
        count(DISTINCT i.article_id) AS articles,
        sum(i.is_lead) AS lead_images,
        min(a.published_at) AS first_published,
        max(a.published_at) AS last_published
    FROM images i
    JOIN articles a ON a.id = i.article_id
    WHERE i.credit IS NOT NULL
    GROUP BY a.site, i.credit
    ORDER BY images DESC, a.site, i.credit""")

VIEWS.append(
    """CREATE VIEW IF NOT EXISTS comment_count_history AS
    SELECT
        a.id AS article_id,
        a.title,
        a.site,
        a.canonical_url,
        n.seen_at,
        n.comment_count,
        n.comment_count - lag(n.comment_count) OVER (
            PARTITION BY n.article_id ORDER BY n.seen_at) AS change,
        n.declared_comment_count,
        n.pingback_count,
        n.complete,
        c.warc_file,
        c.warc_offset
    FROM comment_counts n
    JOIN articles a ON a.id = n.article_id
    LEFT JOIN captures c ON c.id = n.capture_id
    ORDER BY a.id, n.seen_at""")

# Columns added after a table was first created: (table, column, declaration).
# ensure_schema adds the missing ones to an older database.
ADDED_COLUMNS = [
    ("captures", "etag", "TEXT"),
    ("captures", "last_modified", "TEXT"),
    ("captures", "refers_to", "TEXT"),
    # schema 3 (issue 3: comment threads across sources and crawls)
    ("articles", "post_id", "TEXT"),
    ("articles", "comments_system", "TEXT"),
    ("articles", "comments_thread_id", "TEXT"),
    ("comments", "by_post_author", "INTEGER"),
    ("comments", "deleted_capture_id", "INTEGER REFERENCES captures(id)"),
    # issue 6 (scheduled crawls): each run's site, clock ("now", DCA_NOW in tests) and page counts
    ("crawls", "site", "TEXT"),
    ("crawls", "clock", "TEXT"),
    ("crawls", "pages_new", "INTEGER"),
    ("crawls", "pages_changed", "INTEGER"),
    ("crawls", "pages_unchanged", "INTEGER"),   # revisits + articles skipped as unchanged
    ("crawls", "pages_skipped", "INTEGER"),     # of which: articles not fetched (crawler/incremental.py)
    ("crawls", "pages_failed", "INTEGER"),
    ("crawls", "pages_robots", "INTEGER"),      # refused by robots.txt
    ("crawls", "articles_stored", "INTEGER"),
    ("crawls", "comments_stored", "INTEGER"),
]

FTS = {"articles": ["title", "body_text"], "comments": ["text", "author"]}


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the archive database with WAL and foreign keys on, schema ensured."""
    conn = sqlite3.connect(str(path), timeout=30)
    db = sqlite_utils.Database(conn)
    ensure_schema(db)
    return db


def set_pragmas(db: sqlite_utils.Database) -> None:
    """The pragmas every connection needs (foreign keys are per connection)."""
    db.conn.execute("PRAGMA foreign_keys=ON")
    if db.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        db.enable_wal()
    db.conn.execute("PRAGMA synchronous=NORMAL")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the tables, indexes, FTS indexes, triggers and views if missing."""
    if not db.conn.in_transaction:
        set_pragmas(db)
    with db.atomic():
        had_comment_versions = db["comment_versions"].exists()
        for sql in TABLES:
            db.execute(sql)
        # Columns added after a table was first created (older databases).
        for table, column, decl in ADDED_COLUMNS:
            if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for since, names in REPLACED_TRIGGERS.items():
            if version < since:
                for name in names:
                    db.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name in DROPPED_INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        for sql in INDEXES + VIEWS + COMMENT_VERSION_TRIGGERS:
            db.execute(sql)
        if not had_comment_versions:  # a database from before comment versions: its comments' first versions
            db.execute(f"INSERT INTO comment_versions ({_COMMENT_VERSION_COLUMNS}) SELECT id, capture_id, author,"
                       " author_url, posted_at, text, deleted_at, coalesce(deleted_at, last_seen) FROM comments")
        for table, columns in FTS.items():
            if not db[f"{table}_fts"].exists():
                db[table].enable_fts(columns, create_triggers=True, tokenize="porter")
        if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
