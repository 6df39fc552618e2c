"""python -m tests.sample_site [--port N] [--articles N] [--seed N] [--day N] [--cache-all] [--no-log]:
serve in the foreground.  While it runs, SIGUSR1 advances the site one day (SampleSite.advance)."""

import argparse
import signal
import sys

from .data import site_totals
from .server import SampleSite


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.sample_site", description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--articles", type=int, default=36, help="number of articles (default 36)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--day", type=int, default=0,
                    help="serve the site as it is N days after day 0 (default 0)")
    ap.add_argument("--real-date", action="store_true", help="send the real Date header")
    ap.add_argument("--cache-all", action="store_true",
                    help="keep every rendered page and compressed body: later crawls cost the site no rendering")
    ap.add_argument("--no-log", action="store_true", help="keep no request log (it grows with every request)")
    args = ap.parse_args(argv)
    site = SampleSite(args.articles, args.seed, args.port, day=args.day, real_date=args.real_date,
                      cache_all=args.cache_all, log=not args.no_log)
    site.start()
    t = site_totals(site.data)
    print(f"Serving The Forward Line ({t['articles']} articles, {t['comments']} comments, "
          f"day {site.day}) at {site.base_url}", flush=True)

    def next_day(signum, frame):
        site.advance(1)
        print(f"Advanced to day {site.day}", flush=True)

    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, next_day)
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
