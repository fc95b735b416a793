"""Docs that cannot drift: the README's settings table is the one ``rag.config`` makes."""

from rag.config import PROJECT_ROOT, settings_table


def test_readme_settings_table_is_generated_from_the_resolver():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, (
        "The README's settings table differs from rag/config.py's _SPEC; regenerate it with "
        "`python -m rag.config` and paste it under 'Settings'.")
