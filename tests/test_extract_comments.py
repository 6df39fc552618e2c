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
