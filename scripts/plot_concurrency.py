#!/usr/bin/env python3
"""Plots flows/s against concurrent flows per store, as SVG, from the CSV the issuance_flow bench
writes (target/bench-results/issuance_concurrency.csv: store,concurrency,flows_per_s).

Usage: python3 scripts/plot_concurrency.py [CSV] [SVG]
Defaults: target/bench-results/issuance_concurrency.csv -> benches/concurrency.svg.
Standard library only.
"""

import csv
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
W, H = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 170, 40, 50


def read(path):
    series = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            series.setdefault(row["store"], []).append(
                (int(row["concurrency"]), float(row["flows_per_s"]))
            )
    for points in series.values():
        points.sort()
    return series


def nice_ceiling(v):
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


def plot(series):
    xs = sorted({c for pts in series.values() for c, _ in pts})
    ymax = nice_ceiling(max(v for pts in series.values() for _, v in pts) * 1.05)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    # x: log2 spacing of the concurrency levels.
    lx = [math.log2(x) for x in xs]
    span = (max(lx) - min(lx)) or 1.0

    def px(c):
        return LEFT + (math.log2(c) - min(lx)) / span * pw

    def py(v):
        return TOP + ph - v / ymax * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{W / 2 - 60}" y="22" font-size="14">issuance_flow: flows/s against '
        "concurrent flows</text>",
    ]
    for i in range(6):
        v = ymax * i / 5
        y = py(v)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{v:.0f}</text>')
    for c in xs:
        x = px(c)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle">{c}</text>')
    out.append(
        f'<text x="{LEFT + pw / 2}" y="{H - 10}" text-anchor="middle">concurrent flows</text>'
    )
    out.append(
        f'<text x="16" y="{TOP + ph / 2}" transform="rotate(-90 16 {TOP + ph / 2})" '
        'text-anchor="middle">flows/s</text>'
    )
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>'
    )
    for i, (store, pts) in enumerate(sorted(series.items())):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{px(c):.1f},{py(v):.1f}" for c, v in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c, v in pts:
            out.append(f'<circle cx="{px(c):.1f}" cy="{py(v):.1f}" r="3" fill="{colour}"/>')
        ly = TOP + 16 + i * 20
        out.append(
            f'<line x1="{LEFT + pw + 12}" y1="{ly - 4}" x2="{LEFT + pw + 32}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        out.append(f'<text x="{LEFT + pw + 38}" y="{ly}">{store}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/bench-results/issuance_concurrency.csv"
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "benches/concurrency.svg"
    dst.write_text(plot(read(src)))
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
