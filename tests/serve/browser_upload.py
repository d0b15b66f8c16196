#!/usr/bin/env python3
"""Headless Chromium loads the upload page of a running `skinscan serve`, checks that no result
panel shows before an upload, uploads IMAGE through the page's file input, waits for the result
and checks the text the page shows (top 3 with percentages, risk level, overlay image,
disclaimer), then uploads a file that is not an image and checks that the error is shown in place
and the panels are hidden; saves a screenshot of each state (SCREENSHOT, and _before / _error
beside it). Drives Chromium over the
DevTools protocol on a pipe (--remote-debugging-pipe), so it needs nothing beyond the Debian
`chromium` package and the standard library.

Usage: browser_upload.py PORT IMAGE SCREENSHOT.png
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

port, image, screenshot = int(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
base, ext = os.path.splitext(screenshot)  # also BASE_before.png and BASE_error.png
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if not browser:
    print("SKIPPED: chromium not installed", file=sys.stderr)
    sys.exit(77)


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


class DevTools:
    """The DevTools protocol over Chromium's pipe: JSON messages ended by NUL, commands on fd 3,
    replies and events on fd 4 (of the child)."""

    def __init__(self, profile):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def remap():  # the child expects the pipes as fds 3 and 4
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-extensions", "--disable-sync", "--no-first-run",
             "--no-default-browser-check", "--mute-audio", "--remote-debugging-pipe", f"--user-data-dir={profile}",
             "--window-size=1200,1000", "about:blank"],
            preexec_fn=remap, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                fail("chromium did not answer in time")
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                fail("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method, session=None, timeout=30, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    fail(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, name, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except SystemExit:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


with tempfile.TemporaryDirectory() as profile:
    dt = DevTools(profile)
    try:
        target = next(t for t in dt.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        session = dt.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
        dt.call("Page.enable", session)
        dt.call("Page.navigate", session, url=f"http://127.0.0.1:{port}/")
        dt.wait_event("Page.loadEventFired")

        def js(expression):
            r = dt.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
            return r["result"].get("value")

        def save_screenshot(path):
            with open(path, "wb") as f:
                f.write(base64.b64decode(dt.call("Page.captureScreenshot", session, format="png")["data"]))

        def upload(path):
            root = dt.call("DOM.getDocument", session)["root"]["nodeId"]
            node = dt.call("DOM.querySelector", session, nodeId=root, selector="#file")["nodeId"]
            dt.call("DOM.setFileInputFiles", session, nodeId=node, files=[path])
            deadline = time.monotonic() + 120
            status = ""
            while time.monotonic() < deadline:
                status = js("document.getElementById('status').textContent") or ""
                if status.startswith("Result for") or status.startswith("Error"):
                    break
                time.sleep(0.2)
            return status

        # Before any upload the result panels are not shown (no broken image, no empty risk level).
        before = js("document.body.innerText")
        result_shown_before = js("getComputedStyle(document.getElementById('result')).display") != "none"
        save_screenshot(base + "_before" + ext)
        status = upload(image)
        if not status.startswith("Result for"):
            fail(f"page status: {status!r}")
        text = js("document.body.innerText")
        overlay_width = js("document.getElementById('overlay').naturalWidth")
        bars = js("document.querySelectorAll('#top .bar > div').length")
        save_screenshot(screenshot)
        # A file that is not an image: the error is shown in place and the old result goes.
        not_image = os.path.join(profile, "notes.jpg")
        with open(not_image, "w") as f:
            f.write("not an image\n")
        error_status = upload(not_image)
        result_shown_after_error = js("getComputedStyle(document.getElementById('result')).display") != "none"
        save_screenshot(base + "_error" + ext)
    finally:
        dt.close()

print(text)
if result_shown_before or "Risk level:" in before or "Where the model looked" in before:
    fail(f"result panels are shown before any upload: {before!r}")
if not error_status.startswith("Error") or "notes.jpg" not in error_status and "image" not in error_status:
    fail(f"a non-image upload should show an error in place, status: {error_status!r}")
if result_shown_after_error:
    fail("the result panels stayed visible after an error")
for needle in ["Top 3", "Risk level:", "%", "not a diagnosis", "Where the model looked", os.path.basename(image)]:
    if needle not in text:
        fail(f"page text lacks {needle!r}")
if bars != 3:
    fail(f"expected 3 probability bars, found {bars}")
if not overlay_width:
    fail("the overlay image did not load")
if not any(level in text for level in ("high (", "moderate (", "low (")):
    fail("no risk level shown")
print(f"ok: panels hidden before upload; page shows the result; overlay {overlay_width}px wide; "
      f"a non-image upload shows {error_status!r}; screenshots {base}_before{ext}, {screenshot}, {base}_error{ext}")
