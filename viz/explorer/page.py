"""The explorer as HTML: one fragment (for notebooks) or one whole file.

Everything is inline -- styles, script, data, picture -- so the page needs no
network, server or kernel. Without JavaScript (an untrusted notebook, a
viewer that strips scripts) the fragment still shows the SVG with the final
values and a one-line note; the script hides the note and adds the controls.
All styles are scoped under ``.gg-x`` and the script finds its own root by
id, so several explorers on one page do not interfere.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from viz.dot import KIND_NAMES
from viz.explorer.canvas import esc
from viz.explorer.painter import COLORS
from viz.explorer.scene import Scene

__all__ = ["document", "fragment"]

NO_SCRIPT_NOTE = (
    "Static picture with the final values: JavaScript does not run here (e.g. an untrusted "
    "notebook). Trust the notebook, or .save() the explorer and open the file, to step through."
)
LEGEND_NAMES = {**KIND_NAMES, "gradient": "gradient graph", "scope": "group (click + to expand)"}
"""What the legend calls each kind: ``draw_dot``'s names, and the explorer's own."""
HELP = ("keys: ← → step · space play/pause · Home/End · Esc collapses groups · Ctrl+wheel zoom · "
        "drag to pan · hover a node for details, click to pin")


@cache
def _asset(name: str) -> str:
    return resources.files("viz.explorer").joinpath(name).read_text(encoding="utf-8")


def _legend(kinds: set[str], color_grad: bool) -> str:
    names = dict(LEGEND_NAMES)
    if "gradient" in kinds:  # a gradient graph beside the forward graph it reuses
        names["computed"] = "computed (forward graph)"
    items = [f'<span class="gg-key k-{kind}"><i style="background:{COLORS[kind]}"></i>'
             f"{names[kind]}</span>" for kind in names if kind in kinds]
    items += ['<span class="gg-key"><i class="gg-sw-fill"></i>just filled in</span>',
              '<span class="gg-key"><i class="gg-sw-act"></i>passing its gradient on</span>',
              '<span class="gg-key"><i class="gg-sw-path"></i>path / search match</span>']
    if color_grad:
        items.append('<span class="gg-key"><i class="gg-sw-scale"></i>'
                     "grad: blue −, white 0, orange +</span>")
    return f'<div class="gg-legend">{"".join(items)}<div class="gg-help">{esc(HELP)}</div></div>'


CONTROLS = """<div class="gg-ui" hidden><div class="gg-bar">
<span class="gg-modes"><button type="button" data-act="forward">forward</button><button
 type="button" data-act="backward">backward</button></span>
<button type="button" data-act="first" title="first step (Home)">⇤</button><button type="button"
 data-act="prev" title="step back (←)">◀ back</button><button type="button" data-act="play"
 title="play / pause (space)" class="gg-play">play ▶</button><button type="button" data-act="next"
 title="step forward (→)">step ▶</button><button type="button" data-act="last"
 title="last step (End)">⇥</button>
<label class="gg-speed">speed <select data-act="speed"><option value="1">1/s</option><option
 value="2" selected>2/s</option><option value="5">5/s</option><option value="15">15/s</option>
<option value="60">60/s</option></select></label>
<input type="range" class="gg-scrub" min="0" value="0" aria-label="step">
<span class="gg-count"></span></div>
<div class="gg-bar"><input type="search" class="gg-search" placeholder="search labels"
 aria-label="search nodes by label"><span class="gg-found"></span>
<select class="gg-paths" aria-label="highlight paths from a leaf to the output"></select>
<span class="gg-zoom"><button type="button" data-act="zoom-out" title="zoom out">−</button><button
 type="button" data-act="fit" title="fit the width">fit</button><button type="button"
 data-act="zoom-in" title="zoom in">+</button></span>
<button type="button" data-act="collapse" class="gg-collapse"
 title="collapse the expanded groups (Esc)" hidden>collapse groups</button>
<button type="button" data-act="theme" class="gg-theme" title="colour theme">theme: auto</button>
</div><div class="gg-cap" aria-live="polite"></div></div>"""


def fragment(scene: Scene, data: dict[str, Any], uid: str, *, color_grad: bool) -> str:
    """The explorer as an HTML fragment (what a notebook shows)."""
    kinds = {node["kind"] for node in data["nodes"]}
    kinds |= {"scope"} if scene.groups else set()
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<div class="gg-x" id="{uid}" data-theme="auto" tabindex="0">'
        f"<style>{_asset('page.css')}</style>"
        f'<div class="gg-nojs">{esc(NO_SCRIPT_NOTE)}</div>{CONTROLS}'
        f'<div class="gg-stage">{scene.svg}{scene.templates}</div>'
        f'<div class="gg-info" hidden></div>{_legend(kinds, color_grad)}'
        f'<script type="application/json" class="gg-data">{payload}</script>'
        f'<script>(function(){{"use strict";\n{_asset("page.js")}\n'
        'var me = document.currentScript;\n'
        f'glassgradExplore((me && me.closest(".gg-x")) || document.getElementById("{uid}"));'
        "})();</script></div>"
    )


def document(body: str, title: str) -> str:
    """A whole HTML file around one explorer fragment (the page listens to keys everywhere)."""
    body = body.replace('class="gg-x"', 'class="gg-x" data-page="1"', 1)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>body{{margin:16px;font-family:system-ui,sans-serif;"
        "background:#fff;color:#111827}@media (prefers-color-scheme: dark){body{"
        "background:#111827;color:#e5e7eb}}</style></head>"
        f"<body>{body}"
        "</body></html>\n"
    )
