"""A static HTML + SVG snapshot of a study: what a saved notebook shows without a kernel.

The panel displays it in the same output as the widget (as the ``text/html``
alternative of the widget view), so JupyterLab shows the live widget while
GitHub and nbviewer, which cannot run widgets, show this picture of the history
and the best parameters. It is plain markup (no script), a few kilobytes even
for 10,000 trials because points are downsampled.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from .. import insights
from ..budget import best_note
from ..study import Study
from . import plotdata as pd_

__all__ = ["history_svg", "importance_svg", "snapshot_html"]

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 560, 230, 56, 14, 12, 40


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def history_svg(study: Study, cap: int = 600) -> str:
    """The value of each trial and the best-so-far line, as an inline SVG (at most ``cap`` points)."""
    d = insights.history(study.trials, study.direction, cap=cap)
    xs = d.x + d.pruned_x + d.failed_x
    ys = d.y + d.pruned_y + d.failed_y
    if not xs:
        return ""
    x0, x1 = min(xs), max(max(xs), 1)
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.05 or 1.0
    y0, y1 = y0 - pad, y1 + pad
    sx, sy = _scale(x0, x1, PAD_L, W - PAD_R), _scale(y0, y1, H - PAD_B, PAD_T)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{W}' height='{H}' viewBox='0 0 {W} {H}' "
        "style='font: 11px sans-serif; background: white'>",
        f"<line x1='{PAD_L}' y1='{H - PAD_B}' x2='{W - PAD_R}' y2='{H - PAD_B}' stroke='#999'/>",
        f"<line x1='{PAD_L}' y1='{PAD_T}' x2='{PAD_L}' y2='{H - PAD_B}' stroke='#999'/>",
    ]
    for v in (y0 + pad, (y0 + y1) / 2, y1 - pad):
        parts.append(f"<text x='{PAD_L - 4}' y='{sy(v) + 4:.1f}' text-anchor='end' fill='#555'>{v:.3g}</text>")
    for v in (x0, (x0 + x1) / 2, x1):
        parts.append(f"<text x='{sx(v):.1f}' y='{H - PAD_B + 14}' text-anchor='middle' fill='#555'>{int(v)}</text>")
    if d.best_x and not study.is_multi:  # several objectives: no best of the first one (the front is the answer)
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(d.best_x, d.best_y))
        parts.append(f"<polyline points='{pts}' fill='none' stroke='#2ca02c' stroke-width='2'/>")
    parts += [
        f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='3' fill='#1f77b4' fill-opacity='0.8'/>" for x, y in zip(d.x, d.y)
    ]
    parts += [
        f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='3' fill='#9e9e9e'/>" for x, y in zip(d.pruned_x, d.pruned_y)
    ]
    parts += [
        f"<text x='{sx(x):.1f}' y='{sy(y) + 4:.1f}' text-anchor='middle' fill='#d62728'>&#215;</text>"
        for x, y in zip(d.failed_x, d.failed_y)
    ]
    parts.append(f"<text x='{(PAD_L + W - PAD_R) / 2}' y='{H - 4}' text-anchor='middle' fill='#555'>trial</text>")
    mid = (PAD_T + H - PAD_B) / 2
    parts.append(
        f"<text x='12' y='{mid}' text-anchor='middle' fill='#555' transform='rotate(-90 12 {mid})'>value</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _importance_is_cheap(study: Study) -> bool:
    """Whether the static copy can afford the importance chart.

    Importing scikit-learn takes a second or more; a search of trivial trials would pay that many
    times its own length for a chart (``result.importance()`` and the panel's page still have it).
    """
    import sys

    spent = sum(t.duration or 0.0 for t in study.trials)
    return "sklearn.ensemble" in sys.modules or spent >= 10.0


def importance_svg(study: Study) -> str:
    """The importance bars (fANOVA, as in the panel) as an inline SVG; empty with too few trials."""
    if len(study.space.searched) < 2:
        return ""
    shares = insights.importance(study.trials, study.space, n_trees=32, n_samples=128).shares
    if not shares:  # too few complete trials: no chart rather than a misleading one
        return ""
    row, left, width = 18, 140, 300
    height = row * len(shares) + 30
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{left + width + 60}' height='{height}' "
        "style='font: 11px sans-serif; background: white'>",
        "<text x='0' y='12' fill='#333'>parameter importance (share of the variance, fANOVA)</text>",
    ]
    for i, (name, share) in enumerate(shares.items()):
        y = 22 + i * row
        parts.append(f"<text x='{left - 6}' y='{y + 11}' text-anchor='end' fill='#333'>{html.escape(name)}</text>")
        parts.append(f"<rect x='{left}' y='{y}' width='{share * width:.1f}' height='{row - 5}' fill='#1f77b4'/>")
        parts.append(f"<text x='{left + share * width + 4:.1f}' y='{y + 11}' fill='#333'>{share:.0%}</text>")
    parts.append("</svg>")
    return "".join(parts)


def snapshot_html(study: Study, _: Callable[[str], str] = str, final: bool = True) -> str:
    """Title, counts, best value and parameters, and the history plot, as static HTML."""
    c = pd_.counts(study.trials)
    best = study.best_trial
    state = ", ".join(f"{n} {_(k)}" for k, n in c.items() if n)
    now, earlier = pd_.strategy_history(study.meta, _)
    head = (
        f"<div style='font-family:sans-serif;font-size:13px'><b>jhpo</b> &middot; {_('study')} "
        f"<code>{html.escape(study.name)}</code> &middot; {_('strategy')} "
        f"<b>{html.escape(now)}</b>{f' ({html.escape(earlier)})' if earlier else ''} &middot; "
        f"{len(study.trials)} {_('trials')}"
        f" ({state})"
    )
    if not final:
        head += f" &middot; <i>{_('running')}</i>"
    space = ", ".join(f"<b>{html.escape(n)}</b> {html.escape(d.describe())}" for n, d in study.space.items())
    body = [head + "</div>", f"<div style='font-family:sans-serif;font-size:12px'>{space}</div>"]
    if study.is_multi:  # several objectives: no best, a front (result.pareto_front lists it)
        body.append(
            f"<div style='font-family:sans-serif;font-size:13px;margin:4px 0'>{_('Pareto front')}: "
            f"<b>{len(study.best_trials)}</b> {_('trials')}</div>"
        )
    if best is not None:
        chips = " &middot; ".join(
            f"<span style='color:var(--jp-ui-font-color2, #666)'>{html.escape(k)}</span> "
            f"<b>{html.escape(pd_.fmt_value(v))}</b>"
            for k, v in best.params.items()
        )
        body.append(
            f"<div style='font-family:sans-serif;font-size:13px;margin:4px 0'>{_('Best')} "
            f"<b>{pd_.fmt_value(best.value)}</b> ({_('trial')} {best.number}): {chips}</div>"
        )
        note = best_note(best, study.space)
        if note:  # no trial reached the full budget yet (jhpo.budget)
            body.append(f"<div style='font-family:sans-serif;font-size:12px;color:#666'>{html.escape(note)}</div>")
    body.append(history_svg(study))
    if final and _importance_is_cheap(study):
        body.append(importance_svg(study))
    return "<div class='jhpo-snapshot'>" + "".join(body) + "</div>"
