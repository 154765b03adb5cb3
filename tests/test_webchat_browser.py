"""The web chat in a real headless Chromium (Debian's ``chromium``; ``.ci/run`` installs it),
driven by Playwright's Python API with that executable, so no browser is downloaded. One
browser and one ``kcbot serve`` for the module; each test gets a fresh browser context (its own
sessionStorage), as a new visitor would. ``KCBOT_CHROMIUM`` names another Chromium binary.
The municipality's page that embeds the chat is a second origin on loopback (a real one: a
page from a made-up public host may not load scripts from loopback, Private Network Access).

``KCBOT_UPDATE_SCREENSHOTS=1`` rewrites the PNGs in ``tests/screenshots/``, which are kept to be
compared by eye; otherwise the screenshots go to the test's temporary folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.servers import Server, running
from tests.test_rest import NOW

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
AXE = HERE / "axe" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
SECRET = "portalens-hemmelighed-til-test-0123456789"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)


def chromium_path() -> str:
    for candidate in (os.environ.get("KCBOT_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    raise RuntimeError("Chromium mangler: installér Debians pakke (apt-get install -y chromium), "
                       "eller sæt KCBOT_CHROMIUM. .ci/run gør det selv.")


class MunicipalityPage(BaseHTTPRequestHandler):
    """The municipality's own site, another origin on loopback, with the one script tag."""

    chat_url = ""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = ('<!doctype html><html lang="da"><head><title>Kommunen</title>'
                f'<script src="{self.chat_url}/chat/embed.js" defer></script></head>'
                '<body><main><h1>Kommunens side</h1></main></body></html>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def municipality() -> Iterator[ThreadingHTTPServer]:
    site = ThreadingHTTPServer(("127.0.0.1", 0), MunicipalityPage)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield site
    site.shutdown()
    site.server_close()


def site_url(site: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{site.server_address[1]}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           municipality: ThreadingHTTPServer) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("webchat-browser")
    db = folder / "chat.sqlite3"
    env = {"KCBOT_IDENTITY_SECRET": SECRET, "KCBOT_CHAT_ORIGINS": site_url(municipality),
           "KCBOT_CONFIG_DIR": str(folder / "config")}
    with running(["-m", "kcbot", "serve", "--db", str(db), *NOW], folder, "/health",
                 env=env) as srv:
        MunicipalityPage.chat_url = srv.url
        yield srv, db


@pytest.fixture(scope="module")  # the only module that uses it: one browser per test run
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 800, "height": 900}, locale="da-DK")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors the tests cause on purpose: dropped connections, and the CSP report when
    # the markup test tries an HTML string (a real one in the page's code is a pageerror too).
    expected = ("ERR_", "Failed to load", "requires 'TrustedHTML' assignment")
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not any(e in m.text for e in expected) else None)
    yield page
    context.close()
    assert not errors, errors


def url(server) -> str:
    return server[0].url + "/chat/"


def bot(page: Page):
    return page.locator("#log .msg-bot")


def write(page: Page, text: str) -> None:
    page.locator("#input").fill(text)
    page.locator("#input").press("Enter")


def wait_for_bot(page: Page, words: str) -> None:
    """Until the answer has come and one of the bot's messages says ``words``."""
    expect(page.locator("#typing")).to_have_text("")
    expect(bot(page).filter(has_text=words)).not_to_have_count(0)


def sender(page: Page) -> str:
    return page.evaluate("JSON.parse(sessionStorage.getItem('kcbot.chat.v1')).session.sender")


def store(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql, args).fetchall()


def user_turns(db: Path, who: str) -> list[str]:
    return [text for (text,) in store(
        db, "SELECT t.text FROM turns t JOIN conversations c ON c.id = t.conversation_id "
            "WHERE c.sender = ? AND t.speaker = 'user' ORDER BY t.seq", who)]


def test_an_afbud_by_clicking_and_typing_is_registered(page: Page, server) -> None:
    page.goto(url(server))
    expect(page.locator("h1")).to_have_text("Jobcenter København")
    expect(page.locator(".bot-notice")).to_have_text("Du skriver med en automatisk chatbot")
    write(page, "jeg skal melde afbud til min jobsamtale")
    wait_for_bot(page, "Hvilken ydelse")
    expect(page.locator("#choices button")).to_have_count(5)
    page.get_by_role("button", name="Dagpenge", exact=True).click()
    expect(page.locator("#log .msg-user").last).to_have_text("Du skrev: Dagpenge")
    wait_for_bot(page, "Hvilken dag")
    expect(page.locator("#choices")).to_be_hidden()
    write(page, "i morgen")
    wait_for_bot(page, "grunden")
    write(page, "jeg er syg")
    wait_for_bot(page, "Er det rigtigt")  # the read-back before anything is registered
    page.get_by_role("button", name="Ja", exact=True).click()
    wait_for_bot(page, "fulde navn")
    write(page, "Mette Hansen")
    wait_for_bot(page, "CPR-nummer")
    write(page, "010190-1234")
    wait_for_bot(page, "registreret")
    expect(page.locator("#log")).to_contain_text("010190-XXXX")
    who = sender(page)
    _, db = server
    assert user_turns(db, who) == ["jeg skal melde afbud til min jobsamtale", "1", "i morgen",
                                   "jeg er syg", "1", "Mette Hansen", "010190-XXXX"]
    (ids,) = store(db, "SELECT count(DISTINCT message_id) FROM processed_messages "
                       "WHERE sender = ?", who)
    assert ids == (7,)  # a fresh message_id for every message
    assert store(db, "SELECT count(*) FROM outbox o JOIN conversations c ON c.id = "
                     "o.conversation_id WHERE c.sender = ?", who) == [(1,)]


def test_a_reload_keeps_the_conversation(page: Page, server) -> None:
    page.goto(url(server))
    write(page, "jeg skal melde afbud til min jobsamtale")
    wait_for_bot(page, "Hvilken ydelse")
    before = page.locator("#log .msg").all_text_contents()
    who = sender(page)
    page.reload()
    expect(page.locator("#log .msg")).to_have_text(before)
    expect(page.locator("#choices button")).to_have_count(5)  # the open question's choices
    page.get_by_role("button", name="Kontanthjælp", exact=True).click()
    wait_for_bot(page, "Hvilken dag")
    assert sender(page) == who
    assert user_turns(server[1], who)[-1] == "2"


def test_a_lost_answer_is_retried_with_the_same_id_and_no_double_turn(page: Page,
                                                                      server) -> None:
    page.goto(url(server))
    write(page, "jeg skal melde afbud til min jobsamtale")
    wait_for_bot(page, "Hvilken ydelse")
    sent: list[dict] = []

    def lose_the_first_answer(route: Route) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        if len(sent) == 1:
            route.fetch()  # the server runs the turn ...
            route.abort("connectionreset")  # ... and the answer never arrives
        else:
            route.continue_()

    page.route("**/webhooks/rest/webhook", lose_the_first_answer)
    page.get_by_role("button", name="Dagpenge", exact=True).click()
    wait_for_bot(page, "Hvilken dag")
    assert len(sent) == 2 and sent[0] == sent[1]  # same message, same message_id
    assert bot(page).filter(has_text="Hvilken dag").count() == 1
    assert user_turns(server[1], sender(page)) == ["jeg skal melde afbud til min jobsamtale", "1"]


def test_when_the_network_stays_down_the_page_says_so_and_sends_again_on_request(
        page: Page, server) -> None:
    page.clock.install()  # the retries' waits pass on the test's word, not in real time
    page.goto(url(server))
    write(page, "jeg skal melde afbud til min jobsamtale")
    wait_for_bot(page, "Hvilken ydelse")
    attempts: list[dict] = []

    def offline(route: Route) -> None:
        attempts.append(json.loads(route.request.post_data or "{}"))
        route.abort("internetdisconnected")

    page.route("**/webhooks/rest/webhook", offline)
    page.get_by_role("button", name="Dagpenge", exact=True).click()
    expect(page.locator("#typing")).to_have_text("Chatbotten skriver …")
    retry = page.get_by_role("button", name="Prøv igen")
    for _ in range(400):
        if retry.is_visible():
            break
        page.clock.run_for(250)
    expect(page.locator("#notice")).to_contain_text("Beskeden kunne ikke sendes")
    expect(page.locator("#typing")).to_have_text("")
    assert len(attempts) == 7 and all(a == attempts[0] for a in attempts)
    page.unroute("**/webhooks/rest/webhook")
    retry.click()
    wait_for_bot(page, "Hvilken dag")
    expect(page.locator("#notice")).to_be_hidden()
    assert user_turns(server[1], sender(page)) == ["jeg skal melde afbud til min jobsamtale", "1"]


def test_an_expired_session_gets_a_new_one_and_the_page_says_so(page: Page, server) -> None:
    page.goto(url(server))
    write(page, "hej")
    wait_for_bot(page, "automatisk")
    first = sender(page)
    expired = {"error": "Chatten er udløbet.", "code": "session"}
    page.route("**/webhooks/rest/webhook", lambda route: route.fulfill(
        status=401, content_type="application/json", body=json.dumps(expired)), times=1)
    write(page, "jeg skal melde afbud til min jobsamtale")
    wait_for_bot(page, "Hvilken ydelse")
    expect(page.locator("#notice")).to_contain_text("startet forfra")
    assert sender(page) != first
    assert user_turns(server[1], sender(page)) == ["jeg skal melde afbud til min jobsamtale"]


def test_too_many_messages_waits_as_the_server_asks_then_sends(page: Page, server) -> None:
    page.goto(url(server))
    page.route("**/webhooks/rest/webhook", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "1"}, content_type="application/json",
        body=json.dumps({"error": "For mange beskeder."})), times=1)
    write(page, "hej")
    expect(page.locator("#notice")).to_contain_text("mange beskeder på kort tid")
    wait_for_bot(page, "automatisk")
    expect(page.locator("#notice")).to_be_hidden()
    assert user_turns(server[1], sender(page)) == ["hej"]


def test_markup_from_the_citizen_or_the_bot_shows_literally(page: Page, server) -> None:
    citizen = '<img src=x onerror="window.pwned=1"><b>fed</b>'
    reply = '<script>window.pwned=2</script><i>kursiv</i> & <a href="javascript:alert(1)">x</a>'

    def answer_with_markup(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        route.fulfill(status=200, content_type="application/json", body=json.dumps([
            {"recipient_id": body["sender"], "text": reply,
             "buttons": [{"title": "<u>valg</u>", "payload": "1"}]}]))

    page.goto(url(server))
    page.route("**/webhooks/rest/webhook", answer_with_markup)
    write(page, citizen)
    wait_for_bot(page, "kursiv")
    assert page.locator("#log .msg-user .text").last.text_content() == citizen
    assert bot(page).last.locator(".text").text_content() == reply
    expect(page.get_by_role("button", name="<u>valg</u>")).to_be_visible()
    assert page.locator("#log img, #log b, #log i, #log script, #log a, #choices u").count() == 0
    assert page.evaluate("window.pwned") is None
    # The page's CSP makes the browser refuse an HTML string in the DOM (Trusted Types).
    refused = page.evaluate("""() => { try { document.body.innerHTML = '<b>x</b>'; return false; }
                                       catch (e) { return e instanceof TypeError; } }""")
    assert refused


def test_keyboard_only(page: Page, server) -> None:
    page.goto(url(server))
    page.keyboard.press("Tab")
    expect(page.locator("#scroller")).to_be_focused()  # the scrolling transcript, then the input
    page.keyboard.press("Tab")
    expect(page.locator("#input")).to_be_focused()
    page.keyboard.type("jeg skal melde afbud til min jobsamtale")
    page.keyboard.press("Enter")
    wait_for_bot(page, "Hvilken ydelse")
    expect(page.locator("#input")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Revalidering", exact=True)).to_be_focused()
    for _ in range(4):
        page.keyboard.press("Shift+Tab")
    focused = page.get_by_role("button", name="Dagpenge", exact=True)
    expect(focused).to_be_focused()
    outline = focused.evaluate("e => { const s = getComputedStyle(e); "
                               "return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert outline[0] == "solid" and outline[1] >= 2  # the focus is visible
    page.keyboard.press("Enter")
    wait_for_bot(page, "Hvilken dag")
    expect(page.locator("#input")).to_be_focused()  # focus is never lost with the buttons
    page.keyboard.type("i morgen")
    page.keyboard.press("Enter")
    wait_for_bot(page, "grunden")
    assert user_turns(server[1], sender(page))[1:] == ["1", "i morgen"]


def test_english_labels_follow_the_conversation(page: Page, server) -> None:
    page.goto(url(server))
    expect(page.locator("html")).to_have_attribute("lang", "da")
    write(page, "hello, I can not come to my meeting tomorrow because I am sick")
    # written in English, answered in English (issue 19)
    wait_for_bot(page, "automated system")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("label[for=input]")).to_have_text("Write your message")
    expect(page.locator(".bot-notice")).to_have_text("You are chatting with an automated chatbot")
    expect(bot(page).first.locator(".text")).to_have_attribute("lang", "en")


def test_the_pages_words_follow_the_conversations_language_not_the_words_typed(
        page: Page, server) -> None:
    """Asking in Danish words for English switches the bot (the ``sprog`` slot) and so the
    page's own words: title, notice, label, placeholder, send button, hint and status lines;
    asking back switches them back (issue 19's leftover)."""
    page.goto(url(server))
    expect(page.locator("#input")).to_have_attribute("placeholder", re.compile(r"^Fx: "))
    write(page, "hej")
    wait_for_bot(page, "chatbot")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    write(page, "kan du skrive på engelsk")  # Danish words: a guess from them says Danish
    wait_for_bot(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Chat with Jobcenter København")
    expect(page.locator(".bot-notice")).to_have_text("You are chatting with an automated chatbot")
    expect(page.locator("label[for=input]")).to_have_text("Write your message")
    expect(page.locator("#input")).to_have_attribute(
        "placeholder", "E.g. I am ill today")
    expect(page.locator("#send")).to_have_text("Send")
    expect(page.locator("#hint")).to_have_text("Enter sends. Shift+Enter adds a new line.")
    expect(bot(page).last.locator(".text")).to_have_attribute("lang", "en")
    expect(bot(page).last.locator(".who")).to_have_text("The chatbot wrote:")
    page.locator("#input").press("Enter")  # nothing written: the status line says so
    expect(page.locator("#notice-text")).to_have_text("Write a message first.")
    # the typing line while an answer is on its way, in the conversation's language: the
    # request is held until the line has been seen (a handler that slept and then let it go
    # raced the check on a loaded machine, and the answer came first)
    held: list[Route] = []
    page.route("**/webhooks/rest/webhook", lambda route: held.append(route))
    write(page, "kan du skrive dansk")
    expect(page.locator("#typing")).to_have_text("The chatbot is typing …")
    while not held:
        page.wait_for_timeout(20)
    held[0].continue_()
    wait_for_bot(page, "dansk")
    expect(page.locator("#typing")).to_have_text("")
    page.unroute("**/webhooks/rest/webhook")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator("label[for=input]")).to_have_text("Skriv din besked")
    expect(page.locator("#input")).to_have_attribute("placeholder", re.compile(r"^Fx: "))
    expect(page.locator("#hint")).to_have_text("Enter sender. Shift+Enter giver en ny linje.")
    expect(page.locator(".who").first).to_have_text("Du skrev:")
    # a reload keeps the conversation's language
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "da")


def _axe(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations(browser: Browser, server) -> None:
    # axe is injected as a script, so this context allows it past the page's CSP.
    for viewport in ({"width": 1280, "height": 800}, {"width": 320, "height": 640}):
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        page = context.new_page()
        page.goto(url(server))
        assert _axe(page) == []
        write(page, "jeg skal melde afbud til min jobsamtale")
        wait_for_bot(page, "Hvilken ydelse")
        page.locator("#choices button").first.focus()
        assert _axe(page) == [], viewport
        context.close()


def _screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    kept = SCREENSHOTS / name
    target = kept if os.environ.get("KCBOT_UPDATE_SCREENSHOTS") == "1" else tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    assert kept.exists(), f"{kept} mangler: kør med KCBOT_UPDATE_SCREENSHOTS=1 og se på den"
    assert _png_width(target) == _png_width(kept)  # same layout width; the rest is for the eye
    return target


def _png_width(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[16:20], "big")  # the IHDR chunk's width


def _conversation_for_screenshots(page: Page) -> None:
    write(page, "jeg kan ikke komme til min samtale i morgen, mit barn er sygt")
    wait_for_bot(page, "Hvilken ydelse")


@pytest.mark.parametrize(("name", "viewport", "scale"), [
    ("webchat-320.png", {"width": 320, "height": 640}, 2),  # a small phone
    ("webchat-200pct.png", {"width": 640, "height": 400}, 2),  # 1280x800 at 200 % zoom
    ("webchat-desktop.png", {"width": 1280, "height": 800}, 1),
])
def test_small_screens_and_zoom_need_no_sideways_scrolling(
        browser: Browser, server, tmp_path: Path, name: str, viewport: dict, scale: int) -> None:
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    page.goto(url(server))
    _conversation_for_screenshots(page)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    page.locator("#input").scroll_into_view_if_needed()
    expect(page.locator("#input")).to_be_in_viewport()
    expect(page.locator("#send")).to_be_in_viewport()
    _screenshot(page, name, tmp_path)
    context.close()


def _identity_token() -> str:
    claims = {"cpr": "010190-1234", "name": "Mette Hansen", "exp": int(time.time()) + 3600}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def test_an_identity_in_the_address_is_forwarded_and_removed_from_it(page: Page,
                                                                      server) -> None:
    token = _identity_token()
    seen: list[dict] = []
    page.route("**/webhooks/rest/webhook",
               lambda route: (seen.append(json.loads(route.request.post_data or "{}")),
                              route.continue_()))
    page.goto(url(server) + "?identity=" + token)
    assert "identity" not in page.url
    write(page, "hej")
    wait_for_bot(page, "automatisk")
    assert seen[0]["metadata"]["identity"] == token


def test_one_script_tag_embeds_the_chat_and_passes_the_portals_identity(
        browser: Browser, server, municipality: ThreadingHTTPServer, tmp_path: Path) -> None:
    _, db = server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(site_url(municipality) + "/")
    launcher = page.get_by_role("button", name="Chat med os")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.evaluate("t => window.kcbotChat.identify(t)", _identity_token())
    launcher.click()
    frame = page.frame_locator("iframe[title='Chat med Jobcenter København']")
    expect(frame.locator(".bot-notice")).to_have_text("Du skriver med en automatisk chatbot")
    expect(frame.locator("#input")).to_be_focused()
    for text, words in [("jeg skal melde afbud til min jobsamtale", "Hvilken ydelse"),
                        ("1", "Hvilken dag"), ("i morgen", "grunden"),
                        ("jeg er syg", "Er det rigtigt"), ("ja", "registreret")]:
        frame.locator("#input").fill(text)
        frame.locator("#input").press("Enter")
        expect(frame.locator("#typing")).to_have_text("")
        expect(frame.locator("#log .msg-bot").filter(has_text=words)).not_to_have_count(0)
    expect(frame.locator("#log")).not_to_contain_text("fulde navn")  # known from the token
    _screenshot(page, "webchat-embedded-desktop.png", tmp_path)
    frame.get_by_role("button", name="Luk chatten").click()
    expect(page.locator("iframe")).to_be_hidden()
    expect(launcher).to_be_focused()
    launcher.press("Enter")  # open again by keyboard; Escape closes it
    expect(frame.locator("#input")).to_be_focused()
    expect(frame.locator("#log .msg")).not_to_have_count(0)  # the same conversation
    page.keyboard.press("Escape")
    expect(page.locator("iframe")).to_be_hidden()
    expect(launcher).to_be_focused()
    (chat,) = [f for f in page.frames if "/chat/" in f.url]
    who = chat.evaluate("JSON.parse(sessionStorage.getItem('kcbot.chat.v1')).session.sender")
    assert store(db, "SELECT o.navn FROM outbox o JOIN conversations c ON c.id = "
                     "o.conversation_id WHERE c.sender = ?", who) == [("Mette Hansen",)]
    context.close()
