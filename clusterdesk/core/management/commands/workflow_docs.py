"""Write docs/workflows.md and docs/workflows/*.svg from the state-machine tables."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from clusterdesk.core.workflow_docs import render_all


class Command(BaseCommand):
    help = "Generate docs/workflows.md and one SVG per state machine from the workflow tables"

    def add_arguments(self, parser):
        parser.add_argument("--docs", default=str(Path(settings.BASE_DIR) / "docs"),
                            help="the docs folder (default: the repository's docs/)")

    def handle(self, *args, docs, **options):
        root = Path(docs)
        (root / "workflows").mkdir(parents=True, exist_ok=True)
        for stale in (root / "workflows").glob("*.svg"):
            stale.unlink()
        for relative, content in render_all().items():
            (root / relative).write_text(content, encoding="utf-8")
            self.stdout.write(f"wrote {root / relative}")
