"""The stepper page: self-contained, and stepping through backward in a real headless browser."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from networks import lecture_network, seed_graph

import autograd
from autograd import Value
from autograd.views.chain import backprop
from autograd.views.notation import format_number

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="Graphviz's dot is not installed")


def steps_of(page: str) -> list[dict[str, Any]]:
    match = re.search(r'<script type="application/json" id="backward-steps">(.*?)</script>',
                      page, re.DOTALL)
    assert match is not None
    steps: list[dict[str, Any]] = json.loads(match.group(1))
    return steps


def test_the_page_holds_every_step_in_backward_order(tmp_path: Path) -> None:
    error, _ = lecture_network()
    page = autograd.stepper(error, tmp_path / "backprop.html").read_text(encoding="utf-8")
    steps = steps_of(page)
    record = backprop(error)
    assert [s["node"] for s in steps] == [f"v{step.node}" for step in record.steps]
    told = [s["line"] for s, step in zip(steps, record.steps, strict=True)
            if record.nodes[step.node].label or record.nodes[step.node].parents]
    assert told == autograd.explain(error).splitlines()  # which tells no constant's step
    assert [s["grad"] for s in steps] == [
        "grad " + format_number(step.grad, 4, strip=False) for step in record.steps]
    assert steps[0]["consumers"] == []
    assert all(f'id="{s["node"]}"' in page for s in steps)
    assert error.grad == 0.0  # the page computes its own backward pass


def test_forward_first_reveals_every_value_in_topological_order(tmp_path: Path) -> None:
    f = seed_graph()
    page = autograd.stepper(f, tmp_path / "p.html", forward=True).read_text(encoding="utf-8")
    steps = steps_of(page)
    order = autograd.topological_order(f)
    forward, backward = steps[:len(order)], steps[len(order):]
    assert [s["kind"] for s in forward] == ["forward"] * len(order)
    assert [s["node"] for s in forward] == [f"v{i}" for i in range(len(order))]
    assert [s["data"] for s in forward] == [
        "data " + format_number(node.data, 4, strip=False) for node in order]
    assert forward[-1]["line"] == "f = (x + y) × z = 3 × (-4) = -12"
    assert forward[-1]["inputs"] == sorted(f"v{order.index(p)}" for p in f.parents)
    assert backward == steps_of(autograd.stepper(f, tmp_path / "b.html").read_text("utf-8"))
    assert "Forward and backward pass of f, step by step" in page


def test_the_page_needs_nothing_from_outside(tmp_path: Path) -> None:
    page = autograd.stepper(seed_graph(), tmp_path / "p.html").read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page and "url(" not in page
    assert "@import" not in page and "<img" not in page and "<iframe" not in page
    outside = {m.group(0) for m in re.finditer(r"https?://[^\s\"'<>]+", page)}
    assert outside <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # names
    assert "default-src 'none'" in page


def test_labels_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    x = Value(1.0, label="</script><script>alert(1)</script>")
    page = autograd.stepper(x * 2.0, tmp_path / "p.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert page.count("</script>") == 2


def test_the_page_is_written_only_as_html(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"ending in \.html"):
        autograd.stepper(seed_graph(), tmp_path / "p.svg")
    with pytest.raises(ValueError, match="decimals"):
        autograd.stepper(seed_graph(), tmp_path / "p.html", decimals=99)
    with pytest.raises(ValueError, match="delay_ms"):
        autograd.stepper(seed_graph(), tmp_path / "p.html", delay_ms=0)
    with pytest.raises(autograd.GraphTooLargeError):
        autograd.stepper(seed_graph(), tmp_path / "p.html", max_nodes=3)
    assert list(tmp_path.iterdir()) == []


SVG = "{http://www.w3.org/2000/svg}"


def svg_of(page: str) -> ElementTree.Element:
    """The page's drawing, parsed as XML (a ParseError unless it is well-formed)."""
    return ElementTree.fromstring(page[page.index("<svg"):page.index("</svg>") + len("</svg>")])


def test_the_grad_field_is_marked_by_its_place_not_by_its_text(tmp_path: Path) -> None:
    x = Value(2.0, label="grad 5")
    y = x * Value(3.0, label="grad\nof nothing")
    y.label = "grad 1"
    page = autograd.stepper(y, tmp_path / "p.html").read_text(encoding="utf-8")
    groups = {g.get("id"): g for g in svg_of(page).iter(SVG + "g")}
    for step in steps_of(page):
        marked = [t.text for t in groups[step["node"]].iter(SVG + "text")
                  if t.get("class") == "grad"]
        assert marked == [step["grad"]]


class Page(HTMLParser):
    """What the stepper page holds, as a browser's HTML parser reads it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.titles: list[str] = []  # the page's, then the drawing's
        self.in_title = False
        self.scripts = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        if tag == "title":
            self.titles.append("")
            self.in_title = True

    def handle_endtag(self, tag: str) -> None:
        self.in_title = self.in_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.titles[-1] += data


any_text = st.text(st.characters(exclude_categories=()), max_size=12)  # controls, surrogates


@settings(max_examples=15)
@given(label=any_text)
def test_any_label_gives_a_page_that_parses(label: str) -> None:
    x = Value(1.0, label=label)
    y = x * 2.0
    y.label = label
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"stepper-{os.getpid()}.html"
    try:
        page = autograd.stepper(y, path).read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]", page)
    svg_of(page)
    parsed = Page(page)
    assert parsed.scripts == 2
    shown = re.sub(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]",
                   lambda c: ascii(c[0])[1:-1], label)
    assert parsed.titles[0] == f"Backward pass of {shown or 'the output'}, step by step"


# --- in a real browser ---


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
        reason = ("no headless browser here: the stepper's browser test needs Debian's "
                  "chromium and chromium-driver (apt-get install chromium chromium-driver)")
        if os.environ.get("CHAINRULE_REQUIRE_BROWSER") == "1":  # set by .ci/run
            pytest.fail(reason)
        pytest.skip(reason)
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1400,900"):
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def grad_text(driver: Any, node: str) -> str:
    text: str = driver.execute_script(
        "return document.getElementById(arguments[0]).querySelector('text.grad').textContent;",
        node)
    return text


def classes(driver: Any, node: str) -> str:
    value: str = driver.execute_script(
        "return document.getElementById(arguments[0]).getAttribute('class');", node)
    return value


def test_next_reveals_the_next_nodes_grad(browser: Any, tmp_path: Path) -> None:
    error, _ = lecture_network()
    path = autograd.stepper(error, tmp_path / "backprop.html", delay_ms=50)
    steps = steps_of(path.read_text(encoding="utf-8"))
    browser.get(path.as_uri())
    click = browser.find_element
    assert click("id", "counter").text == f"Step 0 of {len(steps)}"
    assert all(grad_text(browser, s["node"]) == "grad ?" for s in steps)

    click("id", "next").click()
    first, second = steps[0], steps[1]
    assert grad_text(browser, first["node"]) == "grad 1.0000"
    assert grad_text(browser, second["node"]) == "grad ?"
    assert "current" in classes(browser, first["node"])
    assert click("id", "current").text == "∂E/∂E = 1"

    click("id", "next").click()
    assert grad_text(browser, second["node"]) == second["grad"]
    assert "current" in classes(browser, second["node"])
    assert "current" not in classes(browser, first["node"])
    assert "upstream" in classes(browser, first["node"])  # second's grad comes from the root
    assert click("id", "current").text == second["line"]
    assert click("id", "counter").text == f"Step 2 of {len(steps)}"

    click("id", "prev").click()
    assert grad_text(browser, second["node"]) == "grad ?"
    assert grad_text(browser, first["node"]) == "grad 1.0000"

    w5 = next(s for s in steps if s["line"].startswith("∂E/∂w5 ="))
    assert w5["line"].endswith("= 0.082167041")
    from selenium.webdriver.support.ui import WebDriverWait

    click("id", "play").click()
    WebDriverWait(browser, 60, poll_frequency=0.2).until(
        lambda d: d.find_element("id", "counter").text == f"Step {len(steps)} of {len(steps)}")
    assert grad_text(browser, w5["node"]) == "grad 0.0822"
    assert click("id", "play").text == "Play"
    resources = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert resources == 0  # nothing fetched: no scripts, styles, fonts or images from outside


def test_a_label_starting_with_grad_is_not_taken_for_the_gradient(browser: Any,
                                                                   tmp_path: Path) -> None:
    x = Value(2.0, label="grad 5")
    y = x * 3.0
    path = autograd.stepper(y, tmp_path / "p.html")
    steps = steps_of(path.read_text(encoding="utf-8"))
    browser.get(path.as_uri())
    for _ in steps:
        browser.find_element("id", "next").click()
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.node text'))"
        ".map((t) => t.textContent);")
    assert "grad 5" in labels and "grad ?" not in labels
    assert [grad_text(browser, s["node"]) for s in steps] == [s["grad"] for s in steps]


def data_text(driver: Any, node: str) -> str:
    text: str = driver.execute_script(
        "return document.getElementById(arguments[0]).querySelector('text.data').textContent;",
        node)
    return text


def test_forward_reveals_values_before_backward_reveals_grads(browser: Any,
                                                              tmp_path: Path) -> None:
    f = seed_graph()
    path = autograd.stepper(f, tmp_path / "forward.html", forward=True)
    steps = steps_of(path.read_text(encoding="utf-8"))
    forward = [s for s in steps if s["kind"] == "forward"]
    browser.get(path.as_uri())
    click = browser.find_element
    assert click("id", "current").text == "Press Next to start the forward pass at the inputs."
    assert click("id", "forward-hint").is_displayed()
    assert all(data_text(browser, s["node"]) == "data ?" for s in forward)
    assert all(grad_text(browser, s["node"]) == "grad ?" for s in forward)
    click("id", "next").click()
    assert data_text(browser, forward[0]["node"]) == forward[0]["data"]
    assert data_text(browser, forward[1]["node"]) == "data ?"
    for _ in forward[1:]:
        click("id", "next").click()
    last = forward[-1]
    assert click("id", "current").text == last["line"] == "f = (x + y) × z = 3 × (-4) = -12"
    assert "current" in classes(browser, last["node"])
    assert all("upstream" in classes(browser, node) for node in last["inputs"])
    assert all(data_text(browser, s["node"]) == s["data"] for s in forward)
    assert grad_text(browser, last["node"]) == "grad ?"
    click("id", "next").click()  # the backward pass starts at the output
    assert grad_text(browser, last["node"]) == "grad 1.0000"
    assert click("id", "current").text == "∂f/∂f = 1"
    assert all("upstream" not in classes(browser, node) for node in last["inputs"])
    click("id", "prev").click()
    assert grad_text(browser, last["node"]) == "grad ?"
    assert data_text(browser, last["node"]) == last["data"]


def test_without_a_path_the_page_shows_inline_and_saves_as_written(tmp_path: Path) -> None:
    page = autograd.stepper(seed_graph(), forward=True)
    assert isinstance(page, autograd.StepperPage)
    written = autograd.stepper(seed_graph(), tmp_path / "written.html", forward=True)
    assert page.html == written.read_text(encoding="utf-8")
    assert page.save(tmp_path / "saved.htm").read_bytes() == written.read_bytes()
    frame = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" style="[^"]*">'
                         r"</iframe>", page._repr_html_())
    assert frame is not None  # the page's quotes are escaped: the attribute ends only here
    assert html.unescape(frame[1]) == page.html
    assert "<" not in frame[1]
    with pytest.raises(ValueError, match=re.escape("give a path ending in .html, not 'p.svg'")):
        page.save(tmp_path / "p.svg")
