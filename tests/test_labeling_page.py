"""The annotation page in headless Chromium: an annotator names themself, labels items by
clicking and by keyboard shortcuts, skips and comments; every answer is read back from the
label store, and progress counts the queue with its gold items."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from axiom_features.labeling.queue import AnnotationQueue, candidate_items, mix_gold
from axiom_features.labeling.schema import GoldItem, LabelClass, LabelSchema
from axiom_features.labeling.server import AnnotationApp, make_server
from axiom_features.labeling.store import JsonlLabelStore
from axiom_features.synthetic.bars import generate_bars
from tests.browser import Browser, chromium

END = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> AnnotationApp:
    bars = generate_bars(["AAA", "BBB"], 80, seed=5, end=END)
    items = candidate_items(bars, every=10)
    gold = [items[1]]
    schema = LabelSchema(
        name="regime", version=1, guideline="Label the regime of the highlighted bar.",
        classes=[LabelClass(value=-1, name="bear", key="1"),
                 LabelClass(value=0, name="range", key="2"),
                 LabelClass(value=1, name="bull", key="3")],
        gold=[GoldItem(item=gold[0], value=1)],
    )  # fmt: skip
    queue = AnnotationQueue(mix_gold(items, gold, every=2))
    per_symbol = {s: g.reset_index(drop=True) for s, g in bars.groupby("symbol")}
    return AnnotationApp(schema, queue, per_symbol, JsonlLabelStore(tmp_path / "events.jsonl"))


@pytest.fixture
def url(app: AnnotationApp) -> Iterator[str]:
    server = make_server(app, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    driven = Browser(chromium(), tmp_path / "chromium-profile")
    yield driven
    driven.close()


def _shown_item(browser: Browser) -> str:
    return browser.evaluate("document.querySelector('#item').dataset.item")


def _advance(browser: Browser, before: str) -> None:
    browser.wait_for(f"document.querySelector('#item') && "
                     f"document.querySelector('#item').dataset.item !== {before!r}")  # fmt: skip


@pytest.mark.e2e
def test_labels_by_click_and_key_skip_and_comment_land_in_the_store(
    app: AnnotationApp, url: str, browser: Browser
) -> None:
    browser.goto(url)
    browser.click("#annotator")
    browser.type_text("ana")
    browser.click("#start")
    browser.wait_for("document.querySelector('#item')")
    total = len(app.queue.items)
    assert browser.evaluate("document.querySelector('#progress').textContent") == f"0 / {total}"
    assert browser.evaluate("document.querySelectorAll('#chart rect.candle').length") > 20
    assert browser.evaluate("document.querySelectorAll('#features td').length") == 5
    assert browser.evaluate("[...document.querySelectorAll('button.choice')]"
                            ".map(b => b.dataset.key).join()") == "1,2,3"  # fmt: skip

    first = _shown_item(browser)
    browser.click("button.choice[value='1']")  # bull, by mouse
    _advance(browser, first)
    second = _shown_item(browser)
    browser.press("1")  # bear, by keyboard
    _advance(browser, second)
    third = _shown_item(browser)
    browser.click("#comment")
    browser.type_text("gap at the open")
    browser.click("#skip")
    _advance(browser, third)
    fourth = _shown_item(browser)
    browser.press("2")  # range
    _advance(browser, fourth)

    assert browser.evaluate("document.querySelector('#progress').textContent") == f"4 / {total}"
    events = app.store.events()
    labels = events[events["action"] == "label"].set_index("item")["value"].to_dict()
    assert labels == {first: 1, second: -1, fourth: 0}
    assert set(events["annotator"]) == {"ana"}
    assert set(events["schema"]) == {"regime@1"}
    skipped = events[events["action"] == "skip"]
    assert list(skipped["item"]) == [third]
    comments = events[events["action"] == "comment"]
    assert list(zip(comments["item"], comments["comment"], strict=True)) == [
        (third, "gap at the open")
    ]
    assert app.schema.gold[0].item in {first, second, third, fourth}  # gold is mixed in early
