"""python -m tests.sample_site [--port N] [--articles N] [--seed N]: serve in the foreground."""

import argparse
import sys

from .data import site_totals
from .server import SampleSite


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.sample_site", description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--articles", type=int, default=36, help="number of articles (default 36)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--real-date", action="store_true", help="send the real Date header")
    args = ap.parse_args(argv)
    site = SampleSite(args.articles, args.seed, args.port, real_date=args.real_date)
    site.start()
    t = site_totals(site.data)
    print(f"Serving The Forward Line ({t['articles']} articles, {t['comments']} comments) "
          f"at {site.base_url}", flush=True)
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
