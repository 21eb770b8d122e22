"""Every file input is the shared picker (issue 15 §9): no bare <input type="file"> in a template
but core/_file_input.html, and form file fields render through it."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "clusterdesk"
PARTIAL = "core/templates/core/_file_input.html"


def test_no_template_draws_a_native_file_input():
    offenders = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
                 if 'type="file"' in p.read_text(encoding="utf-8") and not str(p).endswith(PARTIAL)]
    assert offenders == []


def test_a_form_file_field_renders_the_shared_picker(accounts, client, criteria_sets):
    client.force_login(accounts["province"])

    body = client.get("/criteria/import/").content.decode()

    assert 'class="file-pick-input"' in body and 'class="btn file-pick-btn">选择文件…</label>' in body
    assert "未选择文件" in body and "js/file_pick.js" in body
