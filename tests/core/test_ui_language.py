"""No machine identifiers in what a screen reader says (issue 15 §9): every aria-label in the
templates is Chinese and names no code (rule, item or set codes are identifiers, not words)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "clusterdesk"
ARIA = re.compile(r'aria-label="([^"]*)"')


def test_aria_labels_are_chinese_and_name_no_code():
    bad = []
    for path in ROOT.rglob("*.html"):
        for label in ARIA.findall(path.read_text(encoding="utf-8")):
            if label == "{{ aria }}":  # core/_file_input.html passes its caller's label through
                continue
            if not re.search(r"[\u4e00-\u9fff]", label) or re.search(r"\.code\b|\bcode\s*}}", label):
                bad.append(f"{path.relative_to(ROOT)}: {label}")
    assert bad == []
