"""The live-update examples in a real browser (headless Chromium driven by Playwright).

Skipped with a message when /usr/bin/chromium is missing (`make browser` installs it).
AIOWEBSERVER_SCREENSHOTS=1 saves the pages to docs/eventsource.png and docs/websocket.png."""
import os


from helpers import ROOT

def example(start_app, runtime, name):
    # examples are compiled from source at start: more than the mpy runtime's 64 KB heap
    return start_app(os.path.join(ROOT, "examples", name), heap="128k" if runtime == "mpy" else None)


def screenshot(page, name, tmp_path):
    if os.environ.get("AIOWEBSERVER_SCREENSHOTS"):
        page.screenshot(path=os.path.join(ROOT, "docs", name), full_page=True)
    else:
        page.screenshot(path=str(tmp_path / name), full_page=True)


def test_the_eventsource_page_shows_events_as_they_arrive(start_app, runtime, browser, tmp_path):
    app = example(start_app, runtime, "eventsource.py")
    page = browser.new_page(viewport={"width": 760, "height": 560})
    page.goto(app.url + "/")
    page.wait_for_selector("#state.live", timeout=10000)
    page.wait_for_function("document.getElementById('count').textContent >= 3", timeout=15000)
    ids = page.locator("#log tr td:first-child").all_inner_texts()
    assert ids[:3] == ["2", "1", "0"]  # newest first, ids counted by the server
    screenshot(page, "eventsource.png", tmp_path)
    page.close()
    assert app.alive()


def test_the_chat_page_shows_a_message_on_every_open_page(start_app, runtime, browser, tmp_path):
    app = example(start_app, runtime, "websocket.py")
    first = browser.new_page(viewport={"width": 760, "height": 560})
    first.goto(app.url + "/")
    first.wait_for_selector("#state.live", timeout=10000)
    second = browser.new_page(viewport={"width": 760, "height": 560})
    second.goto(app.url + "/")
    second.wait_for_selector("#state.live", timeout=10000)
    first.wait_for_selector("#online:text('2')", timeout=10000)  # the first page saw the second join
    first.fill("#text", "hello from the first page")
    first.click("button")
    for page in (first, second):
        page.wait_for_selector("#log li:text('guest1: hello from the first page')", timeout=10000)
    second.fill("#text", "and back ✓")
    second.press("#text", "Enter")
    first.wait_for_selector("#log li:text('guest2: and back ✓')", timeout=10000)
    screenshot(first, "websocket.png", tmp_path)
    second.close()
    first.wait_for_selector("#log li:text('guest2 left')", timeout=10000)
    first.close()
    assert app.alive()
