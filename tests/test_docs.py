"""The docs that are generated from code must match the code."""

from pathlib import Path

from iea_desktop.core.ops import REGISTRY, registry_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_tool_table_is_current():
    assert (ROOT / "docs" / "tools.md").read_text(encoding="utf-8") == registry_markdown(), "run `make docs`"


def test_tool_table_lists_every_op():
    table = registry_markdown()
    assert all(f"**{name}**" in table for name in REGISTRY)
