"""Pictures and tables of every state machine, generated from the tables themselves.

``manage.py workflow_docs`` writes ``docs/workflows.md`` (a section per machine: the picture,
its states and groups, every transition with who, deadline, inputs and effects) and one SVG
per machine under ``docs/workflows/`` (printable: plain SVG, no script, CJK text in the
fonts the documents use). ``tests/core/test_workflow_docs.py`` fails when the committed files
differ from what the tables give, so the docs cannot drift from the policy.

The layout is a simple layered one: states are placed in columns by their distance from the
initial state (breadth-first over the transitions), one row per state in a column; arrows go
from the right edge of a source box to the left edge of the target box (or loop back below
the boxes when the target is in an earlier column), each labelled with the action.
"""

from __future__ import annotations

from html import escape

from django.utils.module_loading import autodiscover_modules

from .workflow import MACHINES, Machine

BOX_W, BOX_H = 150, 34
COL_GAP, ROW_GAP = 150, 36
MARGIN = 24
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', sans-serif"


def all_machines() -> list[Machine]:
    """Every machine of the product, in a stable order (each app's ``workflow`` module)."""
    autodiscover_modules("workflow")
    return [MACHINES[name] for name in sorted(MACHINES)]


def _layout(m: Machine) -> dict[str, tuple[int, int]]:
    """(column, row) of each state that appears in the table."""
    used = {s for t in m.transitions for s in (*t.sources, t.target)}
    if m.initial:
        used.add(m.initial)
    order = [s for s in m.states.values if s in used]
    # Columns: the longest forward path from the initial state, where "forward" leaves out the
    # edges that close a cycle (found by a depth-first walk): a process reads left to right.
    succ = {s: [] for s in order}
    for t in m.transitions:
        for src in t.sources:
            if t.target not in succ[src]:
                succ[src].append(t.target)
    back: set[tuple[str, str]] = set()
    seen: set[str] = set()

    def walk(state: str, stack: list[str]) -> None:
        seen.add(state)
        stack.append(state)
        for nxt in succ[state]:
            if nxt in stack:
                back.add((state, nxt))
            elif nxt not in seen:
                walk(nxt, stack)
        stack.pop()

    for start in ([m.initial] if m.initial else []) + order:
        if start not in seen:
            walk(start, [])
    depth: dict[str, int] = {}

    def longest(state: str) -> int:
        if state not in depth:
            ins = [src for src in order if state in succ[src] and (src, state) not in back]
            depth[state] = 1 + max((longest(src) for src in ins), default=-1)
        return depth[state]

    for s in order:
        longest(s)
    # Rows: column by column, each state near the mean row of the states that lead to it
    # (one barycentre pass), which keeps most arrows short and uncrossed.
    preds: dict[str, list[str]] = {s: [] for s in order}
    for t in m.transitions:
        for src in t.sources:
            if depth[src] < depth[t.target]:
                preds[t.target].append(src)
    place: dict[str, tuple[int, int]] = {}
    for col in sorted(set(depth.values())):
        members = [s for s in order if depth[s] == col]
        def centre(s, members=members):
            rows = [place[p][1] for p in preds[s] if p in place]
            return (sum(rows) / len(rows) if rows else members.index(s), members.index(s))
        for row, s in enumerate(sorted(members, key=centre)):
            place[s] = (col, row)
    return place


def _xy(col: int, row: int) -> tuple[int, int]:
    return MARGIN + col * (BOX_W + COL_GAP), MARGIN + 28 + row * (BOX_H + ROW_GAP)


def svg(m: Machine) -> str:
    place = _layout(m)
    cols = max(c for c, _ in place.values()) + 1
    rows = max(r for _, r in place.values()) + 1
    width = MARGIN * 2 + cols * BOX_W + (cols - 1) * COL_GAP
    floor = _xy(0, rows - 1)[1] + BOX_H  # the bottom of the lowest box
    long_edges = sum(1 for t in m.transitions for src in t.sources if place[t.target][0] - place[src][0] > 1)
    height = floor + MARGIN + 40 + 16 * long_edges
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#44546a"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{MARGIN}" y="{MARGIN + 6}" font-size="15" font-weight="bold" fill="#1f2d3d">'
           f'{escape(m.label)}（{escape(m.field)}）</text>']
    edges: dict[tuple[str, str], list[str]] = {}
    for t in m.transitions:
        for s in t.sources:
            edges.setdefault((s, t.target), []).append(t.label)
    lane = 0
    for n, ((s, target), labels) in enumerate(edges.items()):
        (sc, sr), (tc, tr) = place[s], place[target]
        sx, sy = _xy(sc, sr)
        tx, ty = _xy(tc, tr)
        label = escape("／".join(labels))
        if tc > sc + 1:  # a long jump: under every box, so it never runs behind one
            lane += 1
            x1, y1 = sx + BOX_W, sy + BOX_H / 2 + 6  # leave right, drop in the gap between columns
            x2, y2 = tx, ty + BOX_H / 2 + 6  # climb in the gap before the target, enter from the left
            low = floor + 10 + 16 * lane
            g1, g2 = x1 + 14 + 4 * (lane % 3), x2 - 14 - 4 * (lane % 3)
            out.append(f'<path d="M{x1},{y1} L{g1 - 8},{y1} Q{g1},{y1} {g1},{y1 + 8} L{g1},{low - 8} '
                       f'Q{g1},{low} {g1 + 8},{low} L{g2 - 8},{low} Q{g2},{low} {g2},{low - 8} L{g2},{y2 + 8} '
                       f'Q{g2},{y2} {g2 + 8},{y2} L{x2},{y2}" fill="none" stroke="#44546a" stroke-width="1.1" '
                       f'marker-end="url(#arrow)"/>')
            x1, x2 = g1, g2
            lx, ly = (x1 + x2) / 2, low - 3
        elif tc > sc:
            x1, y1, x2, y2 = sx + BOX_W, sy + BOX_H / 2, tx, ty + BOX_H / 2
            mx = x1 + (x2 - x1) / 2
            out.append(f'<path d="M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}" fill="none" stroke="#44546a" '
                       f'stroke-width="1.2" marker-end="url(#arrow)"/>')
            lx, ly = x1 + (x2 - x1) * 0.42, y1 + (y2 - y1) * 0.42 - 4
        elif tc == sc:  # within a column: a bow on the right of the boxes
            x1, y1 = sx + BOX_W, sy + BOX_H / 2 + 5
            x2, y2 = tx + BOX_W, ty + BOX_H / 2 - 5
            bow = x1 + 34 + (n % 2) * 10
            out.append(f'<path d="M{x1},{y1} C{bow},{y1} {bow},{y2} {x2},{y2}" fill="none" stroke="#44546a" '
                       f'stroke-width="1.1" marker-end="url(#arrow)"/>')
            lx, ly = bow + 2, (y1 + y2) / 2 + 4
            out.append(f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="start" fill="#1f2d3d" font-size="11" '
                       f'paint-order="stroke" stroke="#ffffff" stroke-width="3">{label}</text>')
            continue
        else:  # back to an earlier column: a dashed loop under the boxes
            x1, y1 = sx + BOX_W / 2 + 12, sy + BOX_H
            x2, y2 = tx + BOX_W / 2 - 12, ty + BOX_H
            dip = max(y1, y2) + 22 + (n % 3) * 8
            out.append(f'<path d="M{x1},{y1} C{x1},{dip} {x2},{dip} {x2},{y2}" fill="none" stroke="#a0522d" '
                       f'stroke-width="1.1" stroke-dasharray="4 3" marker-end="url(#arrow)"/>')
            lx, ly = (x1 + x2) / 2, dip - 2
        out.append(f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" fill="#1f2d3d" font-size="11" '
                   f'paint-order="stroke" stroke="#ffffff" stroke-width="3">{label}</text>')
    for s, (c, r) in place.items():
        x, y = _xy(c, r)
        initial = s == m.initial
        stroke = "#1f4e8c" if initial else "#5b6b7f"
        out.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#eef3fa" '
                   f'stroke="{stroke}" stroke-width="{2 if initial else 1.2}"/>')
        out.append(f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 4:.0f}" text-anchor="middle" '
                   f'fill="#1f2d3d">{escape(m.state_label(s))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _names(funcs) -> str:
    return "、".join(f"`{f.__name__}`" for f in funcs) or "—"


def markdown(machines: list[Machine]) -> str:
    lines = [
        "# Workflows: every state machine, drawn from its table",
        "",
        "Generated by `manage.py workflow_docs` from the tables that run the product",
        "(`core/workflow.py` is the engine; each app's `workflow.py` holds its tables). Do not edit by",
        "hand: change the table, run the command, commit both. A test fails when this page is stale.",
        "",
        "Each picture is a plain SVG under `docs/workflows/` (print it from a browser). Solid arrows go",
        "forward; dashed ones go back to an earlier state. **list** marks a step taken for many objects",
        "at once by a list operation (a city's formal recommendation, a publicity batch, the national",
        "list), which adds its own checks (quota, batch) before moving each object.",
        "",
    ]
    for m in machines:
        slug = m.name.replace(".", "-")
        lines += [f"## {m.label} (`{m.name}`, field `{m.field}`)", "", f"![{m.label}](workflows/{slug}.svg)", ""]
        lines += ["| state | label |", "|---|---|"]
        lines += [f"| `{s.value}` | {s.label} |" for s in m.states]
        lines += ["", "State groups (used by pages, lists and other apps; defined here only):", ""]
        lines += [f"- `{name}`: " + "、".join(f"`{s}`" for s in states) for name, states in m.groups.items()]
        lines += ["", "| action | label | from | to | who | deadline | inputs | checks | effects | notifies |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for t in m.transitions:
            who = "、".join(str(r) for r in t.roles) or "system"
            inputs = "、".join(f"{i.label}{'（必填）' if i.required else ''}" for i in t.inputs) or "—"
            kind = " **list**" if t.list_action else ""
            lines.append(
                f"| `{t.action}`{kind} | {t.label} | {', '.join(f'`{s}`' for s in t.sources)} | `{t.target}` | "
                f"{who} (`{t.who.__name__}`) | {t.stage or '—'} | {inputs} | {_names(t.guards)} | "
                f"{_names((*t.effects, *t.after))} | {'、'.join(t.notify) or '—'} |")
        lines.append("")
    return "\n".join(lines)


def render_all() -> dict[str, str]:
    """{relative path under docs/: content} for every generated file."""
    machines = all_machines()
    files = {"workflows.md": markdown(machines)}
    for m in machines:
        files[f"workflows/{m.name.replace('.', '-')}.svg"] = svg(m)
    return files
