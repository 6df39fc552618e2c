"""Invented data for the sample site, and the ground truth extraction must match.

Everything here is made up from seeded phrase banks; no real article is copied.
``build_site(n_articles, seed)`` is deterministic and fast (2,500 articles in well
under a few seconds).  Article ``i`` is built from its own random stream, so the
first articles of a big site are the same as those of the default site (only the
promo targets near the end of a small site differ).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from html import escape
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SITE_NAME = "The Forward Line"
SITE_TAGLINE = "Commentary on defense, strategy and the wars we prepare for"
TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
THEMES = ("fortyfive", "gutenberg", "classic")
LANGUAGE = "en-US"
RETIRED_PATH = "/2020/01/01/retired-post/"
UPLOADS = "/wp-content/uploads/"
THUMB_SUFFIX = "-300x169"

# Special cases among the first 36 articles (theme of index i is THEMES[(i // 3) % 3]).
PAGINATED_2 = 1        # fortyfive, comments on 2 pages
PAGINATED_3 = 6        # classic, comments on 3 pages
RETIRED_LINKER = 4     # gutenberg, body links to RETIRED_PATH (404)
DRAFT = 20             # fortyfive, empty draft-like post (expect_invalid)
NO_COMMENTS = 14       # gutenberg, no comments at all (no heading)
ONE_COMMENT = 25       # classic, exactly one comment ("One Response to ...")
TWO_AUTHORS = (0, 9)   # fortyfive, always two authors (others by chance)
INLINE_IMAGE = (0, 3, 7)
DEEP = {0: 6, 3: 5, 7: 5, 10: 5}   # index -> forced thread depth

# Beyond the default site (the first 36 articles never change): comment-system cases.
DISQUS = 36            # fortyfive, Disqus embed instead of a native thread (n_articles >= 37)
BIG_THREAD = 37        # fortyfive, 250+ comments on 5 comment pages, ?cpage=N served (n >= 38)
DISQUS_SHORTNAME = "forwardline-sample"
BIG_THREAD_TOPS, BIG_THREAD_PINGS, BIG_THREAD_PER_PAGE = 45, 3, 10
REST_THEMES = ("fortyfive", "gutenberg")   # classic articles: the REST API answers 401

# "The next day": build_site(day=N) is the site N days after day 0 (see _advance_day).
DAY0_CLOCK = datetime(2025, 6, 28, 8, 0, tzinfo=TZ)   # = the Date header of day 0 (12:00 GMT)
DAY1_REPLIES = (0, PAGINATED_2, PAGINATED_3)   # day 1: a new reply in each (+ BIG_THREAD: a new top)
EDITED_COMMENT = 3     # day 1: its first top-level comment gets new text (same id)
DELETED_COMMENT = 9    # day 1: its last leaf reply is deleted
EDITED_ARTICLE = 5     # day 1: body gains an update paragraph, modified bumped
DAILY_REPLY = 0        # day >= 2: a new reply to the newest comment of this article
MAX_DAY = 60


# --------------------------------------------------------------------------- model

@dataclass(frozen=True)
class Author:
    slug: str
    name: str
    bio: str

    def url(self, base_url: str) -> str:
        return f"{base_url}/author/{self.slug}/"


@dataclass(frozen=True)
class Category:
    slug: str
    name: str

    def url(self, base_url: str) -> str:
        return f"{base_url}/category/{self.slug}/"


@dataclass
class Image:
    file: str                 # under /wp-content/uploads/, e.g. "2024/03/f-35a-89987.jpg"
    alt: str
    caption: str | None       # ends with its own punctuation; never contains the credit
    credit: str | None        # no trailing period
    is_lead: bool
    width: int = 1200
    height: int = 675
    attachment_id: int = 0
    after_block: int = -1     # inline images: rendered after blocks[after_block]

    @property
    def path(self) -> str:
        return UPLOADS + self.file

    @property
    def thumb_path(self) -> str:
        stem, dot, ext = self.path.rpartition(".")
        return f"{stem}{THUMB_SUFFIX}.{ext}"

    def src(self, base_url: str) -> str:
        return base_url + self.path


@dataclass
class Comment:
    id: int
    parent_id: int | None
    author: str
    author_url: str | None
    posted_at: datetime
    paragraphs: list[str]
    depth: int
    kind: str = "comment"          # 'comment' | 'pingback' | 'trackback'
    post_author: str | None = None  # author slug when the article's author wrote it

    @property
    def is_ping(self) -> bool:
        return self.kind != "comment"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class Promo:
    label: str            # 'MORE' (fortyfive) or 'Related' (gutenberg)
    target_index: int
    target_path: str
    target_title: str
    after_block: int      # rendered after blocks[after_block]


@dataclass
class InlineLink:
    block: int            # index into blocks
    text: str             # substring of that block's text that becomes the anchor
    href: str             # site path ("/...") or absolute external URL


@dataclass
class Article:
    index: int
    post_id: int
    slug: str
    theme: str
    title: str
    subtitle: str | None
    authors: list[Author]
    published: datetime
    modified: datetime | None
    category: Category
    tags: list[str]
    blocks: list[tuple[str, str]]
    promos: list[Promo] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    comments_per_page: int | None = None
    expect_invalid: bool = False
    links: list[InlineLink] = field(default_factory=list)
    # comment systems and the REST API (issue 3); defaults are the default site's values
    rest_api: bool = True                # /wp-json/wp/v2/comments?post=ID answers (else 401)
    comments_system: str | None = None   # None: native WordPress thread; 'disqus'
    disqus_shortname: str | None = None
    cpage_served: bool = False           # ?cpage=N serves comment page N (else 301s to it)
    head_shortlink: bool = False         # <link rel='shortlink'> in <head> (always as a header)
    activity: datetime | None = None     # last comment change after day 0 (bumps lastmod)
    published_day: int = 0               # 0: exists on day 0; N: published on day N

    @property
    def lastmod(self) -> datetime:
        """Sitemap lastmod: the modified (else published) time, or the last comment
        change made after day 0 when that is later."""
        base = self.modified or self.published
        return max(base, self.activity) if self.activity is not None else base

    def shortlink(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/?p={self.post_id}"

    def disqus_identifier(self, base_url: str) -> str | None:
        """The Disqus plugin's thread identifier: 'POST_ID SHORTLINK'."""
        if self.comments_system != "disqus":
            return None
        return f"{self.post_id} {self.shortlink(base_url)}"

    def comment_page_of(self, comment_id: int) -> int:
        for n, page in enumerate(self.comment_pages(), 1):
            if any(c.id == comment_id for c in page):
                return n
        raise KeyError(comment_id)

    @property
    def section(self) -> str:
        return self.category.name

    @property
    def path(self) -> str:
        p = self.published
        return f"/{p.year:04d}/{p.month:02d}/{p.day:02d}/{self.slug}/"

    def permalink(self, base_url: str) -> str:
        return base_url + self.path

    def comment_page_path(self, n: int) -> str:
        return self.path if n == 1 else f"{self.path}comment-page-{n}/"

    def comment_page_url(self, base_url: str, n: int) -> str:
        return base_url + self.comment_page_path(n)

    def comment_pages(self) -> list[list[Comment]]:
        """Comments split the way WordPress paginates: by top-level threads (pingbacks
        are top-level items too), replies travelling with their thread; oldest first."""
        if not self.comments_per_page:
            return [list(self.comments)]
        pages: list[list[Comment]] = []
        tops = 0
        for c in self.comments:
            if c.depth == 1:
                if tops % self.comments_per_page == 0:
                    pages.append([])
                tops += 1
            pages[-1].append(c)
        return pages or [[]]

    @property
    def n_comment_pages(self) -> int:
        return len(self.comment_pages())

    @property
    def real_comments(self) -> list[Comment]:
        return [c for c in self.comments if not c.is_ping]

    @property
    def pingbacks(self) -> list[Comment]:
        return [c for c in self.comments if c.is_ping]

    @property
    def response_mode(self) -> str:
        return ("chunked", "gzip", "identity")[self.index % 3]


@dataclass
class SiteData:
    articles: list[Article]
    authors: list[Author]
    categories: list[Category]
    timezone: str = TZ_NAME
    seed: int = 7
    name: str = SITE_NAME
    cache: dict = field(default_factory=dict, repr=False, compare=False)
    day: int = 0
    n_articles: int = 0          # as asked of build_site (articles published later come on top)
    # REST comment paging as some sites serve it: a plugin that silently lowers per_page (as a
    # rest_comment_query filter does), a proxy that drops X-WP-Total(Pages) and Link.
    rest_per_page_cap: int | None = None
    rest_paging_headers: bool = True

    @property
    def valid_articles(self) -> list[Article]:
        return [a for a in self.articles if not a.expect_invalid]

    @property
    def listed(self) -> list[Article]:
        """Newest first, as listings, the feed and the sitemap show them: articles
        published after day 0 on top, then the rest in index order."""
        later = sorted((a for a in self.articles if a.published_day), key=lambda a: a.published,
                       reverse=True)
        return later + [a for a in self.articles if not a.published_day]

    def article_by_post_id(self, post_id: int) -> Article | None:
        return next((a for a in self.articles if a.post_id == post_id), None)


# --------------------------------------------------------------------------- helpers

def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", ""))
    return text.strip("-")


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat(timespec="seconds")


def display_date(dt: datetime) -> str:
    return f"{MONTHS[dt.month - 1]} {dt.day}, {dt.year}"


def display_time(dt: datetime) -> str:
    h = dt.hour % 12 or 12
    return f"{h}:{dt.minute:02d} {'am' if dt.hour < 12 else 'pm'}"


def display_datetime(dt: datetime) -> str:
    return f"{display_date(dt)} at {display_time(dt)}"


def _safe(dt: datetime) -> datetime:
    """Keep wall-clock times out of 1:00-2:59 am so no time is ambiguous or missing
    around DST changes (display times carry no zone)."""
    dt = dt.replace(second=0, microsecond=0, fold=0)
    if dt.hour in (1, 2):
        dt = dt + timedelta(hours=2)
    return dt


# --------------------------------------------------------------------------- banks

AUTHORS = [
    Author("marcus-halvorsen", "Marcus Halvorsen",
           "Marcus Halvorsen is a senior fellow at the Meridian Institute for Security Studies "
           "and a former Army armor officer. He writes about land warfare and the defense budget."),
    Author("dana-okafor-reyes", "Dana Okafor-Reyes",
           "Dana Okafor-Reyes covers naval affairs and shipbuilding. She spent a decade as a "
           "surface warfare officer before turning to writing."),
    Author("renee-castellanos", "Renée Castellanos",
           "Renée Castellanos is a contributing editor at The Forward Line. Her work focuses on "
           "European security, NATO’s eastern flank and arms control."),
    Author("tom-orourke", "Tom O’Rourke",
           "Tom O’Rourke is a retired Air Force colonel & former F-16 pilot. He consults on "
           "air-power doctrine and teaches a seminar on strategy."),
    Author("priya-venkataraman", "Priya Venkataraman",
           "Priya Venkataraman is an analyst of Indo-Pacific security whose research covers "
           "the Taiwan Strait, the South China Sea and alliance politics."),
    Author("jonas-whitcombe", "Jonas Whitcombe",
           "Jonas Whitcombe writes about nuclear strategy and missile defense. He previously "
           "worked on Capitol Hill as a defense appropriations staffer."),
    Author("eleanor-strand", "Eleanor Strand",
           "Eleanor Strand is a historian of twentieth-century warfare and the author of two "
           "books on coalition command."),
    Author("yusuf-adeyemi", "Yusuf Adeyemi",
           "Yusuf Adeyemi reports on the Middle East, drones and irregular warfare. He is based "
           "in Washington, D.C."),
    Author("hannah-lindqvist", "Hannah Lindqvist",
           "Hannah Lindqvist studies the defense industrial base, munitions production and "
           "the economics of a long war."),
    Author("bart-kiley", "Bart Kiley",
           "Bart Kiley is a former Marine infantry officer and a columnist at The Forward Line. "
           "He writes about training, readiness and the “human terrain” of war."),
]

CATEGORIES = [
    Category("land-warfare", "Land Warfare"),
    Category("air-power", "Air Power"),
    Category("naval", "Naval"),
    Category("nuclear-strategy", "Nuclear Strategy"),
    Category("russia-ukraine", "Russia & Ukraine"),
    Category("indo-pacific", "Indo-Pacific"),
    Category("budget-acquisition", "Budget & Acquisition"),
    Category("middle-east", "Middle East"),
]

# (system, short noun, service, country, category slug)
SYSTEMS = [
    ("M1E3 Abrams", "tank", "Army", "America", "land-warfare"),
    ("XM30 infantry fighting vehicle", "vehicle", "Army", "America", "land-warfare"),
    ("HIMARS", "rocket launcher", "Army", "America", "land-warfare"),
    ("Leopard 2A8", "tank", "Bundeswehr", "Germany", "land-warfare"),
    ("T-90M", "tank", "Russian army", "Russia", "russia-ukraine"),
    ("Shahed-136", "drone", "Revolutionary Guard", "Iran", "middle-east"),
    ("F-35A", "fighter", "Air Force", "America", "air-power"),
    ("B-21 Raider", "bomber", "Air Force", "America", "air-power"),
    ("F-15EX Eagle II", "fighter", "Air Force", "America", "air-power"),
    ("J-20", "stealth fighter", "PLA Air Force", "China", "indo-pacific"),
    ("Su-57", "fighter", "Russian air force", "Russia", "russia-ukraine"),
    ("Rafale", "fighter", "Armée de l’Air", "France", "air-power"),
    ("Constellation-class frigate", "frigate", "Navy", "America", "naval"),
    ("Columbia-class submarine", "submarine", "Navy", "America", "nuclear-strategy"),
    ("Virginia-class attack submarine", "submarine", "Navy", "America", "naval"),
    ("Type 055 destroyer", "destroyer", "PLA Navy", "China", "indo-pacific"),
    ("Arleigh Burke-class destroyer", "destroyer", "Navy", "America", "naval"),
    ("MQ-25 Stingray", "tanker drone", "Navy", "America", "naval"),
    ("Sentinel ICBM", "missile", "Air Force", "America", "nuclear-strategy"),
    ("Patriot battery", "air-defense system", "Army", "America", "russia-ukraine"),
    ("KF-21 Boramae", "fighter", "Republic of Korea Air Force", "South Korea", "indo-pacific"),
    ("CV90", "vehicle", "Swedish army", "Sweden", "land-warfare"),
    ("Ford-class carrier", "carrier", "Navy", "America", "budget-acquisition"),
    ("F/A-XX", "fighter", "Navy", "America", "budget-acquisition"),
]

ADVERSARIES = ["China", "Russia", "Iran", "North Korea"]
REGIONS = ["the Taiwan Strait", "the Baltic", "the Black Sea", "the Western Pacific",
           "the Red Sea", "the Korean Peninsula", "the High North", "the Persian Gulf"]
CAPITALS = ["Washington", "Beijing", "Moscow", "Brussels", "Tokyo", "Kyiv", "Berlin"]
RANKS = ["admiral", "general", "colonel", "sergeant major", "program manager"]

TITLES = [
    "Why the {system} Still Matters in {region}",
    "The {system} Problem Nobody in {capital} Wants to Talk About",
    "Is the {system} Already Obsolete?",
    "What Ukraine Taught Us About the {system}",
    "The {service} Is Betting Big on the {system}. It Shouldn’t.",
    "How {adversary} Plans to Beat the {system}",
    "Five Questions About the {system} Before Congress Writes the Check",
    "The {system} & the Coming Budget Fight",
    "“Good Enough” Is the {system}’s Best Argument",
    "Meet the {system}: {country}’s Answer to {adversary}",
    "The {system} Was Built for the Wrong War",
    "Don’t Write Off the {system} Yet",
    "The Quiet Crisis Behind the {system}",
    "A {short} for {region}? The Case for the {system}",
]

SUBTITLES = [
    "A costly program faces a skeptical Congress and a patient adversary.",
    "The hardware is impressive. The plan to use it is not.",
    "Lessons from the front lines are arriving faster than the budget can absorb them.",
    "Numbers, not perfection, may decide the next war.",
    "Critics and champions are both missing the same point.",
    "The real fight is in the factories — and it is going badly.",
]

HEADINGS = [
    "The Budget Math", "What the Critics Get Wrong", "A Lesson From the Black Sea",
    "The Industrial Base Problem", "Where Things Go From Here", "The Taiwan Question",
    "Training, Not Hardware", "Logistics Wins Wars", "The Case for Patience",
    "Why Numbers Still Matter", "The {short} in a Real Fight", "What {capital} Should Do",
    "Risks & Trade-Offs", "The View From {capital}",
]

SENTENCES = [
    "The {system} was designed for a world that no longer exists.",
    "Few programs in the {service}’s portfolio have drawn as much attention as the {system}.",
    "On paper, the {short} is a remarkable piece of engineering.",
    "In practice, the story is more complicated.",
    "The {service} has spent more than {n} billion dollars on the effort so far.",
    "Critics argue that every dollar spent on the {system} is a dollar not spent on munitions.",
    "Supporters counter that nothing else on the drawing board can do the job.",
    "The war in Ukraine has forced planners to rethink what a {short} is for.",
    "{adversary} has watched all of this closely and drawn its own conclusions.",
    "A conflict in {region} would test the {system} in ways no exercise can.",
    "Maintenance, not performance, is where programs like this live or die.",
    "Readiness rates for the {short} have hovered around {pct} percent for several years.",
    "That is not good enough for a force that expects to fight on short notice.",
    "The problem is not the {short} itself but the assumptions built around it.",
    "Officials in {capital} rarely say this out loud.",
    "Yet the numbers are hard to ignore.",
    "Production is running at roughly {m} units a year, well short of the stated goal.",
    "Suppliers of castings, forgings and microelectronics cannot simply be conjured up.",
    "There is a real risk that the {system} arrives just in time for the wrong fight.",
    "Drones have changed the calculus, though perhaps less than the enthusiasts claim.",
    "Cheap systems in large numbers can overwhelm exquisite ones in small numbers.",
    "That lesson is older than the {system}, and older than the {service}.",
    "Congress will have its say when the next budget request arrives in {year}.",
    "None of this means the program should be cancelled.",
    "It does mean the {service} owes taxpayers a clearer explanation.",
    "Allies are watching, too, and some have already made different choices.",
    "{country} is not the only country wrestling with these trade-offs.",
    "The history of procurement is littered with programs that promised too much.",
    "A modest, incremental approach would buy time and reduce risk.",
    "The alternative is to keep paying for a future that keeps slipping to the right.",
    "A retired {rank} put it bluntly: “We are buying yesterday’s force at tomorrow’s prices.”",
    "Training matters as much as hardware — arguably more.",
    "Crews that have not practiced against a thinking adversary will struggle in {region}.",
    "The logistics tail behind every {short} is longer than most people realize.",
    "Fuel, spare parts and trained mechanics are the unglamorous heart of combat power.",
    "Some of this is simply the price of doing something new.",
    "Some of it is self-inflicted.",
    "The “wait and see” approach has costs of its own.",
    "Reasonable people can disagree about the timeline; the direction is harder to dispute.",
    "If the past {m} years are any guide, the schedule will slip again.",
]

LIST_ITEMS = [
    "Fund spare parts and depot maintenance before buying more airframes.",
    "Train crews against a thinking adversary, not a script.",
    "Buy munitions in multiyear contracts so suppliers can invest.",
    "Publish realistic readiness data every quarter.",
    "Keep the {system} on a fixed-price contract where possible.",
    "Pair the {short} with cheap unmanned systems instead of replacing it.",
    "Ask allies what they would actually buy, and listen to the answer.",
    "Stop moving the goalposts on requirements.",
]

QUOTES = [
    "Every dollar we spend on exquisite platforms is a dollar we don’t spend on the magazines that win a long war.",
    "The enemy gets a vote, and lately it has been voting with cheap drones.",
    "We keep planning for the war we want rather than the one we are likely to get.",
    "Mass is back. It never really left — we just stopped paying for it.",
]

CAPTIONS = [
    "A {system} during a live-fire exercise.",
    "A {system} on a test range in {year}.",
    "Crews prepare a {system} for a training sortie.",
    "A {system} photographed during trials.",
    "The {system} at a public demonstration.",
    "Maintainers work on a {system} at dawn.",
]
ALTS = ["{system} on a test range", "{system} during an exercise", "{system} photo",
        "A {short} in the field", "{system}"]
CREDITS = ["Creative Commons", "U.S. Army photo by Sgt. Dana Reyes", "DVIDS",
           "Wikimedia Commons", "Shutterstock", "U.S. Navy", "Ministry of Defence handout",
           "Author’s photo", "U.S. Air Force photo by Staff Sgt. Ken Marlow"]

TAGS = ["NATO", "Pentagon Budget", "Taiwan", "Ukraine", "Hypersonic Weapons", "Drones",
        "Shipbuilding", "Munitions", "Readiness", "Arms Control", "Congress", "Deterrence",
        "Black Sea", "Air Defense", "Industrial Base", "Nuclear Weapons", "Marine Corps",
        "Special Operations", "Electronic Warfare", "Alliances"]

COMMENTERS = [
    ("Walker", "https://walker-on-war.example/"), ("GhostOfPatton", None),
    ("Jacksonian Realist", None), ("Steve from Ohio", None), ("Renée B.", None),
    ("Old Salt", "http://oldsalt-blog.example/"), ("Tanker6", None),
    ("Lt. Col. (ret) Mike", None), ("Café Stratège", "https://cafe-stratege.example/"),
    ("Bo & Sons Hardware", "https://bo-and-sons.example/"), ("Pat O’Malley", None),
    ("Doc_Holliday", None), ("Skeptical Taxpayer", None), ("Pacific Pivot", None),
    ("Marta K.", "https://martak.example/notes/"), ("Ivan the Reasonable", None),
    ("BlueWaterNavy", "http://bluewater.example/"), ("Grunt1987", None), ("History Buff", None),
    ("Jürgen", None), ("Realist in Reno", None), ("Sgt. Rock", None), ("FiscalHawk", None),
    ("Eastern Flank", "https://easternflank.example/"), ("Ann Delacroix", None),
    ("quietcorsair", None), ("Rusty Bucket", None), ("DefenseWonk", "https://defensewonk.example/"),
    ("Joe \"Sixpack\" Miller", None), ("Ex-Navy Nuke", None), ("Kestrel", None),
    ("Lola from Norfolk", None), ("Chief Petty Officer (ret.)", None),
    ("Strategy Nerd", "https://strategy-nerd.example/"), ("Hank", None), ("Maple Leaf", None),
]

OPENERS = [
    "Great piece.", "I have to disagree with the author here.", "Finally someone says it.",
    "This again?", "Spot on.", "Respectfully, the article misses the point.",
    "Served 22 years, and I can tell you this is right.", "Interesting, but incomplete.",
    "Well argued, but I’m not convinced.", "Good article & long overdue.",
    "Thanks for writing this.", "Nonsense.", "Some good points, some bad ones.",
]
COMMENT_BODY = [
    "The {short} was never designed for this kind of fight.",
    "Nobody mentions the maintenance hours per flight hour.",
    "Procurement reform has been promised since the 1980s.",
    "Drones changed everything and the Pentagon still hasn’t noticed.",
    "Ask the Ukrainians what they think of it.",
    "{adversary} has been building faster than we have for a decade.",
    "It’s always about the money & the contractors.",
    "The real bottleneck is shipyards, not designs.",
    "We said the same thing about the last three programs.",
    "As the author says, \"numbers matter\" — but so does quality.",
    "Training is the part nobody wants to pay for.",
    "The {system} will be fine once the software matures.",
    "Congress will fund it anyway because of the jobs.",
    "I worked near this program and the problems are real.",
    "Cost per unit is the only number that matters to me.",
    "A war in {region} would be decided by logistics, period.",
    "The article underrates how fast things change once the shooting starts.",
    "Our allies are quietly buying cheaper alternatives.",
    "Quantity has a quality all its own.",
    "Maybe the answer is fewer bases and more ships.",
]
REPLY_OPENERS = [
    "@{parent} you’re forgetting the logistics tail.", "{parent} is right about the cost.",
    "Source?", "Agree with {parent}.", "That’s exactly what they said about the battleship, {parent}.",
    "@{parent} not sure that follows.", "Couldn’t disagree more, {parent}.",
    "{parent}, read the GAO report before commenting.", "Fair point, {parent}.",
    "Ha! Well said, {parent}.",
]
CLOSERS = ["Just my two cents.", "Time will tell.", "We’ll see.", "Prove me wrong.",
           "Anyway, good discussion.", "", "", "", ""]
AUTHOR_REPLIES = [
    "Thanks for reading. The point I was trying to make is about timing, not whether the {short} works.",
    "Fair criticism. I should have said more about the industrial base.",
    "Good question — the budget documents are vague on exactly that.",
]
PING_BLOGS = [
    ("Defense Digest Roundup", "https://defense-digest.example/2024/weekly-roundup/"),
    ("The Sandbox Notes", "https://sandbox-notes.example/links/"),
    ("Naval Gazing Weekly", "http://naval-gazing.example/?p=412"),
    ("Café Geopolitique", "https://cafe-geopolitique.example/revue/"),
    ("Strategy Links & Reads", "https://strategy-links.example/reads/"),
]


# --------------------------------------------------------------------------- generation

class _Gen:
    def __init__(self, rng: random.Random, ctx: dict):
        self.r = rng
        self.ctx = ctx
        self.deck: list[str] = []

    def fill(self, template: str, **extra) -> str:
        ctx = dict(self.ctx)
        ctx.update(n=self.r.randint(2, 60), pct=self.r.choice([48, 52, 55, 61, 64, 70]),
                   m=self.r.randint(3, 12), year=self.r.randint(2019, 2027))
        ctx.update(extra)
        return template.format(**ctx)

    def paragraph(self, k_min=3, k_max=5) -> str:
        picks = []
        for _ in range(self.r.randint(k_min, k_max)):
            if not self.deck:
                self.deck = list(SENTENCES)
                self.r.shuffle(self.deck)
            picks.append(self.deck.pop())
        return " ".join(self.fill(s) for s in picks)


def _topic(rng: random.Random) -> dict:
    system, short, service, country, cat = rng.choice(SYSTEMS)
    return {
        "system": system, "short": short, "service": service, "country": country,
        "cat": cat,
        "adversary": rng.choice([a for a in ADVERSARIES if a != country]),
        "region": rng.choice(REGIONS), "capital": rng.choice(CAPITALS),
        "rank": rng.choice(RANKS),
    }


def _blocks(g: _Gen, theme: str) -> list[tuple[str, str]]:
    r = g.r
    out: list[tuple[str, str]] = []
    n_p = r.randint(6, 9)
    heading_at = set(r.sample(range(2, n_p), 2 if theme != "classic" else r.randint(0, 1)))
    list_at = r.randrange(3, n_p) if theme == "gutenberg" or r.random() < 0.15 else -1
    quote_at = r.randrange(2, n_p) if theme != "fortyfive" and r.random() < 0.6 else -1
    headings = r.sample(HEADINGS, 2)
    for i in range(n_p):
        if i in heading_at:
            tag = "h3" if theme == "classic" or (theme == "gutenberg" and r.random() < 0.3) else "h2"
            out.append((tag, g.fill(headings.pop())))
        out.append(("p", g.paragraph()))
        if i == list_at:
            for item in r.sample(LIST_ITEMS, r.randint(3, 4)):
                out.append(("li", g.fill(item)))
        if i == quote_at:
            out.append(("blockquote", r.choice(QUOTES)))
    return out


def _comment_tree(g: _Gen, article: Article, n_top: int, deep: int | None,
                  ping_count: int, max_total: int = 99, bushy: bool = False) -> list[Comment]:
    r = g.r
    start = article.published
    nodes: list[dict] = []   # each: posted_at, author, url, paras, kind, children, post_author

    def make(parent: dict | None, when: datetime) -> dict:
        if parent is not None and r.random() < 0.08:
            a = article.authors[0]
            paras = [g.fill(r.choice(AUTHOR_REPLIES))]
            return {"at": when, "author": a.name, "url": None, "paras": paras,
                    "kind": "comment", "children": [], "post_author": a.slug}
        name, url = r.choice(COMMENTERS)
        if parent is not None and name == parent["author"]:
            name, url = COMMENTERS[(COMMENTERS.index((name, url)) + 1) % len(COMMENTERS)]
        paras = []
        for p in range(r.choice([1, 1, 1, 2, 2, 3])):
            bits = []
            if p == 0:
                if parent is not None and r.random() < 0.7:
                    bits.append(g.fill(r.choice(REPLY_OPENERS), parent=parent["author"]))
                elif r.random() < 0.6:
                    bits.append(r.choice(OPENERS))
            bits += [g.fill(s) for s in r.sample(COMMENT_BODY, r.randint(1, 2))]
            if p == 0 and r.random() < 0.3:
                bits.append(r.choice(CLOSERS))
            paras.append(" ".join(b for b in bits if b))
        return {"at": when, "author": name, "url": url, "paras": paras, "kind": "comment",
                "children": [], "post_author": None}

    total = 0

    def grow(node: dict, depth: int, force: int = 0) -> None:
        nonlocal total
        if depth >= 6:
            return
        if bushy:
            weights = [1, 3, 2, 1] if depth < 3 else [5, 3, 1, 0]
        else:
            weights = [5, 3, 1.2, 0.4] if depth < 3 else [7, 2, 0.5, 0]
        k = r.choices([0, 1, 2, 3], weights=weights)[0]
        if force > depth:
            k = max(k, 1)
        for j in range(k):
            if total >= max_total:
                return
            child = make(node, _safe(node["at"] + timedelta(minutes=r.randint(4, 2880))))
            total += 1
            node["children"].append(child)
            grow(child, depth + 1, force if j == 0 else 0)
        node["children"].sort(key=lambda n: n["at"])

    tops = []
    for t in range(n_top):
        if total >= max_total:
            break
        when = _safe(start + timedelta(minutes=r.randint(10, 60 * 24 * 12)))
        node = make(None, when)
        total += 1
        tops.append(node)
    for t, node in enumerate(tops):
        grow(node, 1, deep if (deep and t == 0) else 0)
    for _ in range(ping_count):
        blog, url = r.choice(PING_BLOGS)
        when = _safe(start + timedelta(minutes=r.randint(30, 60 * 24 * 5)))
        kind = "trackback" if r.random() < 0.25 else "pingback"
        para = (f"[…] {g.fill(r.choice(SENTENCES))} Read the full piece at {SITE_NAME}. […]")
        tops.append({"at": when, "author": blog, "url": url, "paras": [para], "kind": kind,
                     "children": [], "post_author": None})
    tops.sort(key=lambda n: n["at"])

    flat: list[tuple[dict, dict | None, int]] = []

    def walk(node, parent, depth):
        flat.append((node, parent, depth))
        for ch in node["children"]:
            walk(ch, node, depth + 1)

    for node in tops:
        walk(node, None, 1)
    # WordPress ids grow with time: rank all comments of the post by posting time.
    order = sorted(range(len(flat)), key=lambda i: (flat[i][0]["at"], i))
    ids = {}
    for rank, i in enumerate(order):
        ids[id(flat[i][0])] = article.post_id * 100 + rank + 1
    out = []
    for node, parent, depth in flat:
        out.append(Comment(
            id=ids[id(node)], parent_id=ids[id(parent)] if parent is not None else None,
            author=node["author"], author_url=node["url"], posted_at=node["at"],
            paragraphs=node["paras"], depth=depth, kind=node["kind"],
            post_author=node["post_author"]))
    return out


def _article(i: int, seed: int, published: datetime, cats: dict[str, Category], *,
             key: str | None = None, theme: str | None = None,
             post_id: int | None = None) -> Article:
    r = random.Random(key or f"{seed}:article:{i}")
    theme = theme or THEMES[(i // 3) % 3]
    ctx = _topic(r)
    g = _Gen(r, ctx)
    title = g.fill(r.choice(TITLES))
    authors = [r.choice(AUTHORS)]
    if theme == "fortyfive" and (i in TWO_AUTHORS or r.random() < 0.3):
        authors.append(r.choice([a for a in AUTHORS if a != authors[0]]))
    post_id = post_id or 90000 - 13 * i
    modified = None
    if theme != "classic":
        modified = _safe(published + timedelta(minutes=r.choice([0, 35, 240, 1500, 9000, 40000])))
    tags = r.sample(TAGS, r.randint(2, 4))
    tags.insert(r.randint(0, len(tags)), ctx["system"])
    art = Article(
        index=i, post_id=post_id, slug=slugify(title)[:70].strip("-"), theme=theme,
        title=title,
        subtitle=r.choice(SUBTITLES) if theme == "fortyfive" and r.random() < 0.7 else None,
        authors=authors, published=published, modified=modified,
        category=cats[ctx["cat"]], tags=tags, blocks=_blocks(g, theme),
        rest_api=theme in REST_THEMES, head_shortlink=i >= 36,
    )
    # images
    ym = f"{published.year:04d}/{published.month:02d}"
    base = slugify(ctx["system"])
    art.images.append(Image(
        file=f"{ym}/{base}-{post_id}.jpg", alt=g.fill(r.choice(ALTS)),
        caption=g.fill(r.choice(CAPTIONS)), credit=r.choice(CREDITS), is_lead=True,
        attachment_id=post_id + 1))
    if i in INLINE_IMAGE or r.random() < 0.3:
        ps = [k for k, (t, _) in enumerate(art.blocks) if t == "p"]
        art.images.append(Image(
            file=f"{ym}/{base}-{post_id}-2.jpg", alt=g.fill(r.choice(ALTS)),
            caption=g.fill(r.choice(CAPTIONS)),
            credit=r.choice(CREDITS) if r.random() < 0.6 else None, is_lead=False,
            attachment_id=post_id + 2, after_block=ps[len(ps) // 2]))
    # comments
    n_top, cpp, ping = r.randint(3, 8), None, (r.randint(1, 2) if r.random() < 0.3 else 0)
    if i == PAGINATED_2:
        n_top, cpp, ping = 13, 8, 2
    elif i == PAGINATED_3:
        n_top, cpp, ping = 15, 6, 1
    elif i >= 36 and theme != "gutenberg" and r.random() < 0.03:
        n_top, cpp = r.randint(12, 20), 8
    if i == NO_COMMENTS:
        n_top, ping = 0, 0
    elif i == ONE_COMMENT:
        n_top, ping = 1, 0
    deep = DEEP.get(i) or (5 if r.random() < 0.1 else None)
    if i == BIG_THREAD:
        comments = _comment_tree(g, art, BIG_THREAD_TOPS, 6, BIG_THREAD_PINGS, max_total=400,
                                 bushy=True)
        cpp = BIG_THREAD_PER_PAGE
        art.cpage_served = True
    elif i == DISQUS:
        comments = []
        art.comments_system = "disqus"
        art.disqus_shortname = DISQUS_SHORTNAME
    else:
        comments = _comment_tree(g, art, n_top, deep, ping)
    if i == ONE_COMMENT:
        comments = comments[:1]
    art.comments = comments
    art.comments_per_page = cpp if cpp and _n_pages(comments, cpp) > 1 else None
    return art


def _n_pages(comments: list[Comment], cpp: int) -> int:
    tops = sum(1 for c in comments if c.depth == 1)
    return max(1, -(-tops // cpp))


def _make_draft(a: Article) -> None:
    a.title = ""
    a.subtitle = None
    a.blocks = []
    a.images = []
    a.comments = []
    a.comments_per_page = None
    a.tags = []
    a.links = []
    a.authors = a.authors[:1]
    a.slug = f"draft-{a.post_id}"
    a.expect_invalid = True


def build_site(n_articles: int = 36, seed: int = 7, day: int = 0) -> SiteData:
    """The site as it stands on ``day`` (0 = the default; see SPEC.md, "The next day")."""
    if n_articles < 1 or n_articles > 6000:
        raise ValueError("n_articles must be between 1 and 6000")
    if not 0 <= day <= MAX_DAY:
        raise ValueError(f"day must be between 0 and {MAX_DAY}")
    target_day = day
    cats = {c.slug: c for c in CATEGORIES}
    dr = random.Random(f"{seed}:dates")
    day0 = datetime(2025, 6, 27, tzinfo=TZ)
    articles: list[Article] = []
    offset = 0.0
    for i in range(n_articles):
        day = (day0 - timedelta(days=int(offset))).replace(
            hour=dr.randint(6, 18), minute=dr.randrange(0, 60))
        offset += dr.uniform(0.6, 1.6)
        articles.append(_article(i, seed, _safe(day), cats))
        if i == DRAFT:
            _make_draft(articles[-1])
    # unique slugs (WordPress appends -2, -3 ...); walked newest first so that the
    # first articles do not depend on n_articles
    seen: dict[str, int] = {}
    for a in articles:
        if a.slug in seen:
            seen[a.slug] += 1
            a.slug = f"{a.slug}-{seen[a.slug]}"
        else:
            seen[a.slug] = 1
    valid = [a for a in articles if not a.expect_invalid]
    # promos and inline links need every article's final path
    for a in articles:
        if a.expect_invalid:
            continue
        r = random.Random(f"{seed}:links:{a.index}")
        # Promos point at recent (newer) posts, as editors update them; the very first
        # posts use the next few older ones.  Independent of n_articles when n >= 7.
        lo = max(0, a.index - 30)
        pool = [b for b in valid[lo:a.index + 1] if lo <= b.index < a.index]
        if len(pool) < 2:
            pool = [b for b in valid if a.index < b.index <= a.index + 6] or \
                [b for b in valid if b.index != a.index]
        ps = [k for k, (t, _) in enumerate(a.blocks) if t == "p"]
        if a.theme in ("fortyfive", "gutenberg") and pool:
            label = "MORE" if a.theme == "fortyfive" else "Related"
            k = 1 if a.theme == "gutenberg" else r.choice([1, 2, 2])
            targets = r.sample(pool, min(k, len(pool)))
            spots = sorted(r.sample(ps[1:-1], len(targets)))
            for t, spot in zip(targets, spots):
                a.promos.append(Promo(label, t.index, t.path, t.title, spot))
        if a.index == RETIRED_LINKER:
            k = ps[2]
            text = "Our first look at this program is still worth reading."
            a.blocks[k] = (a.blocks[k][0], a.blocks[k][1] + " " + text)
            a.links.append(InlineLink(k, "first look at this program", RETIRED_PATH))
        elif pool and r.random() < 0.35:
            k = r.choice(ps)
            t = r.choice(pool)
            text = "We made a similar argument in an earlier column."
            a.blocks[k] = (a.blocks[k][0], a.blocks[k][1] + " " + text)
            a.links.append(InlineLink(k, "an earlier column", t.path))
        if r.random() < 0.15:
            k = r.choice(ps)
            text = "The latest budget request runs to several thousand pages."
            a.blocks[k] = (a.blocks[k][0], a.blocks[k][1] + " " + text)
            a.links.append(InlineLink(k, "latest budget request",
                                      "https://budget-office.example/fy-request/"))
    for d in range(1, target_day + 1):
        _advance_day(articles, seed, d, cats)
    return SiteData(articles=articles, authors=list(AUTHORS), categories=list(CATEGORIES),
                    seed=seed, day=target_day, n_articles=n_articles)


# --------------------------------------------------------------------------- the next day

DAY_REPLY_TEXTS = [
    "Coming back to this a day later: {parent} has a point, but the budget numbers still don’t add up.",
    "@{parent} the new GAO report out this week says much the same thing.",
    "Late to the thread, but {parent} is right that logistics decide these things.",
    "Agree with {parent}. The program office has been saying this quietly for years.",
    "{parent}, I reread the article after your comment and I think we are both half right.",
]
DAY_TOP_TEXTS = [
    "Found this through a newsletter. Still the best summary of the problem I have read.",
    "The comment section here is better than most think-tank reports & cheaper too.",
    "Bookmarking this one. The section on maintenance deserves its own article.",
]
EDIT_NOTE = "Edit: I misread the procurement figures; the point about readiness stands."
UPDATE_NOTE = ("Update, June 28, 2025: This article has been updated with the latest budget "
               "figures and a response from the program office.")


def day_clock(day: int) -> datetime:
    """“Now” on ``day``: 8:00 am in the site zone (the server's fixed Date is this time)."""
    return DAY0_CLOCK + timedelta(days=day)


def _event_time(day: int, hours: float) -> datetime:
    return _safe(day_clock(day - 1) + timedelta(hours=hours))


def _touch(a: Article, when: datetime) -> None:
    """A comment changed at ``when``: lastmod moves to it, and always forward (some
    day-0 dates lie after day 0's clock, so "forward" can mean a minute later)."""
    a.activity = max(when, a.lastmod + timedelta(minutes=1))


def _new_comment(r: random.Random, a: Article, parent: Comment | None, when: datetime,
                 texts: list[str]) -> Comment:
    """Add a comment to ``a`` the way WordPress would: a new, larger id; posted after
    everything already in the thread; a reply right after its parent's subtree."""
    cid = max([a.post_id * 100 + 500] + [c.id for c in a.comments]) + 1
    latest = max((c.posted_at for c in a.comments), default=when)
    posted = _safe(max(when, latest + timedelta(minutes=7)))
    name, url = r.choice(COMMENTERS)
    if parent is not None and name == parent.author:
        name, url = COMMENTERS[(COMMENTERS.index((name, url)) + 1) % len(COMMENTERS)]
    text = r.choice(texts).format(parent=parent.author if parent else "")
    c = Comment(id=cid, parent_id=parent.id if parent else None, author=name, author_url=url,
                posted_at=posted, paragraphs=[text], depth=parent.depth + 1 if parent else 1)
    if parent is None:
        a.comments.append(c)
    else:
        k = a.comments.index(parent) + 1
        while k < len(a.comments) and a.comments[k].depth > parent.depth:
            k += 1
        a.comments.insert(k, c)
    _touch(a, posted)
    return c


def _first_top_of_last_page(a: Article) -> Comment:
    return next(c for c in a.comment_pages()[-1] if c.depth == 1 and not c.is_ping)


def _advance_day(articles: list[Article], seed: int, day: int, cats: dict[str, Category]) -> None:
    """Apply the changes of ``day`` (>= 1) to the articles of ``day - 1``, in place."""
    r = random.Random(f"{seed}:day:{day}")
    by_index = {a.index: a for a in articles}
    if day == 1:
        for k, i in enumerate(DAY1_REPLIES):
            a = by_index.get(i)
            if a is None or a.expect_invalid or not a.real_comments:
                continue
            if a.comments_per_page:
                parent = _first_top_of_last_page(a)          # lands on the last comment page
            else:
                parent = max((c for c in a.real_comments if c.depth <= 4),
                             key=lambda c: (c.posted_at, c.id))
            _new_comment(r, a, parent, _event_time(day, 3 + k), DAY_REPLY_TEXTS)
        big = by_index.get(BIG_THREAD)
        if big is not None and big.comments_per_page:
            _new_comment(r, big, None, _event_time(day, 7), DAY_TOP_TEXTS)
        a = by_index.get(EDITED_COMMENT)
        if a is not None and a.real_comments:
            c = next(c for c in a.real_comments if c.depth == 1)
            c.paragraphs = c.paragraphs + [EDIT_NOTE]
            _touch(a, _event_time(day, 9))
        a = by_index.get(DELETED_COMMENT)
        if a is not None:
            parents = {c.parent_id for c in a.comments}
            leaf = next((c for c in reversed(a.comments) if not c.is_ping and c.depth >= 2
                         and c.id not in parents and not c.post_author), None)
            if leaf is not None:
                a.comments.remove(leaf)
                _touch(a, _event_time(day, 10))
        a = by_index.get(EDITED_ARTICLE)
        if a is not None and not a.expect_invalid:
            a.blocks = a.blocks + [("p", UPDATE_NOTE)]
            a.modified = _safe(max(_event_time(day, 10.5), a.lastmod + timedelta(minutes=30)))
        _publish_day_article(articles, seed, day, cats)
    else:
        a = by_index.get(DAILY_REPLY)
        if a is not None and a.real_comments:
            newest = max(a.real_comments, key=lambda c: (c.posted_at, c.id))
            _new_comment(r, a, newest if newest.depth < 6 else None, _event_time(day, 4),
                         DAY_REPLY_TEXTS)
        if day == 2:
            fresh = next((a for a in articles if a.published_day == 1), None)
            if fresh is not None:
                _new_comment(r, fresh, None, _event_time(day, 2), DAY_TOP_TEXTS)


def _publish_day_article(articles: list[Article], seed: int, day: int,
                         cats: dict[str, Category]) -> Article:
    """The article published on ``day`` (gutenberg, REST on, no comments yet); appended
    to ``articles`` (its index is its position), listed first."""
    published = _event_time(day, 8 + 1 / 3)
    a = _article(len(articles), seed, published, cats, key=f"{seed}:day-article:{day}",
                 theme="gutenberg", post_id=90000 + 13 * day)
    a.modified = published
    a.comments = []
    a.comments_per_page = None
    a.head_shortlink = True
    a.published_day = day
    slugs = {b.slug for b in articles}
    base, k = a.slug, 1
    while a.slug in slugs:
        k += 1
        a.slug = f"{base}-{k}"
    r = random.Random(f"{seed}:day-links:{day}")
    pool = [b for b in articles if not b.expect_invalid and not b.published_day][:6]
    ps = [k for k, (t, _) in enumerate(a.blocks) if t == "p"]
    if pool:
        t = r.choice(pool)
        a.promos.append(Promo("Related", t.index, t.path, t.title, r.choice(ps[1:-1])))
    articles.append(a)
    return a


# --------------------------------------------------------------------------- ground truth

def _comment_record(c: Comment) -> dict:
    return {
        "id": str(c.id),
        "parent_id": str(c.parent_id) if c.parent_id is not None else None,
        "author": c.author,
        "author_url": c.author_url,
        "posted_at": iso(c.posted_at),
        "text": c.text,
        "depth": c.depth,
        "by_post_author": c.post_author is not None,   # the bypostauthor class / REST author
    }


def expected_record(article: Article, base_url: str, comment_page: int | None = None,
                    with_comments_system: bool = False) -> dict:
    """The page record (docs/contracts.md) a correct extractor returns for ``article``.

    ``comment_page=None``: the merged record (all comment pages), as the spider yields it.
    ``comment_page=N``: what ``extract_page`` returns for comment page N alone (adds
    ``comment_page`` and ``comment_pages``; comments of that page only).
    ``site``, ``sources`` and ``body_html`` are not included.
    ``post_id``, ``api_root``, ``comments_system`` ('wordpress' for a native thread, whose
    reply form every article shows, or 'disqus') and ``comments_thread_id`` (the Disqus
    identifier, else None) are always included; ``with_comments_system`` is accepted for
    older callers and changes nothing. Comments carry ``by_post_author``.
    """
    base_url = base_url.rstrip("/")
    pages = article.comment_pages()
    if comment_page is None:
        shown = article.comments
        url = article.permalink(base_url)
    else:
        if not 1 <= comment_page <= len(pages):
            raise ValueError(f"article has {len(pages)} comment page(s)")
        shown = pages[comment_page - 1]
        url = article.comment_page_url(base_url, comment_page)
    real = [c for c in shown if not c.is_ping]
    declared = len(article.comments) or None
    body = "\n\n".join(text for _, text in article.blocks) or None
    rec = {
        "url": url,
        "canonical_url": article.permalink(base_url),
        "page_type": "article",
        "title": article.title or None,
        "subtitle": article.subtitle,
        "section": article.section,
        "tags": list(article.tags),
        "authors": [{"name": a.name, "url": a.url(base_url), "bio": a.bio} for a in article.authors],
        "published_at": iso(article.published),
        "modified_at": iso(article.modified),
        "body_text": body,
        "images": [{"src": im.src(base_url), "alt": im.alt, "caption": im.caption,
                    "credit": im.credit, "is_lead": im.is_lead} for im in article.images],
        "related_links": [{"url": base_url + p.target_path, "text": p.target_title,
                           "label": p.label} for p in article.promos],
        "comments": [_comment_record(c) for c in real],
        "comment_count": len(real),
        "pingback_count": len(shown) - len(real),
        "declared_comment_count": declared,
        "language": LANGUAGE,
    }
    if comment_page is not None:
        n = comment_page
        linked = []
        if n > 1:
            linked.append(article.comment_page_url(base_url, n - 1))
        if n < len(pages):
            linked.append(article.comment_page_url(base_url, n + 1))
        rec["comment_page"] = n
        rec["comment_pages"] = linked
    # Every article page shows a comment system: the native thread's reply form, or Disqus.
    rec["post_id"] = str(article.post_id)
    rec["api_root"] = base_url + "/wp-json/"
    rec["comments_system"] = article.comments_system or "wordpress"
    rec["comments_thread_id"] = article.disqus_identifier(base_url)
    return rec


# --------------------------------------------------------------------------- the REST view

REST_PER_PAGE = 10
REST_MAX_PER_PAGE = 100


def author_user_id(slug: str) -> int:
    """The WordPress user id of a staff author (1-based position in AUTHORS)."""
    return next(k for k, a in enumerate(AUTHORS, 1) if a.slug == slug)


def category_id(slug: str) -> int:
    return next(k for k, c in enumerate(CATEGORIES, 2) if c.slug == slug)


def _naive(dt: datetime) -> str:
    return dt.replace(tzinfo=None).isoformat(timespec="seconds")


def gmt(dt: datetime) -> str:
    """WordPress's ``date_gmt``: UTC, ISO 8601 without an offset."""
    return _naive(dt.astimezone(ZoneInfo("UTC")))


def rest_comment(article: Article, c: Comment, base_url: str) -> dict:
    """One comment as ``/wp-json/wp/v2/comments`` returns it (JSON-decoded)."""
    base = base_url.rstrip("/")
    api = f"{base}/wp-json/wp/v2"
    page = article.comment_page_of(c.id)
    rendered = "".join(f"<p>{escape(p, quote=False)}</p>\n" for p in c.paragraphs)
    avatar = base + "/wp-content/uploads/avatar-default.png"
    links: dict = {
        "self": [{"href": f"{api}/comments/{c.id}"}],
        "collection": [{"href": f"{api}/comments"}],
        "up": [{"embeddable": True, "post_type": "post", "href": f"{api}/posts/{article.post_id}"}],
    }
    if c.parent_id is not None:
        links["in-reply-to"] = [{"embeddable": True, "href": f"{api}/comments/{c.parent_id}"}]
    return {
        "id": c.id,
        "post": article.post_id,
        "parent": c.parent_id or 0,
        "author": author_user_id(c.post_author) if c.post_author else 0,
        "author_name": c.author,
        "author_url": c.author_url or "",
        "date": _naive(c.posted_at),
        "date_gmt": gmt(c.posted_at),
        "content": {"rendered": rendered},
        "link": f"{article.comment_page_url(base, page)}#comment-{c.id}",
        "status": "approved",
        "type": c.kind,
        "author_avatar_urls": {str(n): avatar for n in (24, 48, 96)},
        "meta": [],
        "_links": links,
    }


def expected_api_comments(article: Article, base_url: str, *, order: str = "asc",
                          type: str = "comment") -> list[dict]:  # noqa: A002 - WordPress's name
    """Every comment of ``article`` as the REST API lists it, all pages concatenated:
    ``/wp-json/wp/v2/comments?post=ID`` (``type`` 'comment' by default, as WordPress:
    pingbacks only with ``type=pingback``, trackbacks with ``type=trackback``), ordered
    by date_gmt then id (``order`` 'asc' or 'desc', WordPress's default being 'desc').
    Classic articles (``rest_api`` False) have the same view, but the server answers 401."""
    cs = sorted((c for c in article.comments if c.kind == type),
                key=lambda c: (c.posted_at, c.id), reverse=order == "desc")
    return [rest_comment(article, c, base_url) for c in cs]


def site_totals(site: SiteData) -> dict:
    arts = site.articles
    comments = [c for a in arts for c in a.comments]
    images = [im for a in arts for im in a.images]
    return {
        "articles": len(arts),
        "valid_articles": sum(1 for a in arts if not a.expect_invalid),
        "comments": sum(1 for c in comments if not c.is_ping),
        "pingbacks": sum(1 for c in comments if c.is_ping),
        "max_comment_depth": max((c.depth for c in comments), default=0),
        "authors": len({au.slug for a in arts for au in a.authors}),
        "images": len(images),
        "images_with_credits": sum(1 for im in images if im.credit),
        "related_links": sum(len(a.promos) for a in arts),
        "paginated_articles": sum(1 for a in arts if a.n_comment_pages > 1),
        "comment_pages": sum(a.n_comment_pages for a in arts),
        "per_theme": {t: sum(1 for a in arts if a.theme == t) for t in THEMES},
    }
