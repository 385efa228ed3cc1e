"""A headless Chromium driven through the Chrome DevTools Protocol over a
pipe (--remote-debugging-pipe: the browser reads commands on fd 3 and
writes replies and events on fd 4, each a JSON message ended by a NUL),
with the Python standard library only: no npm, no websocket client.

Browser.open() starts one; .page() opens a tab and returns a Page with the
few calls tests need: goto, evaluate, wait_for (a JavaScript condition),
type_into, click, and the console / log messages the page produced."""
import fcntl
import json
import os
import select
import shutil
import subprocess
import time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, proc, to_browser, from_browser, profile):
        self.proc = proc
        self._out = to_browser
        self._in = from_browser
        self._buf = b""
        self._next_id = 0
        self.events = []  # (sessionId, method, params), oldest first
        self.profile = profile

    @classmethod
    def open(cls, profile_dir, timeout=20):
        """Start chromium headless on a new profile dir; raise CDPError if it cannot."""
        if not os.access(CHROMIUM, os.X_OK):
            raise CDPError("chromium is not installed (apt-get install chromium)")
        # Parent ends at fds >= 10, so that dup2 onto 3 and 4 in the child
        # cannot clobber one with the other.
        cmd_r, cmd_w = os.pipe()
        ev_r, ev_w = os.pipe()
        fds = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, cmd_w, ev_r, ev_w)]
        for fd in (cmd_r, cmd_w, ev_r, ev_w):
            os.close(fd)
        cmd_r, cmd_w, ev_r, ev_w = fds

        def child_fds():
            os.dup2(cmd_r, 3)
            os.dup2(ev_w, 4)

        args = [CHROMIUM, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--metrics-recording-only", "--mute-audio",
                "--user-data-dir=%s" % profile_dir, "about:blank"]
        log = open(os.path.join(profile_dir, "..", "chromium.log"), "wb")
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(3, 4),
                                preexec_fn=child_fds)
        log.close()
        os.close(cmd_r)
        os.close(ev_w)
        b = cls(proc, cmd_w, ev_r, profile_dir)
        try:
            b.call("Browser.getVersion", timeout=timeout)
        except Exception as e:
            b.close()
            raise CDPError("chromium did not answer on its DevTools pipe: %s" % e)
        return b

    # --- the protocol --------------------------------------------------------

    def _send(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._out, data)
            data = data[n:]

    def _read_one(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from chromium")
            r, _, _ = select.select([self._in], [], [], left)
            if not r:
                continue
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise CDPError("chromium closed its DevTools pipe (exit %s)" % self.proc.poll())
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=20):
        self._next_id += 1
        mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._send(msg)
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_one(deadline)
            if m.get("id") == mid:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append((m.get("sessionId"), m["method"], m.get("params", {})))

    def pump(self, seconds):
        """Take in events for a while (no command outstanding)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                m = self._read_one(deadline)
                if "method" in m:
                    self.events.append((m.get("sessionId"), m["method"], m.get("params", {})))
        except TimeoutError:
            pass

    def page(self):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        p = Page(self, session, target)
        for domain in ("Page", "Runtime", "Log", "Network"):
            p.call(domain + ".enable")
        return p

    def close(self):
        try:
            self._send({"id": 0, "method": "Browser.close", "params": {}})
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass


class Page:
    def __init__(self, browser, session, target):
        self.browser = browser
        self.session = session
        self.target = target

    def call(self, method, params=None, timeout=20):
        return self.browser.call(method, params, session=self.session, timeout=timeout)

    def goto(self, url):
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise CDPError("cannot load %s: %s" % (url, r["errorText"]))

    def evaluate(self, expression, await_promise=True):
        """The value of a JavaScript expression in the page (JSON-able)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": await_promise})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CDPError("%s: %s" % (expression[:80], d.get("exception", {}).get("description", d.get("text"))))
        return r["result"].get("value")

    def wait_for(self, expression, timeout=20, what=None):
        """Poll until the expression is truthy; its value."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                last = self.evaluate(expression)
            except CDPError as e:  # e.g. while a navigation replaces the context
                last = e
            if last and not isinstance(last, CDPError):
                return last
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for %s (last: %r); page: %s\nbrowser messages: %s" %
                                     (what or expression, last, self.text()[:2000], self.messages()[-20:]))
            time.sleep(0.2)

    def close(self):
        """Close the tab (its timers stop polling the server)."""
        try:
            self.browser.call("Target.closeTarget", {"targetId": self.target})
        except CDPError:
            pass

    def text(self):
        try:
            return self.evaluate("document.body ? document.body.innerText : ''")
        except CDPError as e:
            return "<%s>" % e

    def type_into(self, selector, text):
        """Focus a field, clear it, and type text as keyboard input."""
        self.evaluate("(() => { const e = document.querySelector(%s); e.focus(); e.select && e.select(); "
                      "e.value = ''; return true; })()" % json.dumps(selector))
        self.call("Input.insertText", {"text": text})

    def click(self, selector):
        """A real mouse click at the middle of the element."""
        box = self.wait_for("(() => { const e = document.querySelector(%s); if (!e || e.disabled) return null; "
                            "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                            "return r.width && r.height ? [r.x + r.width / 2, r.y + r.height / 2] : null; })()"
                            % json.dumps(selector), what="%s to be clickable" % selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                   "clickCount": 1})

    def messages(self):
        """Console messages and browser log entries (CSP violations, failed
        loads) of this page, as (level, text)."""
        out = []
        for session, method, params in self.browser.events:
            if session != self.session:
                continue
            if method == "Log.entryAdded":
                e = params["entry"]
                out.append((e.get("level"), e.get("text", "")))
            elif method == "Runtime.consoleAPICalled":
                out.append((params.get("type"), " ".join(str(a.get("value", a.get("description", "")))
                                                        for a in params.get("args", []))))
            elif method == "Network.loadingFailed":
                out.append(("error", "loading failed: %s %s" % (params.get("errorText"), params.get("requestId"))))
            elif method == "Runtime.exceptionThrown":
                d = params["exceptionDetails"]
                out.append(("exception", d.get("exception", {}).get("description", d.get("text", ""))))
        return out
