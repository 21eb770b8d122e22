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

from collections import deque
from html import escape

from django.utils.module_loading import autodiscover_modules

from .workflow import MACHINES, Machine

BOX_W, BOX_H = 150, 34
COL_GAP, ROW_GAP = 120, 36
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
    depth: dict[str, int] = {}
    starts = [m.initial] if m.initial else order[:1]
    queue = deque((s, 0) for s in starts)
    while queue:
        state, d = queue.popleft()
        if state in depth:
            continue
        depth[state] = d
        for t in m.outgoing(state):
            if t.target not in depth:
                queue.append((t.target, d + 1))
    for s in order:  # states only reached by system moves or not at all: after the others
        depth.setdefault(s, max(depth.values(), default=-1) + 1)
    rows: dict[int, int] = {}
    place = {}
    for s in order:
        col = depth[s]
        place[s] = (col, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    return place


def _xy(col: int, row: int) -> tuple[int, int]:
    return MARGIN + col * (BOX_W + COL_GAP), MARGIN + 28 + row * (BOX_H + ROW_GAP)


def svg(m: Machine) -> str:
    place = _layout(m)
    cols = max(c for c, _ in place.values()) + 1
    rows = max(r for _, r in place.values()) + 1
    width = MARGIN * 2 + cols * BOX_W + (cols - 1) * COL_GAP
    height = MARGIN * 2 + 28 + rows * BOX_H + (rows - 1) * ROW_GAP + 40
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
    for n, ((s, target), labels) in enumerate(edges.items()):
        (sc, sr), (tc, tr) = place[s], place[target]
        sx, sy = _xy(sc, sr)
        tx, ty = _xy(tc, tr)
        label = escape("／".join(labels))
        if tc > sc:
            x1, y1, x2, y2 = sx + BOX_W, sy + BOX_H / 2, tx, ty + BOX_H / 2
            mx = x1 + (x2 - x1) / 2
            out.append(f'<path d="M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}" fill="none" stroke="#44546a" '
                       f'stroke-width="1.2" marker-end="url(#arrow)"/>')
            lx, ly = mx, (y1 + y2) / 2 - 4 - (n % 2) * 11
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
