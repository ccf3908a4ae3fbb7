#!/usr/bin/python3
"""browser-check.py: open every page of the book in headless Chromium.

    usage: book/browser-check.py CHROMIUM BOOK_DIR

Talks to Chromium over its DevTools pipe (--remote-debugging-pipe: commands
on descriptor 3, answers on 4, each a JSON text ended by a NUL byte), so it
needs nothing but Python's standard library.  For each BOOK_DIR/*.html:

  - loads it and fails on a JavaScript error or exception, a console error,
    or a resource that did not load (the browser logs it as an error);
  - fails on a local link to a missing file or to an id that the target page
    does not have, on an image that did not load, on an id used twice, on a
    diagram whose SVG did not render (no node drawn, or no size), on a
    `dot` block left undrawn, and on a chapter page without a diagram;
  - with BOOK_SHOTS=1, saves screenshots in BOOK_DIR/shots/: PAGE.png (wide, light),
    PAGE-phone.png (narrow), PAGE-dark.png (wide, dark) and, where the page
    has them, PAGE-diagram.png and PAGE-hint.png (scrolled to the first
    diagram and the first hint).

Prints one line per problem and "browser: N passed, M failed" last (pages);
exit 0 only if M is 0, 2 when Chromium cannot be started.
"""
import base64
import glob
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

TIMEOUT = 30  # seconds for one page

# Runs in the page once it has loaded; returns what the checks need.
INSPECT = r"""
(() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  const images = [...document.querySelectorAll('img')].map(i =>
    ({src: i.src, ok: i.complete && i.naturalWidth > 0}));
  const diagrams = [...document.querySelectorAll('figure.diagram')].map(f => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {id: f.id, svg: !!svg, nodes: svg ? svg.querySelectorAll('g.node').length : 0,
            width: box.width, height: box.height};
  });
  const undrawn = document.querySelectorAll('pre.dot, code.dot, div.dot').length;
  const empty = [...document.querySelectorAll('main pre')].filter(p =>
    p.textContent.replace(/Copy(ied)?$/, '').trim() === '').length;
  const copy = document.querySelectorAll('main button.copy').length;
  const pres = document.querySelectorAll('main pre').length;
  // A copy button must not cover any of the text of its code block.
  const covered = [];
  document.querySelectorAll('main button.copy').forEach(b => {
    const box = (b.closest('.listing') || b.closest('pre') || b.parentElement);
    const code = box.querySelector('code') || box;
    const r = b.getBoundingClientRect(), range = document.createRange();
    range.selectNodeContents(code);
    for (const t of range.getClientRects()) {
      if (t.width > 0 && t.left < r.right && t.right > r.left &&
          t.top < r.bottom && t.bottom > r.top) {
        covered.push(code.textContent.split('\n')[0].slice(0, 60));
        break;
      }
    }
  });
  return JSON.stringify({ids, links, images, diagrams, undrawn, empty, copy, pres,
                         covered, title: document.title});
})()
"""


class Browser:
    """A headless Chromium, driven over the DevTools pipe."""

    def __init__(self, chromium, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def descriptors():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--hide-scrollbars",
             "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, preexec_fn=descriptors, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True, timeout=TIMEOUT):
        """Sends a command; returns its result, raising on an error."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"].get("message")))
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline):
        """Returns the next message from Chromium."""
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe: %s" %
                                   self.proc.stderr.read().decode(errors="replace")[-500:])
            self.buffer += chunk
        text, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(text)

    def wait_for(self, method, timeout=TIMEOUT):
        """Waits for an event; returns it."""
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self.receive(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def problems_in_events(events):
    """Returns the errors among the page's console and log events."""
    found = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            found.append("JavaScript exception: %s" % (
                d.get("exception", {}).get("description") or d.get("text")))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            found.append("console error: %s" % " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            found.append("browser error: %s %s" % (entry.get("text"), entry.get("url", "")))
    return found


def screenshot(browser, path, width, height, dark):
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1,
                  "mobile": width < 600})
    browser.send("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
    if not SHOTS:
        return
    shot = browser.send("Page.captureScreenshot", {"format": "png"})
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


# BOOK_SHOTS=1 saves the screenshots (make book-shots); without it, each
# page is still laid out wide, narrow and dark, and checked in each.
SHOTS = os.environ.get("BOOK_SHOTS", "") == "1"


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: book/browser-check.py CHROMIUM BOOK_DIR\n")
        return 2
    chromium, book = argv[1], os.path.abspath(argv[2])
    pages = sorted(glob.glob(os.path.join(book, "*.html")))
    if not pages:
        print("browser: no page in %s: run `make book` first" % book)
        return 2
    shots = os.path.join(book, "shots")
    if SHOTS:
        os.makedirs(shots, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="book-chromium-")
    failures = {}
    seen = {}  # page path -> (ids, links)
    try:
        browser = Browser(chromium, profile)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"}, session=False)
            browser.session = browser.send("Target.attachToTarget",
                                           {"targetId": target["targetId"], "flatten": True},
                                           session=False)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                browser.send(domain + ".enable")
        except (RuntimeError, TimeoutError, OSError) as e:
            print("browser: could not start %s: %s" % (chromium, e))
            browser.close()
            return 2
        for page in pages:
            name = os.path.basename(page)
            problems = failures.setdefault(name, [])
            browser.events = []
            try:
                browser.send("Emulation.setDeviceMetricsOverride",
                             {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                              "mobile": False})
                browser.send("Emulation.setEmulatedMedia", {"features": [
                    {"name": "prefers-color-scheme", "value": "light"}]})
                browser.send("Page.navigate", {"url": "file://" + page})
                browser.wait_for("Page.loadEventFired")
                found = json.loads(browser.send("Runtime.evaluate", {
                    "expression": INSPECT, "returnByValue": True})["result"]["value"])
                base = os.path.splitext(name)[0]
                screenshot(browser, os.path.join(shots, base + ".png"), 1280, 900, False)
                screenshot(browser, os.path.join(shots, base + "-phone.png"), 390, 844, False)
                screenshot(browser, os.path.join(shots, base + "-dark.png"), 1280, 900, True)
                for what, selector in (("diagram", "figure.diagram"), ("hint", "details.hint")):
                    # The first of each, in the light, scrolled into view.
                    shown = browser.send("Runtime.evaluate", {"returnByValue": True, "expression":
                        "(e => e ? (e.scrollIntoView(), window.scrollBy(0, -250), true) : false)"
                        "(document.querySelector('%s'))" % selector})["result"]["value"]
                    if shown:
                        screenshot(browser, os.path.join(shots, "%s-%s.png" % (base, what)),
                                   1280, 900, False)
                time.sleep(0.05)
                browser.send("Runtime.evaluate", {"expression": "1"})  # collect late events
            except (RuntimeError, TimeoutError, OSError, KeyError) as e:
                problems.append("could not be checked: %s" % e)
                continue
            problems.extend(problems_in_events(browser.events))
            ids = found["ids"]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                problems.append("ids used more than once: %s" % ", ".join(dupes[:10]))
            for image in found["images"]:
                if not image["ok"]:
                    problems.append("image did not load: %s" % image["src"])
            for d in found["diagrams"]:
                if not d["svg"] or d["nodes"] == 0 or d["width"] < 10 or d["height"] < 10:
                    problems.append("diagram %s did not render (%s)" % (d["id"], d))
            if found["undrawn"]:
                problems.append("%d dot block(s) left undrawn" % found["undrawn"])
            if re.match(r"\d\d-", name) and not found["diagrams"]:
                problems.append("a chapter page without a diagram")
            if found["empty"]:
                problems.append("%d empty code block(s)" % found["empty"])
            for line in found["covered"]:
                problems.append("a copy button covers the text of the block that "
                                "starts: %s" % line)
            if found["copy"] != found["pres"]:
                problems.append("%d code blocks but %d copy buttons" % (found["pres"], found["copy"]))
            seen[page] = (set(ids), found["links"])
        browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    # Links, once every page's ids are known.
    for page, (_, links) in seen.items():
        problems = failures[os.path.basename(page)]
        for link in links:
            url = urllib.parse.urlsplit(link)
            if url.scheme != "file":
                continue
            path = urllib.parse.unquote(url.path)
            if not os.path.exists(path):
                problems.append("broken link: %s" % link)
            elif url.fragment:
                target = seen.get(path)
                if target is None and path.endswith(".html"):
                    problems.append("link to a page outside the book: %s" % link)
                elif target is not None and url.fragment not in target[0]:
                    problems.append("link to a missing anchor: %s" % link)

    failed = 0
    for name, problems in sorted(failures.items()):
        if problems:
            failed += 1
            for p in problems:
                print("FAIL: %s: %s" % (name, p))
        else:
            print("ok: %s" % name)
    if SHOTS:
        print("screenshots in %s" % os.path.relpath(shots))
    print("browser: %d passed, %d failed" % (len(failures) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
