"""One stylesheet system (issue 15, front end): no ``<style>`` block and no inline ``style=``
attribute in any HTML template. The Content-Security-Policy would block them in the browser anyway;
the only exception is the WeasyPrint document templates, rendered to PDF and never served as pages."""

import re
from pathlib import Path

import clusterdesk

ROOT = Path(clusterdesk.__file__).resolve().parent

# The PDF documents (WeasyPrint): their print base and the templates that extend it, by path.
WEASYPRINT_DOCUMENTS = {
    "documents/templates/documents/print_base.html",
    "documents/templates/documents/attachment1.html",
    "documents/templates/documents/briefing.html",
    "documents/templates/documents/letter.html",
    "documents/templates/documents/reference.html",
}

STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""[\s"'{}%]style\s*=""", re.IGNORECASE)


def templates():
    return sorted(p for p in ROOT.glob("**/templates/**/*.html"))


def offences(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if STYLE_BLOCK.search(line):
            found.append(f"{number}: <style> block")
        if STYLE_ATTRIBUTE.search(line):
            found.append(f"{number}: style= attribute")
    return found


def test_no_style_blocks_or_inline_styles_in_templates():
    assert len(templates()) > 50  # the scan sees the project's templates
    bad = {}
    for path in templates():
        relative = path.relative_to(ROOT).as_posix()
        if relative in WEASYPRINT_DOCUMENTS:
            continue
        found = offences(path.read_text(encoding="utf-8"))
        if found:
            bad[relative] = found
    assert not bad, f"Move these styles into clusterdesk/core/static/css/: {bad}"


def test_the_allow_list_holds_only_weasyprint_documents():
    for relative in WEASYPRINT_DOCUMENTS:
        text = (ROOT / relative).read_text(encoding="utf-8")
        assert relative.endswith("print_base.html") or '{% extends "documents/print_base.html" %}' in text, relative


def test_the_scan_catches_both_forms():
    assert offences('<div class="x" style="color: red">') == ["1: style= attribute"]
    assert offences("<STYLE>p { color: red }</STYLE>") == ["1: <style> block"]
    assert offences('<td{% if x %} style="width: 5em"{% endif %}>') == ["1: style= attribute"]
    assert offences('<link rel="stylesheet" href="app.css"><p data-style="x">') == []
