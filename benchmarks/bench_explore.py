"""viz.explore benchmark: the page for micrograd's demo loss.

Run ``./run bench`` or ``.venv/bin/python benchmarks/bench_explore.py [--rounds N]
[--screenshot docs/images/explore.png]``. The loss is micrograd's demo loss for one
sample with the L2 term (``MLP(2, [16, 16, 1])``, 1,662 nodes). Prints, as medians:
the time to build the page (target at most 2 s) next to ``draw_dot`` of the same
loss as a reference measured in the same run, the page size (budget 2 MB), and the
time until the page is interactive in headless chromium (target at most 1 s; needs
Debian's ``chromium``). ``--screenshot`` also saves the README's pictures (light, and ``-dark``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import median_time

import nn
from engine import Value, topological_order
from viz import draw_dot, explore

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def demo_loss() -> Value:
    """micrograd's demo loss for one sample, L2 term included."""
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    x = [Value(0.5, label="x0"), Value(-0.3, label="x1")]
    return nn.losses.hinge(model(x), 1.0) + nn.l2_penalty(model.parameters(), 1e-4)


def neuron() -> tuple[Value, list[Value]]:
    """The lecture's neuron, tanh(x1*w1 + x2*w2 + b), and its parameters."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [w1, w2, b]


def browser_figures(page_file: Path, rounds: int, screenshot: Path | None) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("time until interactive: skipped (pip install playwright)")
        return
    if not Path("/usr/bin/chromium").exists():
        print("time until interactive: skipped (apt-get install chromium)")
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        ready, loaded, script = [], [], []
        for _ in range(rounds):
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            start = time.perf_counter()
            page.goto(page_file.as_uri())
            page.wait_for_selector(".gg-x[data-interactive='1']")
            loaded.append(time.perf_counter() - start)
            ready.append(int(page.get_attribute(".gg-x", "data-ready-ms")) / 1000)
            script.append(int(page.get_attribute(".gg-x", "data-script-ms")) / 1000)
            page.close()
        print(f"time until interactive (navigation start to script done): "
              f"{statistics.median(ready):.2f} s (target <= 1 s), of which the page's script "
              f"{statistics.median(script):.2f} s; seen from Python "
              f"{statistics.median(loaded):.2f} s")
        if screenshot is not None:
            with tempfile.TemporaryDirectory() as folder:
                out, params = neuron()
                small = explore(out, params=params).save(Path(folder) / "neuron.html")
                pinned = f"[data-n='{len(topological_order(out)) - 3}']"
                dark = screenshot.with_name(f"{screenshot.stem}-dark{screenshot.suffix}")
                for path, scheme in ((screenshot, "light"), (dark, "dark")):
                    page = browser.new_page(viewport={"width": 1100, "height": 600},
                                            color_scheme=scheme)
                    page.goto(small.as_uri())
                    for _ in range(6):
                        page.keyboard.press("ArrowRight")
                    page.click(pinned)
                    page.locator(".gg-x").screenshot(path=str(path))
                    page.close()
                    print(f"screenshot: {path}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    loss = demo_loss()
    print(f"demo loss, 1 sample, L2 term: {len(topological_order(loss)):,} nodes")
    build = median_time(lambda: explore(loss), args.rounds)
    reference = median_time(lambda: draw_dot(loss).pipe("svg"), args.rounds)
    page = explore(loss)
    size = len(page.html.encode("utf-8")) / 1e6
    print(f"build the page: {build:.2f} s (target <= 2 s); draw_dot SVG of the same loss: "
          f"{reference:.2f} s (ratio {build / reference:.1f}x)")
    print(f"page size: {size:.2f} MB (budget 2 MB)")
    with tempfile.TemporaryDirectory() as folder:
        browser_figures(page.save(Path(folder) / "demo.html"), args.rounds, args.screenshot)


if __name__ == "__main__":
    sys.exit(main())
