"""The hostile-string corpus (issue 21, item 2): text a scenario may hold that every face must
print literally — the terminal tables and JSON (``tests/cli/test_hostile_text.py``), the report
HTML (``tests/report/``) and the web pages in a real browser (``tests/web/
test_hostile_browser.py``). Control characters are not here: the loader refuses them
(``tests/scenario/broken/control-character-in-name.yaml``)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: printed literally by every face (terminal, JSON, report HTML, web page)
HOSTILE = [
    "Sanctions [/] relief",
    "[bold]x",
    "[/bold]closed",
    "EU [2015] [/]",
    "[link=https://example.com]click[/link]",
    "<script>alert(1)</script>",
    "{{ 7 * 7 }} {% if x %}",
    "file.yaml:100: :smile: :100:",
    "bidi \u202eevil\u202c and \u2066isolate\u2069",
    "w" + "x" * 300,
]

#: for a browser besides: each would set ``window.__pwned`` if the page ran it as code
SCRIPTED = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '"></title><svg onload="window.__pwned = 3">',
    "</script><script>window.__pwned = 4</script>",
    "{{constructor.constructor('window.__pwned = 5')()}}",
    "javascript:window.__pwned = 6",
    "${window.__pwned = 7}",
    "&lt;b&gt;not bold&lt;/b&gt; &amp;amp;",
]


def hostile_scenario(strings: list[str], scenario_id: str = "hostile") -> str:
    """A valid scenario (YAML) whose title, issue labels and anchors, actor names and worldview
    labels are ``strings``: one issue per string, three actors, two worldviews."""
    q = json.dumps  # a JSON string is a YAML double-quoted scalar
    issues = "".join(
        f"  - id: i{k}\n"
        f"    label: {q(text)}\n"
        f"    scale: {{min: 0, max: 10, anchors: {{0: {q('none ' + text)}, 10: {q('full')}}}}}\n"
        for k, text in enumerate(strings)
    )

    def stances(offset: int) -> str:
        return "".join(
            f"      i{k}:\n"
            f'        position: {{value: {(k + offset) % 11}, assumption: "a reading"}}\n'
            f'        salience: {{value: 0.5, assumption: "a reading"}}\n'
            for k in range(len(strings))
        )

    actors = "".join(
        f"  - id: a{n}\n"
        f"    name: {q(strings[n % len(strings)])}\n"
        f'    capability: {{value: {1 + n}, assumption: "a reading"}}\n'
        f"    stances:\n{stances(3 * n)}"
        for n in range(3)
    )
    worldviews = "".join(
        f"  - id: w{n}\n"
        f"    label: {q(strings[(n + 1) % len(strings)])}\n"
        f'    assumption: "a reading"\n'
        f"    overrides:\n"
        f"      - path: actors.a0.stances.i0.position\n"
        f'        value: {{value: {2 + n}, assumption: "another reading"}}\n'
        for n in range(2)
    )
    return (
        f"detente: 1\nid: {scenario_id}\ntitle: {q(strings[0] + ' scenario')}\n"
        f"issues:\n{issues}actors:\n{actors}worldviews:\n{worldviews}"
    )


CHROMIUM = "/usr/bin/chromium"


@contextmanager
def chromium_page() -> Iterator[tuple[Any, list[str]]]:
    """A page in Debian's headless Chromium (driven by Playwright's Python package) and the
    list of its console errors and uncaught page errors, as ``tests/web/test_web_browser.py``
    drives it. The caller skips when Chromium or Playwright is absent."""
    from playwright.sync_api import sync_playwright

    from detente.report.pdf import CHROMIUM_FLAGS

    profile = tempfile.mkdtemp(prefix="detente-chromium-")
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=list(CHROMIUM_FLAGS),
                viewport={"width": 1400, "height": 1000},
            )
            context.set_default_timeout(60_000)
            page = context.new_page()
            page.on(
                "console",
                lambda m: (
                    problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            try:
                yield page, problems
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def text_of(page: Any, selector: str = "body") -> str:
    """The DOM text (``textContent``) under ``selector``: what the page shows as text, not as
    markup."""
    return str(page.eval_on_selector(selector, "el => el.textContent"))


def pwned(page: Any) -> Any:
    """What a hostile string that ran as code set (``None``: nothing ran)."""
    return page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")
