"""`dca`: crawl defense-commentary sites into WARC + SQLite, then query and replay them.

Every command works on an output directory DIR: WARC files in DIR/warc/ (the
source of truth) and the database derived from them at DIR/archive.sqlite.
"""

import json
import sys
from pathlib import Path

import click

from crawler import __version__

DEFAULT_OUT = Path("out")


def parse_settings(pairs) -> dict:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="-s")
        settings[name.strip()] = value
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dca")
def main():
    """Archive defense and foreign-policy commentary: WARC first, SQLite derived.

    \b
    Try it on the bundled sample site:
        dca demo
    Crawl a real WordPress site, politely:
        dca crawl https://example.org/ --out out --max-pages 200
    Look at what a page yields, without crawling:
        dca extract page.html --url https://example.org/2024/01/02/slug/
    Replay what was archived:
        dca replay --out out
    """


LOCKED_EXIT = 75  # EX_TEMPFAIL: cron and systemd read it as "try again later"


@main.command()
@click.argument("target", required=False)
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A site list (TOML, see sites.example.toml): crawl every site in it, or the one named TARGET.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output directory: DIR/warc/, DIR/archive.sqlite, DIR/logs/. An existing one is added to;"
                   " every site of a site list goes into this one directory.")
@click.option("--max-pages", type=int, default=None, help="Stop a site's run after this many responses.")
@click.option("--max-minutes", type=float, default=None, help="Stop a site's run after this many minutes.")
@click.option("--site", default="", help="Site profile id for a URL (default: chosen by host, else generic 'wordpress').")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy setting, as with `scrapy crawl -s`. Repeatable; wins over the site list.")
def crawl(target, sites_file, out_dir, max_pages, max_minutes, site, settings):
    """Crawl a WordPress site (TARGET is its URL), or the sites of a site list, into WARC files and the database.

    Articles are found from the site's sitemaps, its feed and its listings;
    comment pages and the page requisites of articles are archived too.
    robots.txt is obeyed and requests are throttled. Runs are incremental:
    articles already archived are fetched again only when young or changed.
    One run at a time per output directory (a second one exits with status 75).

    \b
    Examples:
        dca crawl https://example.org/ --out out --max-pages 500 -s DOWNLOAD_DELAY=2
        dca crawl --sites sites.toml --out archive          # every site, one after another
        dca crawl warontherocks --sites sites.toml --out archive
    """
    from crawler.runlock import LockedError
    from crawler.runner import run_crawls

    overrides = parse_settings(settings)
    if max_pages:
        overrides["CLOSESPIDER_PAGECOUNT"] = max_pages
    if max_minutes:
        overrides["CLOSESPIDER_TIMEOUT"] = max_minutes * 60
    jobs = crawl_jobs(target, sites_file, site, overrides)
    try:
        results = run_crawls(out_dir, jobs)
    except LockedError as err:
        click.echo(f"dca crawl: {err}", err=True)
        sys.exit(LOCKED_EXIT)
    for result in results:
        print_summary(result)
    stopped = [r for r in results if r.stats.get("finish_reason") == "warc_writer_died"]
    if stopped:
        raise click.ClickException(f"{stopped[0].name or 'the crawl'} stopped: its WARC writer process died, so "
                                   f"nothing more could be archived (log: {stopped[0].log_file}); "
                                   f"run `dca verify --out {out_dir}`, then crawl again")
    unreached = [r for r in results if not r.reached_site]
    if unreached:
        raise click.ClickException("; ".join(f"{r.name}: {r.failure_hint()}" for r in unreached)
                                   + f" (log: {unreached[0].log_file})")


def crawl_jobs(target, sites_file, profile, overrides) -> list:
    """What `dca crawl` was asked to do, as CrawlJobs; a clear UsageError otherwise."""
    from crawler.runner import CrawlJob
    from crawler.sitelist import SiteListError, find_site, load_sites

    if target and "://" in target:
        if sites_file:
            raise click.UsageError("give a URL or --sites FILE [NAME], not both")
        return [CrawlJob(target, profile, overrides)]
    if not sites_file:
        raise click.UsageError("give a site URL, or --sites FILE to crawl the sites of a site list"
                               + (f" (is {target!r} a name from one?)" if target else ""))
    try:
        sites = load_sites(sites_file)
    except SiteListError as err:
        raise click.ClickException(str(err)) from None
    if target:
        chosen = find_site(sites, target)
        if chosen is None:
            raise click.UsageError(f"no site {target!r} in {sites_file} (sites: {', '.join(s.name for s in sites)})")
        sites = [chosen]
    return [CrawlJob(s.root, s.profile, {**s.crawl_settings(), "DCA_SITE": s.profile, **overrides}, name=s.name)
            for s in sites]


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True,
              help="Output directory for the demo's WARC files and database.")
@click.option("--articles", type=int, default=36, show_default=True, help="Size of the sample site.")
def demo(out_dir, articles):
    """Crawl the bundled sample site on 127.0.0.1 and show how to query and replay it.

    The sample site is an invented WordPress-like defense-commentary site with
    three themes, nested comment threads, image credits and promo links. It is
    served on a free loopback port for the length of the crawl.
    """
    from crawler.runner import LOOPBACK_SETTINGS, run_crawl
    from tests.sample_site.server import SampleSite

    with SampleSite(n_articles=articles) as site:
        click.echo(f"Sample site serving at {site.base_url} ({articles} articles)")
        result = run_crawl(site.base_url, out_dir, site="dca-sample", overrides=dict(LOOPBACK_SETTINGS))
    print_summary(result)
    print_next_steps(out_dir)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default=None, help="The URL the page was served from (default: the file's file:// URL).")
@click.option("--site", default="", help="Site profile id (default: chosen by the URL's host).")
def extract(files, url, site):
    """Print the page record of saved HTML FILES: JSON for one, JSON Lines for several.

    This is the same extraction the crawl stores, so it is the quickest way to
    see what the database will hold for a page.

    \b
    Example:
        dca extract saved.html --url https://example.org/2024/03/05/slug/ | jq .comments
    """
    from crawler.extract import extract_page
    from crawler.sites import get_profile, profile_for_url

    records = []
    for path in files:
        page_url = url or path.resolve().as_uri()
        profile = get_profile(site) if site else profile_for_url(page_url)
        records.append(extract_page(page_url, path.read_bytes(), content_type=None, profile=profile))
    if len(records) == 1:
        click.echo(json.dumps(records[0], ensure_ascii=False, indent=2))
    else:
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output directory whose WARC files to replay.")
@click.option("--port", type=int, default=8080, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
def replay(out_dir, port):
    """Serve the archive in DIR/warc through pywb on 127.0.0.1, until Ctrl-C.

    The WARC files are indexed in place, not copied. Open the printed URL, or
    one of the listed article replay URLs.
    """
    from archive.replay import ReplayServer

    if not any((out_dir / "warc").glob("*.warc.gz")):
        raise click.ClickException(f"no WARC files in {out_dir / 'warc'}; crawl first (dca crawl URL --out {out_dir})")
    with ReplayServer(out_dir, port=port) as server:
        click.echo(f"pywb is replaying {out_dir / 'warc'} at {server.base_url}")
        for title, url in archived_articles(out_dir, server):
            click.echo(f"  {title}\n    {url}")
        click.echo("Press Ctrl-C to stop.")
        try:
            server.wait()
        except KeyboardInterrupt:
            click.echo("stopped")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output directory whose WARC files to index.")
def index(out_dir):
    """Rebuild DIR/index.cdxj, the sorted CDXJ index of every WARC in DIR/warc.

    Each crawl already merges its new files into the index; this rebuilds it
    from scratch (a damaged WARC is left out with a warning; see `dca verify`).
    """
    from archive.index import build_index

    path = build_index(out_dir)
    with open(path, encoding="utf-8") as fh:
        lines = sum(1 for _ in fh)
    click.echo(f"{path}: {lines} entries")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output directory to check: DIR/warc/ and DIR/archive.sqlite.")
def verify(out_dir):
    """Re-read every WARC, check its digests, and check the database against the records.

    Reports damaged files (with the last good offset), digest mismatches,
    captures rows without their record and records without a row: faults, exit
    status 1. A file whose last record was cut off by a killed crawl is listed
    as an interrupted write (readable up to an offset), not a fault.
    """
    from archive.verify import format_report, verify as run_verify

    report = run_verify(out_dir)
    click.echo(format_report(report))
    if not report.ok:
        sys.exit(1)


@main.command()
@click.option("--systemd", is_flag=True, required=True, help="Make a systemd user service + timer pair.")
@click.option("--install", is_flag=True, help="Write them into ~/.config/systemd/user/ (else print them).")
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="The site list the timer crawls.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output directory of the scheduled crawls.")
@click.option("--on-calendar", default="*-*-* 03:17:00", show_default=True,
              help="When to run, as systemd OnCalendar (daily at 03:17 by default).")
@click.option("--name", default="dca-crawl", show_default=True, help="Unit name (NAME.service, NAME.timer).")
def schedule(systemd, install, sites_file, out_dir, on_calendar, name):
    """Run `dca crawl --sites FILE` on a timer: print (or --install) a systemd service and timer.

    \b
    After --install:
        systemctl --user daemon-reload && systemctl --user enable --now dca-crawl.timer
        loginctl enable-linger $USER     # run while logged out
    With cron instead, see the README for the crontab line.
    """
    from crawler.schedule import install_units, systemd_units

    units = systemd_units(sites_file, out_dir, on_calendar=on_calendar, name=name)
    if not install:
        for filename, text in units.items():
            click.echo(f"# {filename}\n{text}")
        return
    for path in install_units(units):
        click.echo(f"wrote {path}")
    click.echo(f"now: systemctl --user daemon-reload && systemctl --user enable --now {name}.timer")


# The researcher's commands and rebuild live in crawler/commands/.
from crawler.commands.rebuild import rebuild_command  # noqa: E402
from crawler.commands.research import browse_command, export_command, search_command, sql_command  # noqa: E402

for _command in (rebuild_command, search_command, sql_command, export_command, browse_command):
    main.add_command(_command)


def archived_articles(out_dir: Path, server, limit: int = 20):
    import sqlite3

    db_path = out_dir / "archive.sqlite"
    if not db_path.exists():
        return []
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = connection.execute(
        "SELECT a.title, c.url, c.fetched_at FROM articles a JOIN captures c ON c.id = a.capture_id"
        " ORDER BY a.published_at DESC LIMIT ?", (limit,)
    ).fetchall()
    connection.close()
    return [(title, server.replay_url(url, timestamp=wayback_timestamp(fetched_at))) for title, url, fetched_at in rows]


def wayback_timestamp(iso_date: str) -> str:
    """2024-03-05T14:30:00.123456Z -> 20240305143000, the form replay URLs use."""
    return "".join(ch for ch in iso_date if ch.isdigit())[:14]


def failed_by_status(stats: dict) -> str:
    """' (401: 12, 404: 2)': which answers the failed pages were (a site's locked REST API answers 401)."""
    prefix = "pages/failed/"
    by_status = sorted((key[len(prefix):], value) for key, value in stats.items() if key.startswith(prefix))
    return f" ({', '.join(f'{status}: {n}' for status, n in by_status)})" if by_status else ""


def print_summary(result):
    from rich.console import Console
    from rich.table import Table

    from crawler.summary import database_counts, database_path, human_size, warc_files

    console = Console(soft_wrap=True)
    table = Table(title=f"Crawl finished in {result.seconds:.1f}s ({result.stats.get('finish_reason', '?')})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in database_counts(database_path(result.out_dir)).items():
        table.add_row(name, str(count))
    files = warc_files(result.out_dir)
    table.add_row("WARC files", f"{len(files)} ({human_size(sum(f.stat().st_size for f in files))})")
    console.print(table)
    counts = result.counts
    console.print(f"{result.name + ': ' if result.name else ''}pages new {counts['pages_new']}, changed "
                  f"{counts['pages_changed']}, unchanged {counts['pages_unchanged']} (of which not fetched "
                  f"{counts['pages_skipped']}), failed {counts['pages_failed']}{failed_by_status(result.stats)}, "
                  f"refused by robots.txt {counts['pages_robots']}")
    console.print(f"database: {database_path(result.out_dir)}")
    console.print(f"WARC dir: {result.out_dir / 'warc'}")
    console.print(f"log:      {result.log_file}")
    if result.robots_refused:
        console.print(f"robots.txt refused {result.robots_refused} URL(s); they were not fetched")
    for key, value in result.problems.items():
        console.print(f"[yellow]counted[/yellow] {key}: {value} (details in the log)")


def print_next_steps(out_dir: Path):
    db = out_dir / "archive.sqlite"
    click.echo(
        "\nNext (after `. .venv/bin/activate`; sqlite3 and Datasette work on the file too):\n"
        f"  sqlite-utils {db} \"SELECT title, authors, comment_count FROM article_overview LIMIT 5\" --table\n"
        f"  sqlite-utils {db} \"SELECT credit, count(*) AS n FROM images GROUP BY credit ORDER BY n DESC\" --table\n"
        f"  sqlite-utils {db} \"SELECT author, snippet(comments_fts, 0, '[', ']', '…', 8) AS hit FROM comments_fts"
        " WHERE comments_fts MATCH 'drone' LIMIT 5\" --table\n"
        f"  dca replay --out {out_dir}        # pywb on 127.0.0.1, then open the printed URL\n"
        f"  warcio index {out_dir}/warc/*.warc.gz | head\n"
    )


if __name__ == "__main__":
    sys.exit(main())
