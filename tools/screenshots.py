"""``make screenshots``: the README's pictures, taken from the demo by a real browser.

Installs lead_tracking with its demo data in a throwaway database (as ``make test`` does), starts
Odoo's HTTP server on a free port and drives headless Chromium through the DevTools protocol over a
pipe (``--remote-debugging-pipe``: no driver and no package to install).  It logs in as the demo's
sales manager, as a salesperson who reads Odoo in Italian, as the Gold reseller's portal user, then
leaves as a visitor, and writes the PNGs the README shows under ``docs/images/``; everything it
started is stopped and removed at the end.  Run it again whenever a screen changes.

It also writes the addon's Apps page, ``lead_tracking/static/description/index.html``, from
OCA's readme fragments ``lead_tracking/readme/{DESCRIPTION,CONFIGURE,USAGE}.md`` (smaller copies of
the pictures they show go beside it, where Odoo serves them); ``--description-only`` does just that,
without a browser.
"""

import argparse
import ast
import base64
import contextlib
import fcntl
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from . import pg
from .odoo_env import environment, odoo_cmd, require_odoo, run_odoo, stop_odoo, wait_until_answering, write_config

DBNAME = "lead_tracking_screenshots"
IMAGES = pg.ROOT / "docs" / "images"
ADDON = pg.ROOT / "lead_tracking"
README_FRAGMENTS = ADDON / "readme"
DESCRIPTION = ADDON / "static" / "description"
LOG = pg.RUN / "screenshots.log"
WIDTH, HEIGHT = 1440, 900
# The Apps page shows its pictures at most this wide: smaller copies keep the addon light.
DESCRIPTION_IMAGE_WIDTH = 960
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
    f"--window-size={WIDTH},{HEIGHT}",
]
# Odoo shows an RPC in progress with this indicator; a screen is done when it is gone and its
# images (avatars, the logo) have loaded.
IDLE = (
    "!document.querySelector('.o_loading_indicator, .o_blockUI')"
    " && Array.from(document.images).every((img) => img.complete)"
)


class BrowserError(RuntimeError):
    """Chromium failed, or a page never showed what a picture needs."""


def find_chromium():
    """Path of the Chromium (or Chrome) binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """Headless Chromium with one page, spoken to over the DevTools pipe (fd 3 in, fd 4 out)."""

    def __init__(self, binary, profile_dir):
        self._to_browser_r, self._to_browser_w = os.pipe()
        self._from_browser_r, self._from_browser_w = os.pipe()
        child_in, child_out = self._to_browser_r, self._from_browser_w

        def wire_pipe():
            # Chromium reads commands on fd 3 and answers on fd 4, whichever numbers our pipes got:
            # both go above 4 first, so that placing one cannot overwrite the other. dup2 makes them
            # inheritable, and Python's own descriptors close at exec (close_fds=False keeps ours).
            high_in, high_out = fcntl.fcntl(child_in, fcntl.F_DUPFD, 10), fcntl.fcntl(child_out, fcntl.F_DUPFD, 10)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_pipe,  # before any thread of ours starts
        )
        os.close(child_in)
        os.close(child_out)
        self._writer = os.fdopen(self._to_browser_w, "wb", buffering=0)
        self._next_id = 0
        self._answers = {}
        self._answered = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", session=True)
        self.send("Runtime.enable", session=True)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _read(self):
        buffer = b""
        with os.fdopen(self._from_browser_r, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        with self._answered:
                            self._answers[message["id"]] = message
                            self._answered.notify_all()
        with self._answered:  # the browser is gone: wake whoever waits
            self._answers[None] = {"error": {"message": "Chromium closed the pipe"}}
            self._answered.notify_all()

    def send(self, method, session=False, timeout=60, **params):
        """Send a DevTools command (to the page when ``session``) and return its result."""
        self._next_id += 1
        number = self._next_id
        message = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._writer.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._answered:
            while number not in self._answers and None not in self._answers:
                if not self._answered.wait(max(deadline - time.monotonic(), 0)) and time.monotonic() >= deadline:
                    raise BrowserError(f"{method}: no answer from Chromium in {timeout} s")
            answer = self._answers.pop(number, None) or self._answers[None]
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error'].get('message')}")
        return answer.get("result", {})

    def evaluate(self, expression):
        """Evaluate JavaScript in the page and return its value."""
        result = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, condition, timeout=60, what=None):
        """Wait until the JavaScript ``condition`` is true and Odoo is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(f"Boolean({condition}) && {IDLE}"):
                    return
            except BrowserError:
                pass  # the page is being replaced
            time.sleep(0.25)
        raise BrowserError(f"timed out waiting for {what or condition} on {self.evaluate('location.href')}")

    def open(self, url, ready, what=None, settle=0.8):
        """Go to ``url`` and wait for ``ready``, then for animations (charts, dialogs) to end."""
        self.send("Page.navigate", session=True, url=url)
        time.sleep(0.5)  # leave the previous page
        self.wait_for(ready, what=what)
        time.sleep(settle)

    def click(self, selector, ready, what=None, settle=0.8):
        """Click the element ``selector`` and wait for ``ready``."""
        if not self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
            raise BrowserError(f"nothing to click at {selector}")
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for(ready, what=what)
        time.sleep(settle)

    def screenshot(self, path, selector=None, margin=0):
        """Write the page (or the element ``selector`` with a margin) as a PNG."""
        params = {"format": "png"}
        if selector:
            rect = self.evaluate(
                f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                " return [r.x, r.y, r.width, r.height]; })()"
            )
            x, y = max(rect[0] - margin, 0), max(rect[1] - margin, 0)
            params["clip"] = {
                "x": x,
                "y": y,
                "width": min(rect[2] + 2 * margin, WIDTH - x),
                "height": min(rect[3] + 2 * margin, HEIGHT - y),
                "scale": 1,
            }
        data = self.send("Page.captureScreenshot", session=True, **params)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        """Quit Chromium."""
        with contextlib.suppress(BrowserError):  # it may close the pipe before answering
            self.send("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._writer.close()


# -- the pictures ------------------------------------------------------------------------------
def login(browser, base, login_name, password, landing):
    """Log in through Odoo's login form and wait for ``landing``."""
    browser.open(f"{base}/web/session/logout", "document.querySelector('form.oe_login_form')", "the login form")
    browser.evaluate(
        "(() => { const f = document.querySelector('form.oe_login_form');"
        f" f.querySelector('#login').value = {json.dumps(login_name)};"
        f" f.querySelector('#password').value = {json.dumps(password)};"
        " f.submit(); })()"
    )
    time.sleep(0.5)
    browser.wait_for(landing, what=f"{login_name} logged in")


def remove_search_facets(browser):
    """Drop the action's default filters (My Pipeline...) so that the whole demo shows."""
    while browser.evaluate("!!document.querySelector('.o_searchview_facet .o_facet_remove')"):
        browser.evaluate("document.querySelector('.o_searchview_facet .o_facet_remove').click()")
        time.sleep(0.5)
        browser.wait_for("true")


def take_pictures(browser, base, ids, out):
    """Take every picture of the README; return the paths written."""
    written = []

    def shot(name, selector=None):
        path = out / name
        browser.screenshot(path, selector)
        written.append(path)
        print(f"  {path.relative_to(pg.ROOT)}", flush=True)

    backend = "document.querySelector('.o_web_client .o_main_navbar')"
    login(browser, base, "admin", "admin", backend)
    # with the CRM menu, so that its menu bar shows as when one opens CRM
    web = f"{base}/web#menu_id={ids['crm_menu']}&"
    # 1. The pipeline: every card carries its tier badge (and quality badge).
    browser.open(
        f"{web}action=crm.crm_lead_action_pipeline&view_type=kanban", "document.querySelector('.o_kanban_record')"
    )
    remove_search_facets(browser)
    browser.wait_for("document.querySelector('.o_kanban_record .o_lt_score_tier')", what="tier badges")
    shot("pipeline-score-tiers.png")
    # 2. Why This Score, on an open opportunity with a full explanation.
    open_score_panel(browser, web, ids["scored_lead"], "the Why This Score panel")
    shot("why-this-score.png")
    # 3. Preview Assignment from the Europe team: the wizard says what the next run would do.
    browser.open(f"{web}model=crm.team&id={ids['team']}&view_type=form", "document.querySelector('.o_form_view')")
    browser.click(
        "button[name='action_preview_assign_leads']", "document.querySelector('.modal .o_form_view')", "the preview"
    )
    shot("assignment-preview.png", ".modal-content")
    # 4. Reports: Lead Scoring's graph and Marketing Attribution's pivot.
    browser.open(
        f"{web}action=lead_tracking.crm_lead_scoring_report_action&view_type=graph",
        "document.querySelector('.o_graph_renderer canvas')",
        settle=1.5,
    )
    shot("report-lead-scoring-graph.png")
    browser.open(
        f"{web}action=lead_tracking.crm_lead_attribution_report_action&view_type=pivot",
        "document.querySelector('.o_pivot table')",
    )
    shot("report-attribution-pivot.png")
    # 5. Italian, as a user who chose it in their preferences sees the same panel.
    login(browser, base, "chloe@leadtracking.example.com", "demo", backend)
    open_score_panel(browser, web, ids["scored_lead"], "the Why This Score panel in Italian")
    shot("why-this-score-it.png")
    # 6. The reseller portal: a lead handed to the Gold reseller, as its contact sees it.
    login(browser, base, "reseller.gold@example.com", "reseller", "location.pathname.startsWith('/my')")
    browser.open(f"{base}/my/lead/{ids['reseller_lead']}", "document.querySelector('.o_lt_interested')")
    shot("portal-reseller-lead.png")
    # 7. The public list of resellers, as a visitor.
    browser.open(f"{base}/web/session/logout?redirect=/partners", "document.querySelector('.o_lt_partner_level')")
    shot("partners-page.png")
    return written


def demo_ids(cluster):
    """Ids of the records the pictures show, read from the freshly installed demo."""

    def xmlid(name):
        rows = cluster.execute(
            "SELECT res_id FROM ir_model_data WHERE module = 'lead_tracking' AND name = %s", DBNAME, (name,)
        )
        if not rows:
            raise BrowserError(f"demo record lead_tracking.{name} is missing")
        return rows[0][0]

    # An open opportunity of Chloé's (she reads Italian) that the scoring variables explain (country,
    # source, phone...).
    rows = cluster.execute(
        """SELECT l.id FROM crm_lead l
             JOIN ir_model_data d ON d.model = 'crm.lead' AND d.res_id = l.id AND d.module = 'lead_tracking'
            WHERE l.active AND l.type = 'opportunity' AND l.probability > 0 AND l.probability < 100
              AND l.country_id IS NOT NULL AND l.source_id IS NOT NULL AND l.phone IS NOT NULL
              AND l.user_id = (SELECT res_id FROM ir_model_data WHERE module = 'lead_tracking'
                                                              AND name = 'demo_user_chloe')
         ORDER BY l.automated_probability DESC, l.id LIMIT 1""",
        DBNAME,
    )
    menu = cluster.execute("SELECT res_id FROM ir_model_data WHERE module = 'crm' AND name = 'crm_menu_root'", DBNAME)
    return {
        "team": xmlid("demo_team_europe"),
        "reseller_lead": xmlid("reseller_lead_1"),
        "scored_lead": rows[0][0],
        "crm_menu": menu[0][0],
    }


def open_score_panel(browser, web, lead_id, what):
    """Open a lead's form on its Why This Score tab, scrolled so that the panel fills the picture."""
    browser.open(
        f"{web}model=crm.lead&id={lead_id}&view_type=form", "document.querySelector('.o_form_view .o_notebook')"
    )
    browser.click(
        ".o_notebook_headers a[name='lt_score_explanation']",
        "document.querySelector('.o_lt_score_explanation li')",
        what,
    )
    browser.evaluate("document.querySelector('.o_notebook').scrollIntoView({block: 'start'})")
    time.sleep(0.5)


def make_screenshots(binary):
    """Install the demo, serve it, take the pictures; return the paths written (exit on failure)."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    with pg.running("pg-screenshots", throwaway=True, profile="fast") as cluster:
        port = pg.free_port()
        config = write_config(
            cluster, "screenshots", http_port=port, data_dir=cluster.base / "filestore", log_level="warn"
        )
        print("Installing lead_tracking with its demo data in a throwaway database ...", flush=True)
        if run_odoo(config, "-d", DBNAME, "-i", "lead_tracking", "--stop-after-init", log=LOG):
            sys.exit(f"Installing lead_tracking failed; see {LOG}")
        # Italian for one salesperson, loaded as Settings > Languages does (Odoo's own translations
        # and the addon's it.po): once the database exists, since --load-language while base installs
        # makes Italian the database's language instead of English.
        with environment(config, DBNAME) as env:
            env["res.lang"]._activate_lang("it_IT")
            env["ir.module.module"].search([("state", "=", "installed")])._update_translations(["it_IT"])
        ids = demo_ids(cluster)
        # One salesperson reads Odoo in Italian (the addon's it.po, with Odoo's own).
        cluster.execute(
            "UPDATE res_partner SET lang = 'it_IT' WHERE id = (SELECT partner_id FROM res_users WHERE login = %s)",
            DBNAME,
            ("chloe@leadtracking.example.com",),
        )
        # OdooBot greets a new user in a chat window that would cover the pictures.
        cluster.execute(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'res_users'"
            " AND column_name = 'odoobot_state') THEN UPDATE res_users SET odoobot_state = 'disabled'; END IF; END $$",
            DBNAME,
        )
        with open(LOG, "a", encoding="utf-8") as log:
            server = subprocess.Popen(odoo_cmd(config, "-d", DBNAME), stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        profile = tempfile.mkdtemp(prefix="lt-chromium-")
        browser = None
        try:
            if not wait_until_answering(server, f"{base}/web/login"):
                sys.exit(f"Odoo did not answer; see {LOG}")
            print("Taking the pictures with headless Chromium:", flush=True)
            browser = Chromium(binary, profile)
            return take_pictures(browser, base, ids, IMAGES)
        except BrowserError as error:
            sys.exit(f"Taking the pictures failed: {error} (Odoo's log: {LOG})")
        finally:
            if browser:
                browser.close()
            shutil.rmtree(profile, ignore_errors=True)
            stop_odoo(server, timeout=30)


# -- the Apps page -------------------------------------------------------------------------------
def inline(text):
    """Markdown's inline marks (code, images, links, bold, italics) as HTML, the rest escaped."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        part = html.escape(part, quote=False)
        part = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", lambda m: f'<img src="{m[2]}" alt="{m[1]}"/>', part)
        part = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: f'<a href="{m[2]}">{m[1]}</a>', part)
        part = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", part)
        part = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", part)
        out.append(part)
    return "".join(out)


def markdown_to_html(text, heading_offset=0):
    """The small Markdown the readme fragments use: headings, paragraphs, lists, code blocks."""
    html_lines, paragraph, items, kind, code = [], [], [], None, None

    def flush():
        nonlocal kind
        if paragraph:
            html_lines.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            html_lines.append(f"<{kind}>" + "".join(f"<li>{inline(item)}</li>" for item in items) + f"</{kind}>")
            items.clear()
            kind = None

    for line in text.splitlines():
        if code is not None:
            if line.startswith("```"):
                html_lines.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
                code = None
            else:
                code.append(line)
            continue
        stripped = line.strip()
        bullet = re.match(r"^([-*]|\d+\.)\s+(.*)", stripped)
        if line.startswith("```"):
            flush()
            code = []
        elif not stripped:
            flush()
        elif heading := re.match(r"^(#{1,6})\s+(.*)", stripped):
            flush()
            level = min(len(heading[1]) + heading_offset, 6)
            html_lines.append(f"<h{level}>{inline(heading[2])}</h{level}>")
        elif bullet and not line.startswith("  "):
            new_kind = "ol" if bullet[1][0].isdigit() else "ul"
            if paragraph or (items and kind != new_kind):
                flush()
            kind = new_kind
            items.append(bullet[2])
        elif items and line.startswith("  "):
            items[-1] += " " + stripped  # a list item's continuation
        else:
            paragraph.append(stripped)
    flush()
    return "\n".join(html_lines)


def description_images():
    """The pictures the readme fragments show, as ``(source in docs/images, copy beside index.html)``."""
    pictures = []
    for path in sorted(README_FRAGMENTS.glob("*.md")):
        for name in re.findall(r"\]\(\.\./static/description/([\w.-]+\.png)\)", path.read_text(encoding="utf-8")):
            pictures.append((IMAGES / name, DESCRIPTION / name))
    return pictures


def copy_description_images():
    """Smaller copies of the fragments' pictures beside index.html, where Odoo serves them."""
    from PIL import Image  # Odoo's own dependency

    for source, target in description_images():
        if not source.exists():
            sys.exit(f"{source.relative_to(pg.ROOT)} is missing: run make screenshots")
        with Image.open(source) as image:
            image = image.convert("RGB")
            if image.width > DESCRIPTION_IMAGE_WIDTH:
                height = round(image.height * DESCRIPTION_IMAGE_WIDTH / image.width)
                image = image.resize((DESCRIPTION_IMAGE_WIDTH, height), Image.LANCZOS)
            # 256 colours are plenty for flat screens, and a third of the bytes
            image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            image.save(target, optimize=True)


def write_description():
    """``static/description/index.html`` from the manifest and the readme fragments."""
    manifest = (ADDON / "__manifest__.py").read_text(encoding="utf-8")
    values = ast.literal_eval(manifest[manifest.index("{") :])
    sections = []  # Odoo's Apps page heads the page with the manifest's name and summary itself
    for name, title in (("DESCRIPTION", None), ("CONFIGURE", "Configuration"), ("USAGE", "Usage")):
        path = README_FRAGMENTS / f"{name}.md"
        if not path.exists():
            continue
        if title:
            sections.append(f"<h2>{title}</h2>")
        body = markdown_to_html(path.read_text(encoding="utf-8"), heading_offset=2)
        sections.append(body.replace('src="../static/description/', 'src="'))
    sections.append(
        f"<h2>Credits</h2><p>{html.escape(values['author'])}, {html.escape(values['license'])}. "
        f'<a href="{html.escape(values["website"])}">{html.escape(values["website"])}</a></p>'
    )
    page = (
        "<!-- Generated by `make description` (tools/screenshots.py) from lead_tracking/readme/*.md:"
        " edit those, not this file. -->\n"
        '<section class="oe_container">\n<div class="oe_row oe_spaced">\n'
        + "\n".join(sections)
        + "\n</div>\n</section>\n"
    )
    (DESCRIPTION / "index.html").write_text(page, encoding="utf-8")
    print(f"Wrote {(DESCRIPTION / 'index.html').relative_to(pg.ROOT)}")


def main(argv=None):
    """Entry point of ``make screenshots`` (and ``make description``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--description-only", action="store_true", help="only regenerate static/description from readme/*.md"
    )
    args = parser.parse_args(argv)
    if not args.description_only:
        require_odoo()
        binary = find_chromium()
        if not binary:
            sys.exit("The pictures need Chromium: install Debian's chromium package (apt install chromium).")
        written = make_screenshots(binary)
        print(f"Wrote {len(written)} pictures under {IMAGES.relative_to(pg.ROOT)}/")
    copy_description_images()
    write_description()
    return 0


if __name__ == "__main__":
    sys.exit(main())
