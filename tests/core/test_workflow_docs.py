"""docs/workflows.md and its pictures are generated from the tables and kept current."""

from pathlib import Path

from clusterdesk.core.workflow_docs import all_machines, render_all

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_workflow_docs_match_the_tables():
    stale = [path for path, content in render_all().items()
             if not (DOCS / path).exists() or (DOCS / path).read_text(encoding="utf-8") != content]
    assert stale == [], f"run `manage.py workflow_docs` and commit: {stale}"


def test_every_machine_is_drawn_with_every_state_it_uses():
    files = render_all()
    for m in all_machines():
        picture = files[f"workflows/{m.name.replace('.', '-')}.svg"]
        for t in m.transitions:
            assert m.state_label(t.target) in picture
        assert f"`{m.name}`" in files["workflows.md"]


def test_application_tracks_are_registered():
    names = {m.name for m in all_machines()}
    assert {"application.provincial", "application.national"} <= names
