"""docs/benchmarks.md holds only what the benchmark scripts write; notes by hand live in docs/notes/."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def docs_section(benchmark_script):
    return benchmark_script("docs_section")


def test_the_page_is_its_header_and_generated_sections_only(docs_section):
    text = docs_section.BENCHMARKS_MD.read_text()
    sections = docs_section.sections(text)
    assert sections, "no generated section found"
    assert text == docs_section.TITLE + "\n" + "\n\n".join(sections) + "\n"


def test_the_header_links_to_notes_that_exist(docs_section):
    links = re.findall(r"\]\((notes/[^)]*)\)", docs_section.TITLE)
    assert links and all((DOCS / link).exists() for link in links)


def test_a_section_is_replaced_in_place_and_a_new_one_appended(docs_section, tmp_path):
    page = tmp_path / "benchmarks.md"
    docs_section.write_section("a", "first", page)
    docs_section.write_section("b", "second", page)
    docs_section.write_section("a", "again", page)
    text = page.read_text()
    assert text.startswith(docs_section.TITLE)
    assert docs_section.sections(text) == [
        "<!-- begin a -->\nagain\n<!-- end a -->",
        "<!-- begin b -->\nsecond\n<!-- end b -->",
    ]


def test_publish_prints_and_writes_a_section_or_exits_with_the_error_writing_nothing(
    docs_section, tmp_path, capsys
):
    from pvdefects.errors import UserError

    page = tmp_path / "benchmarks.md"
    docs_section.publish("a", lambda: "result", page)
    assert "result" in capsys.readouterr().out and docs_section.sections(page.read_text())

    def missing_run():
        raise UserError("runs/x: not a finished cross-validation")

    with pytest.raises(SystemExit, match="error: runs/x: not a finished cross-validation"):
        docs_section.publish("b", missing_run, page)
    assert len(docs_section.sections(page.read_text())) == 1
