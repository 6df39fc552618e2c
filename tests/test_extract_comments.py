"""Comment threads in the WordPress markup variants of tests/sample_site/SPEC.md and older themes."""
from crawler.extract import comments
from crawler.extract.html import parse_html
from crawler.sites import get_profile

PERMALINK = "http://127.0.0.1:8000/2024/03/05/tank/"
LAYOUT = get_profile("dca-sample").current_layout
NY = "America/New_York"


def run(html, url=PERMALINK):
    doc = parse_html(html)
    found, pings = comments.extract(doc, LAYOUT, url, NY)
    return found, pings, comments.declared_count(doc, LAYOUT), comments.page_links(doc, LAYOUT, url, url)


FORTYFIVE = """<div id="comments" class="comments-area"><h2 class="comments-title">4 thoughts on &ldquo;T&rdquo;</h2>
<ol class="comment-list">
 <li id="comment-123" class="comment even thread-even depth-1 parent">
  <article id="div-comment-123" class="comment-body">
   <footer class="comment-meta"><div class="comment-author vcard"><img class="avatar" alt="" src="/a.png">
     <b class="fn"><a href="http://walker.example/" class="url" rel="ugc external nofollow">Walker</a></b> <span class="says">says:</span></div>
    <div class="comment-metadata"><a href="PERMALINK#comment-123"><time datetime="2023-02-03T18:37:00-05:00">February 3, 2023 at 6:37 pm</time></a></div></footer>
   <div class="comment-content"><p>First  para.</p><p>Second para.</p></div>
   <div class="reply"><a rel="nofollow" class="comment-reply-link" href="?replytocom=123#respond">Reply</a></div>
  </article>
  <ul class="children">
   <li id="comment-124" class="comment odd depth-2 parent"><article id="div-comment-124" class="comment-body">
    <footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Tanker6</b> <span class="says">says:</span></div>
    <div class="comment-metadata"><a href="#comment-124"><time datetime="2023-02-04T08:00:00-05:00">February 4, 2023 at 8:00 am</time></a></div></footer>
    <div class="comment-content"><p>Reply.</p><ul><li>a list inside a comment</li></ul></div></article>
    <ul class="children"><li id="comment-125" class="comment even depth-3"><article id="div-comment-125" class="comment-body">
     <footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Deep</b></div></footer>
     <div class="comment-content"><p>Deeper.</p></div></article></li></ul>
   </li>
  </ul>
 </li>
 <li id="comment-130" class="pingback even thread-odd depth-1"><div class="comment-body">Pingback: <a href="http://elsewhere.example/x" class="url">BLOG</a></div></li>
</ol>
<nav class="navigation comment-navigation"><div class="nav-links"><div class="nav-next"><a href="http://127.0.0.1:8000/2024/03/05/tank/comment-page-2/#comments">Newer Comments</a></div></div></nav>
<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form><p><label>Comment</label><textarea></textarea></p></form></div>
</div>"""


def test_fortyfive_thread():
    found, pings, declared, pages = run(FORTYFIVE)
    assert [(c["id"], c["parent_id"], c["depth"]) for c in found] == [
        ("123", None, 1), ("124", "123", 2), ("125", "124", 3)]
    first = found[0]
    assert first["author"] == "Walker" and first["author_url"] == "http://walker.example/"
    assert first["posted_at"] == "2023-02-03T18:37:00-05:00"
    assert first["text"] == "First para.\n\nSecond para."
    assert found[1]["author"] == "Tanker6" and found[1]["author_url"] is None
    assert found[1]["text"] == "Reply."
    assert found[2]["posted_at"] is None
    assert pings == 1 and declared == 4
    assert pages == ["http://127.0.0.1:8000/2024/03/05/tank/comment-page-2/"]


GUTENBERG = """<div class="wp-block-comments"><h2 class="wp-block-comments-title">2 responses to &ldquo;T&rdquo;</h2>
<ol class="wp-block-comment-template">
 <li id="comment-200" class="comment odd alt thread-odd thread-alt depth-1">
  <div class="wp-block-group"><div class="wp-block-comment-author-name"><a href="http://x.example/" rel="external nofollow ugc">Old Salt</a></div>
   <div class="wp-block-comment-date"><time datetime="2023-02-03T18:37:00-05:00"><a href="#comment-200">February 3, 2023 at 6:37 pm</a></time></div>
   <div class="wp-block-comment-content"><p>Top.</p></div></div>
  <ol class="children"><li id="comment-201" class="comment even depth-2"><div class="wp-block-group">
   <div class="wp-block-comment-author-name">Café Reader</div>
   <div class="wp-block-comment-date"><time datetime="2023-02-05T10:00:00-05:00">x</time></div>
   <div class="wp-block-comment-content"><p>Child.</p></div></div></li></ol>
 </li></ol></div>"""


def test_block_theme_thread():
    found, pings, declared, pages = run(GUTENBERG)
    assert [(c["id"], c["parent_id"], c["author"], c["text"]) for c in found] == [
        ("200", None, "Old Salt", "Top."), ("201", "200", "Café Reader", "Child.")]
    assert found[0]["author_url"] == "http://x.example/" and found[1]["author_url"] is None
    assert declared == 2 and pings == 0 and pages == []


CLASSIC = """<div id="comments"><h3 id="comments-title">One Response to <em>T</em></h3>
<ol class="commentlist">
 <li class="comment even thread-even depth-1" id="li-comment-300"><div id="comment-300">
  <div class="comment-author vcard"><img class="avatar" src="/a.png"><cite class="fn"><a href="http://oldsalt.example/" rel="external nofollow" class="url">Old Salt</a></cite> <span class="says">says:</span></div>
  <div class="comment-meta commentmetadata"><a href="PERMALINK#comment-300">February 3, 2023 at 6:37 pm</a></div>
  <div class="comment-body"><p>Classic text.</p><p>More.</p></div>
  <div class="reply"><a class="comment-reply-link" href="?replytocom=300#respond">Reply</a></div></div>
  <ul class="children"><li class="comment odd depth-2" id="li-comment-301"><div id="comment-301">
   <div class="comment-author vcard"><cite class="fn">Reply Guy</cite> <span class="says">says:</span></div>
   <div class="comment-meta commentmetadata"><a href="#comment-301">March 1, 2023 at 12:05 am</a></div>
   <div class="comment-body"><p>Child.</p></div></div></li></ul>
 </li>
 <li class="post pingback"><p>Pingback: <a href="http://b.example/" class="url">BLOG</a></p></li>
 <li class="post trackback"><p>Trackback: <a href="http://c.example/" class="url">BLOG2</a></p></li>
</ol>
<div class="navigation"><div class="nav-previous"><a href="http://127.0.0.1:8000/2024/03/05/tank/comment-page-1/#comments">&larr; Older Comments</a></div>
<div class="nav-next"><a href="http://127.0.0.1:8000/2024/03/05/tank/comment-page-3/#comments">Newer Comments &rarr;</a></div></div>
</div>"""


def test_classic_thread_with_text_dates():
    url = "http://127.0.0.1:8000/2024/03/05/tank/comment-page-2/"
    found, pings, declared, pages = run(CLASSIC, url)
    assert [(c["id"], c["parent_id"], c["author"], c["depth"]) for c in found] == [
        ("300", None, "Old Salt", 1), ("301", "300", "Reply Guy", 2)]
    assert found[0]["posted_at"] == "2023-02-03T18:37:00-05:00"
    assert found[1]["posted_at"] == "2023-03-01T00:05:00-05:00"
    assert found[0]["text"] == "Classic text.\n\nMore."
    assert pings == 2 and declared == 1
    assert pages == [
        "http://127.0.0.1:8000/2024/03/05/tank/comment-page-1/",
        "http://127.0.0.1:8000/2024/03/05/tank/comment-page-3/",
    ]


LEGACY_SIBLING_CHILDREN = """<h3 id="comments">3 Comments</h3><ol class="commentlist">
 <li class="comment depth-1" id="comment-1"><cite class="comment-author"><a href="http://a.example" class="url">A</a></cite>
  <div class="contenttext"><p>Top.</p><p class="comment-likes">Like</p></div></li>
 <ul class="children"><li class="comment depth-2" id="comment-2"><cite class="comment-author">B</cite><div class="contenttext"><p>Kid.</p></div></li>
  <ul class="children"><li class="comment depth-3" id="comment-3"><cite class="comment-author">C</cite><p>Grandkid.</p></li></ul></ul>
</ol>"""


def test_replies_after_the_closed_li():
    found, _, declared, _ = run(LEGACY_SIBLING_CHILDREN)
    assert [(c["id"], c["parent_id"], c["depth"], c["author"], c["text"]) for c in found] == [
        ("1", None, 1, "A", "Top."), ("2", "1", 2, "B", "Kid."), ("3", "2", 3, "C", "Grandkid.")]
    assert declared == 3


def test_no_comments_at_all():
    assert run("<div id='comments'><div id='respond'><form></form></div></div>") == ([], 0, None, [])


def test_comment_page_urls():
    assert comments.comment_page_number(PERMALINK + "comment-page-3/") == 3
    assert comments.comment_page_number(PERMALINK + "?cpage=2#comments") == 2
    assert comments.comment_page_number(PERMALINK) == 1
    assert comments.strip_comment_page(PERMALINK + "comment-page-3/#comments") == PERMALINK
    assert comments.strip_comment_page("http://x.example/?p=5&cpage=2") == "http://x.example/?p=5"


# -- more markup variants (issue 3), each small and invented ------------------------------
import logging  # noqa: E402

import pytest  # noqa: E402

from crawler.extract import comment_systems, extract_page  # noqa: E402

BERLIN = "Europe/Berlin"


def run_lang(html, tz=NY, languages=None, url=PERMALINK):
    doc = parse_html(html)
    found, pings = comments.extract(doc, LAYOUT, url, tz, languages)
    return found, pings, comments.declared_count(doc, LAYOUT, url, (url,))


UL_DIV_BODY_A_FN = """<div id="comments"><h2 class="comments-title">Comments (2)</h2><ul class="comment-list">
 <li id="comment-41" class="comment byuser comment-author-ed bypostauthor depth-1 parent">
  <div id="div-comment-41" class="comment-body"><div class="comment-author vcard">
   <a class="url fn" href="http://ed.example/" rel="external nofollow">Ed Itor</a> <span class="says">says:</span></div>
   <div class="comment-metadata"><a href="#comment-41"><time datetime="2021-05-06T07:08:00+00:00">May 6</time></a></div>
   <div class="comment-content"><p>From the author.</p></div></div>
  <ul class="children"><li id="comment-42" class="comment depth-2"><div id="div-comment-42" class="comment-body">
   <div class="comment-author vcard"><span class="fn">Kay</span></div>
   <div class="comment-metadata"><a href="#comment-42">May 7, 2021 at 9:15 am</a></div>
   <div class="comment-content"><p>Thanks.</p></div></div></li></ul>
 </li></ul></div>"""


def test_ul_list_div_body_anchor_fn_and_bypostauthor():
    found, pings, declared = run_lang(UL_DIV_BODY_A_FN)
    assert [(c["id"], c["parent_id"], c["author"], c["author_url"], c["by_post_author"]) for c in found] == [
        ("41", None, "Ed Itor", "http://ed.example/", True), ("42", "41", "Kay", None, False)]
    assert found[0]["posted_at"] == "2021-05-06T07:08:00+00:00"
    assert found[1]["posted_at"] == "2021-05-07T09:15:00-04:00"
    assert declared == 2 and pings == 0


WORDPRESS_COM_NO_FN = """<h3 id="comments">3 Comments</h3><ol class="commentlist">
 <li class="comment byuser comment-author-gus even depth-1 highlander-comment" id="comment-901">
  <cite class="comment-author"><img class="avatar" src="/a.png" alt=""> <a href="http://gus.example" class="url">Gus</a></cite>
  <small class="commentmetadata"><a href="#comment-901" title="">May 6, 2021 at 7:08 am</a></small>
  <div class="contenttext"><p>Top line.<br>Second line.</p>
   <p id="comment-like-901" class="comment-likes"><a class="comment-like-link">Like</a> <span class="comment-like-feedback">Liked by 3 people</span></p></div></li>
 <ul class="children"><li class="comment depth-2" id="comment-902"><cite class="comment-author">Ina</cite>
  <small class="commentmetadata"><a href="#comment-902">Jun 20th at 2:41 am</a></small>
  <div class="contenttext"><p>A reply.</p></div></li></ul>
 <li class="comment depth-1" id="comment-903"><div class="contenttext"><p>Nameless, dateless.</p></div></li>
</ol><p class="nocomments">Comments are closed.</p>"""


def test_wordpress_com_theme_without_fn_and_bad_input_kept_with_reasons(caplog):
    with caplog.at_level(logging.WARNING, logger="crawler.extract.comments"):
        found, _, declared = run_lang(WORDPRESS_COM_NO_FN)
    assert [(c["id"], c["parent_id"], c["depth"], c["author"]) for c in found] == [
        ("901", None, 1, "Gus"), ("902", "901", 2, "Ina"), ("903", None, 1, None)]
    assert found[0]["author_url"] == "http://gus.example" and found[0]["text"] == "Top line. Second line."
    assert found[0]["posted_at"] == "2021-05-06T07:08:00-04:00"
    # a date with no year cannot be placed without guessing: null, with the reason logged
    assert found[1]["posted_at"] is None and found[2]["posted_at"] is None and found[2]["text"] == "Nameless, dateless."
    messages = [r.getMessage() for r in caplog.records]
    assert any("comment 902 kept with nulls: unreadable date 'Jun 20th at 2:41 am'" in m for m in messages)
    assert any("comment 903 kept with nulls: no author, no date" in m for m in messages)
    assert declared == 3


GERMAN = """<div id="comments" class="comments-area"><h2 class="comments-title">5 Ergänzungen</h2><ol class="comment-list">
 <li id="comment-7" class="comment depth-1"><article class="comment-body"><footer class="comment-meta">
  <div class="comment-author vcard"><b class="fn">Anna</b> <span class="says">sagt:</span></div>
  <div class="comment-metadata"><a href="#comment-7">Do 1 Aug 2019 / 01:15</a></div></footer>
  <div class="comment-content"><p>Stimmt.</p></div></article></li>
 <li id="comment-8" class="comment depth-1"><article class="comment-body"><footer class="comment-meta">
  <div class="comment-author vcard"><b class="fn">Bert</b> <span class="says">sagt:</span></div>
  <div class="comment-metadata"><a href="#comment-8"><time datetime="23. Juni 2016 um 17:21">23. Juni 2016 um 17:21</time></a></div></footer>
  <div class="comment-content"><p>Nein.</p></div></article></li></ol></div>"""


def test_text_dates_in_german():
    found, _, declared = run_lang(GERMAN, BERLIN, ["de"])
    assert [(c["author"], c["posted_at"]) for c in found] == [
        ("Anna", "2019-08-01T01:15:00+02:00"), ("Bert", "2016-06-23T17:21:00+02:00")]
    assert declared == 5  # the site's claim, beside the 2 on the page


LEGACY_BARE_P_AND_MOVED_FORM = """<div id="comments"><div id="respond-top"></div><h3>Join the Discussion</h3><h3>2 Comments</h3>
<ol class="commentlist">
 <li class="comment depth-1" id="li-comment-51"><div id="comment-51">
  <div class="comment-author vcard"><cite class="fn">Lou</cite> <span class="says">says:</span></div>
  <div class="comment-meta commentmetadata"><a href="#comment-51">December 20, 2016 at 12:37 pm</a></div>
  <p>Bare one.</p><p>Bare two.</p><div class="reply"><a class="comment-reply-link">Reply</a></div></div>
  <div id="respond" class="comment-respond"><h3 id="reply-title">Reply to Lou</h3>
   <form id="commentform"><p class="comment-notes">Your email address will not be published.</p>
   <p class="comment-form-comment"><textarea></textarea></p></form></div>
  <ul class="children"><li class="comment depth-2" id="li-comment-52"><div id="comment-52">
   <div class="comment-author vcard"><cite class="fn">Max</cite></div>
   <div class="comment-meta commentmetadata"><a href="#comment-52">December 21, 2016 at 8:00 am</a></div>
   <p>Loose paragraph.</p></div></li></ul>
 </li></ol></div>"""


def test_bare_paragraphs_and_a_reply_form_moved_into_the_thread():
    found, _, declared = run_lang(LEGACY_BARE_P_AND_MOVED_FORM)
    assert [(c["id"], c["parent_id"], c["text"]) for c in found] == [
        ("51", None, "Bare one.\n\nBare two."), ("52", "51", "Loose paragraph.")]
    assert declared == 2


def test_declared_count_from_this_pages_comments_link_only():
    meta = (f'<div class="entry-meta"><a href="{PERMALINK}#comments">24 Comments</a></div>'
            '<aside><a href="http://other.example/2020/01/01/x/#comments">99 Comments</a></aside>')
    doc = parse_html(meta + '<div id="comments"><h3>Comments</h3><ol class="comment-list"></ol></div>')
    assert comments.declared_count(doc, LAYOUT, PERMALINK, (PERMALINK,)) == 24
    teaser_only = parse_html('<aside><a href="http://other.example/2020/01/01/x/#comments">99 Comments</a></aside>')
    assert comments.declared_count(teaser_only, LAYOUT, PERMALINK, (PERMALINK,)) is None


# -- comment systems, post id, API root ------------------------------------------------------
def systems(html, native_comments=False):
    doc = parse_html(html)
    return comment_systems.detect(doc, native_comments, bool(comments.top_lists(doc, LAYOUT)))


@pytest.mark.parametrize("html, expected", [
    ("<div id='disqus_thread'></div><script>var disqus_config = function () { this.page.url = 'u';"
     " this.page.identifier = '12 http://x.example/?p=12'; };</script>", ("disqus", "12 http://x.example/?p=12")),
    ("<div id='disqus_thread'></div><script>var disqus_shortname = 'x'; var disqus_identifier = \"post-\\u00e9\";</script>",
     ("disqus", "post-\u00e9")),
    ("<script>var embedVars = {\"disqusIdentifier\":\"7 https:\\/\\/x.example\\/?p=7\"};</script>"
     "<script src='https://x.disqus.com/embed.js'></script>", ("disqus", "7 https://x.example/?p=7")),
    ("<div id='disqus_thread'></div>", ("disqus", None)),
    ("<div class='fb-comments' data-href='http://x.example/a/' data-numposts='5'></div>", ("facebook", "http://x.example/a/")),
    ("<div id='coral_thread'></div><script>Coral.createStreamEmbed({ id: 'coral_thread', storyID: 'abc-1',"
     " storyURL: 'http://x.example/a/' });</script>", ("coral", "abc-1")),
    ("<script async src='https://launcher.spot.im/spot/sp_X' data-spotim-module='spotim-launcher'></script>"
     "<div data-spotim-module='conversation' data-post-id='p-9'></div>", ("openweb", "p-9")),
    ("<section class='comments-openweb'></section><script>var commentsData = {\"spotId\":\"sp_1\",\"postId\":\"44\"};</script>",
     ("openweb", "44")),
    ("<hyvor-talk-comments website-id='1' page-id='post-5'></hyvor-talk-comments>", ("hyvor", "post-5")),
    ("<div id='commento'></div><script src='https://cdn.commento.io/js/commento.js' data-page-id='/a/'></script>",
     ("commento", "/a/")),
    ("<meta name='vf:container_id' content='c-1'><div class='viafoura'><vf-conversations></vf-conversations></div>",
     ("viafoura", "c-1")),
    ("<aside id='comments' data-options='{\"network\":\"x.fyre.co\",\"articleId\":\"A1\"}'></aside>", ("livefyre", "A1")),
    ("<div id='respond'><form id='commentform'></form></div>", ("wordpress", None)),
    ("<p>No comments anywhere.</p><script src='https://x.disqus.com/count.js'></script>", (None, None)),
])
def test_comment_systems(html, expected):
    assert systems(html) == expected


def test_native_comments_win_over_an_embed():
    assert systems("<div class='fb-comments'></div><ol class='comment-list'></ol>", native_comments=True) == ("wordpress", None)
    assert systems("<div id='disqus_thread'></div><ol class='comment-list'></ol>") == ("disqus", None)


@pytest.mark.parametrize("html, expected", [
    ("<body class='single postid-77'><article id='post-5'></article></body>", "77"),
    ("<head><link rel='shortlink' href='http://x.example/?p=78'></head><body></body>", "78"),
    ("<head><link rel='shortlink' href='https://wp.me/p4ZCSs-pj'></head><body><article id='post-79'></article></body>", "79"),
    ("<body><form><input type='hidden' name='comment_post_ID' value='80'></form></body>", "80"),
    ("<body><div id='post-box'></div></body>", None),
])
def test_post_id(html, expected):
    assert comment_systems.post_id(parse_html(html)) == expected


def test_api_root():
    doc = parse_html("<head><link rel='https://api.w.org/' href='/wp-json/'></head>")
    assert comment_systems.api_root(doc, "http://x.example/a/") == "http://x.example/wp-json/"
    assert comment_systems.api_root(parse_html("<p>x</p>"), "http://x.example/") is None


@pytest.mark.parametrize("cls", ["viafoura", " x\tviafoura\n", "x\xa0viafoura", "viafoura-x", "Viafoura", "vf-conversations y"])
def test_class_check_from_the_index_is_the_selectors_answer(cls):
    from crawler.extract.html import css, has_any_class, indexed

    doc = parse_html(f"<body><div class='{cls}'></div><p class='viafourax'></p></body>")
    walked = bool(css(doc, ".viafoura, .vf-conversations"))
    with indexed(doc):
        assert has_any_class(doc, ("viafoura", "vf-conversations")) == walked


@pytest.mark.parametrize("code", [
    "var xid = 'no'; id: 'yes'", "HYVOR_TALK_CONFIG = {id: 'a\\'b'}", "postId='1' postId = \"2\"",
    "mypostId = '1'; postId: '2'", "postIdx = '1'", "",
])
def test_js_value_search_is_the_patterns_search(code):
    for value in (comment_systems._HYVOR_ID, comment_systems._OPENWEB_POST_ID, comment_systems._DISQUS_PAGE_ID):
        expected = value.pattern.search(code)
        got = value.search(code)
        assert (got and (got.span(), got.group("v"))) == (expected and (expected.span(), expected.group("v")))


# -- the sample site's Disqus article and big thread ----------------------------------------
def test_sample_disqus_and_big_thread_records():
    data = pytest.importorskip("tests.sample_site.data")
    render = pytest.importorskip("tests.sample_site.render").render
    from crawler.extract import merge_comment_pages

    base, site = "http://127.0.0.1:8765", data.build_site(38)
    profile = get_profile("dca-sample")
    for article in (site.articles[data.DISQUS], site.articles[data.BIG_THREAD]):
        pages = []
        for n in range(1, article.n_comment_pages + 1):
            page = render(site, article.comment_page_path(n), base)
            pages.append(extract_page(base + article.comment_page_path(n), page.body,
                                      content_type=page.content_type, profile=profile))
        got, want = merge_comment_pages(pages), data.expected_record(article, base)
        assert {k: got[k] for k in want} == want, article.index
    assert got["comment_count"] >= 250 and len(pages) == 5


def _slash_thread(*dates):
    items = "".join(
        f'<li id="comment-{i}" class="comment depth-1"><article class="comment-body"><footer class="comment-meta">'
        f'<div class="comment-author vcard"><b class="fn">R{i}</b></div><div class="comment-metadata">'
        f'<a href="#comment-{i}">{d}</a></div></footer><div class="comment-content"><p>t</p></div></article></li>'
        for i, d in enumerate(dates, 1))
    return f'<div id="comments"><ol class="comment-list">{items}</ol></div>'


@pytest.mark.parametrize("dates, language, first", [
    (("14/04/2020 at 3:00 pm", "09/06/2020 at 1:53 pm"), "en-US", "2020-06-09"),  # 14/04 reads one way only
    (("04/14/2020 at 3:00 pm", "09/06/2020 at 1:53 pm"), "en-GB", "2020-09-06"),  # 04/14 too
    (("09/06/2020 at 1:53 pm",), "en-GB", "2020-06-09"),                          # ambiguous: the locale
    (("09/06/2020 at 1:53 pm",), "en-US", "2020-09-06"),
    (("09/06/2020 at 1:53 pm",), None, "2020-09-06"),
])
def test_numeric_dates_day_or_month_first(dates, language, first):
    doc = parse_html(_slash_thread(*dates))
    found, _ = comments.extract(doc, LAYOUT, PERMALINK, "UTC", ["en"], language)
    assert found[-1]["posted_at"][:10] == first
