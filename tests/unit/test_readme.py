"""README.md and docs/*.md tell the truth: their code blocks run and what they name exists.

Every document (README.md and each page in docs/):

- Every code block has a known language (``sh``, ``python``, ``toml``, ``text``).
- Every ```toml block validates (every design point stable).
- Every ```sh and ```python block runs, in a fresh temporary folder, unless the
  line before its fence is ``<!-- not run: REASON -->``. An sh block may hold
  only ``kernsim`` commands (run as ``python -m kernsim.cli``); a python block
  is exec'd as it stands, without IPython's ``%`` magic lines.
- What a block reads and does not make itself (a quickstart or
  c4_fault_injection results folder, the shipped ``experiments/``) is made
  once per module, small, and copied into the block's folder.
- Every repository path it names (``experiments/…``, ``docs/…``,
  ``notebooks/…``, ``data/…``, ``model/…``, ``tests/…``, ``.ci/…``) exists;
  ``<placeholder>`` parts match anything.
- Every relative Markdown link points at a file that exists and, with a
  ``#fragment``, at a heading of that file.

The README alone: the toml block under "An experiment file in 20 lines" also
runs, as written, and writes results; and the README stays a front door of at
most MAX_README_LINES lines.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_LINES = 220

LANGUAGES = {"sh", "python", "toml", "text"}
RUNNABLE = {"sh", "python"}
FENCE = re.compile(r"^```(\S*)\s*$")
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(\S.*?)\s*-->$")
EXAMPLE_SECTION = "## An experiment file in 20 lines"


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@dataclass(frozen=True)
class Block:
    """One fenced code block of a document."""

    doc: str  # its path in the repository
    lang: str
    line: int  # of the opening fence, 1-based
    text: str
    section: str  # the "## " heading above it
    before: str  # the last non-blank line before the fence
    not_run: str | None  # the reason given, if marked

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line} ({self.lang} block)"


def parse(text: str, doc: str = "README.md") -> list[Block]:
    lines = text.splitlines()
    out, section, i = [], "", 0
    while i < len(lines):
        if lines[i].startswith("## "):
            section = lines[i].strip()
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        assert end is not None, f"{doc}:{i + 1}: code block never closed"
        before = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        mark = NOT_RUN.match(before)
        out.append(Block(doc, fence.group(1), i + 1, "\n".join(lines[i + 1:end]) + "\n",
                         section, before, mark.group(1) if mark else None))
        i = end + 1
    return out


TEXTS = {rel(path): path.read_text(encoding="utf-8") for path in DOCS}
BLOCKS = [b for doc, text in TEXTS.items() for b in parse(text, doc)]
TOML = [b for b in BLOCKS if b.lang == "toml"]
TO_RUN = [b for b in BLOCKS if b.lang in RUNNABLE and b.not_run is None]
SH = [b for b in TO_RUN if b.lang == "sh"]
PYTHON = [b for b in TO_RUN if b.lang == "python"]


def ids(blocks: list[Block]) -> list[str]:
    return [f"{b.doc}:{b.lang}-line{b.line}" for b in blocks]


# --------------------------------------------------------------------------- the README


def test_the_readme_has_blocks_of_every_kind_to_check():
    """Guards the parser: a README whose blocks it stopped seeing would pass every test."""
    mine = [b for b in BLOCKS if b.doc == "README.md"]
    assert any(b.lang == "toml" for b in mine)
    assert {b.lang for b in mine if b in TO_RUN} == RUNNABLE


def test_the_docs_are_read_too():
    """Guards the glob: the pages in docs/ are checked, and have blocks of each kind."""
    assert {"docs/README.md", "docs/design.md", "docs/configuration.md"} <= set(TEXTS)
    docs = [b for b in BLOCKS if b.doc.startswith("docs/")]
    assert {b.lang for b in docs} >= {"toml", "text"} and {b.lang for b in docs if b in TO_RUN} == RUNNABLE


def test_the_readme_is_a_front_door():
    lines = TEXTS["README.md"].count("\n")
    assert lines <= MAX_README_LINES, (
        f"README.md has {lines} lines (at most {MAX_README_LINES}): move reference material "
        "into docs/ and link to it")


def test_the_parser_sees_blocks():
    text = "## A\n\n<!-- not run: slow -->\n```sh\nkernsim x\n```\n\n```toml\na = 1\n```\n"
    sh, toml = parse(text, "docs/x.md")
    assert (sh.doc, sh.lang, sh.line, sh.section, sh.not_run) == ("docs/x.md", "sh", 4, "## A", "slow")
    assert (toml.lang, toml.text, toml.not_run) == ("toml", "a = 1\n", None)


# --------------------------------------------------------------------------- every block


@pytest.mark.parametrize("block", BLOCKS, ids=ids(BLOCKS))
def test_every_block_has_a_known_language(block):
    assert block.lang in LANGUAGES, (
        f"{block.where}: language {block.lang!r}; use one of {sorted(LANGUAGES)} "
        "(sh and python blocks run in tests/unit/test_readme.py, toml blocks validate)")


@pytest.mark.parametrize("block", BLOCKS, ids=ids(BLOCKS))
def test_a_block_that_does_not_run_says_why(block):
    """An sh or python block runs unless marked; a marker must parse and give a reason."""
    if block.before.startswith("<!--") and "run" in block.before:
        assert block.not_run, (f"{block.where}: {block.before!r}: write "
                               "'<!-- not run: REASON -->' with the reason")
    if block.not_run is not None:
        assert block.lang in RUNNABLE, f"{block.where}: only sh and python blocks may be skipped"


@pytest.mark.parametrize("block", TOML, ids=ids(TOML))
def test_every_toml_block_validates(block, tmp_path):
    from kernsim.experiment.load import load
    from kernsim.experiment.preflight import check_stable

    path = tmp_path / "block.toml"
    path.write_text(block.text, encoding="utf-8")
    exp = load(path)  # raises ConfigError naming the key
    assert exp.points, block.where
    assert check_stable(exp) == [], f"{block.where}: a design point is unstable (ρ ≥ 1)"


def test_the_experiment_example_runs(kernsim, tmp_path):
    examples = [b for b in TOML if b.doc == "README.md" and b.section == EXAMPLE_SECTION]
    assert len(examples) == 1, f"one toml block under {EXAMPLE_SECTION!r}"
    example = examples[0]
    filled = [line for line in example.text.splitlines() if line.strip()]
    assert len(filled) <= 20, f"{example.where}: {len(filled)} lines, the heading says 20"
    doc = tomllib.loads(example.text)
    name = doc["experiment"]["name"]
    assert name != "quickstart", "the example must not reuse a shipped study's name"
    (tmp_path / f"{name}.toml").write_text(example.text, encoding="utf-8")
    proc = kernsim("run", f"{name}.toml", "--executor", "serial", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr  # run refuses a point with ρ ≥ 1

    import pandas as pd

    df = pd.read_parquet(tmp_path / "results" / name / "results.parquet")
    points = len(next(iter(doc["sweep"].values())))
    assert len(df) == points * doc["experiment"]["replications"]
    assert (df["throughput"] > 0).all()


# --------------------------------------------------------------------------- runnable blocks

#: results folders blocks read, and the overrides that make a small one
RESULTS = {
    "quickstart": ["experiment.replications=2"],
    "c4_fault_injection": ["experiment.replications=3"],
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """``prepared(study)``: a results folder of the shipped ``study``, made once."""
    base = tmp_path_factory.mktemp("readme-results")
    made: dict[str, Path] = {}

    def get(study: str) -> Path:
        if study not in made:
            from kernsim.experiment.catalog import find
            from kernsim.experiment.load import load
            from kernsim.experiment.runner import run

            result = run(load(find(study), RESULTS[study]), out=base / study, executor="serial")
            assert not result.failures and not result.interrupted
            made[study] = result.out
        return made[study]

    return get


def prepare(block: Block, work: Path, prepared) -> None:
    """Give ``work`` what ``block`` reads and does not make itself."""
    for study in RESULTS:
        if f"results/{study}" in block.text and f"kernsim run {study}" not in block.text:
            shutil.copytree(prepared(study), work / "results" / study)
    if "experiments/" in block.text:  # the shipped studies, as in the repository
        from kernsim.experiment.catalog import studies_dir

        shutil.copytree(studies_dir(), work / "experiments",
                        ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))


def commands(block: Block) -> list[list[str]]:
    """The block's command lines as words, comments dropped."""
    return [words for line in block.text.splitlines()
            if (words := shlex.split(line, comments=True))]


@pytest.mark.parametrize("block", SH, ids=ids(SH))
def test_sh_block_runs(block, kernsim, tmp_path, prepared):
    prepare(block, tmp_path, prepared)
    for words in commands(block):
        assert words[0] == "kernsim", (
            f"{block.where}: {' '.join(words)!r}: only kernsim commands run here; put "
            "'<!-- not run: REASON -->' before the block")
        proc = kernsim(*words[1:], timeout=180)
        assert proc.returncode == 0, f"{block.where}: {' '.join(words)}\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("block", PYTHON, ids=ids(PYTHON))
def test_python_block_runs(block, tmp_path, prepared, monkeypatch):
    prepare(block, tmp_path, prepared)
    code = "\n".join(line for line in block.text.splitlines()
                     if not line.lstrip().startswith("%"))  # IPython magics
    monkeypatch.chdir(tmp_path)
    exec(compile(code, block.where, "exec"), {"__name__": "__readme__"})  # noqa: S102 (the docs' own code)


# --------------------------------------------------------------------------- paths and links

PATH = re.compile(r"(?<![\w./-])((?:experiments|docs|notebooks|data|model|tests|\.ci)/[\w.<>/*-]*)")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def named_paths(text: str) -> set[str]:
    return {m.group(1).rstrip(".") for m in PATH.finditer(text)}


def exists(path: str) -> bool:
    if "<" in path or "*" in path:
        return any(ROOT.glob(re.sub(r"<[^>]*>", "*", path)))
    return (ROOT / path).exists()


def test_the_path_check_sees_paths():
    text = "see `docs/design.md`, `experiments/reproduce/<name>.toml` and model/x.py."
    assert named_paths(text) == {"docs/design.md", "experiments/reproduce/<name>.toml",
                                 "model/x.py"}
    assert exists("docs/design.md") and exists("experiments/reproduce/<name>.toml")
    assert not exists("model/x.py") and not exists("experiments/<name>.nope")


@pytest.mark.parametrize("doc", list(TEXTS))
def test_every_path_the_docs_name_exists(doc):
    missing = sorted(p for p in named_paths(TEXTS[doc]) if not exists(p))
    assert missing == [], f"{doc} names paths that are not in the repository"


def prose(text: str) -> list[str]:
    """The lines outside code blocks."""
    out, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line):  # an opening or a closing fence
            inside = not inside
            continue
        if not inside:
            out.append(line)
    return out


def anchors(text: str) -> set[str]:
    """GitHub's fragment ids of a Markdown file's headings."""
    out: set[str] = set()
    for line in prose(text):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            n = 0
            while (f"{slug}-{n}" if n else slug) in out:
                n += 1
            out.add(f"{slug}-{n}" if n else slug)
    return out


def test_the_link_check_sees_anchors():
    text = "# 2. Layout and layers\n```sh\n# not a heading\n```\n## The fast engine (`engine = \"fast\"`)\n"
    assert anchors(text) == {"2-layout-and-layers", "the-fast-engine-engine--fast"}


@pytest.mark.parametrize("doc", list(TEXTS))
def test_every_relative_link_resolves(doc):
    here = (ROOT / doc).parent
    broken = []
    for line in prose(TEXTS[doc]):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):  # https:, mailto:
                continue
            path, _, fragment = target.partition("#")
            file = (here / path).resolve() if path else ROOT / doc
            if not file.exists():
                broken.append(f"{target}: no such file")
            elif fragment and file.suffix == ".md" and fragment not in anchors(
                    file.read_text(encoding="utf-8")):
                broken.append(f"{target}: no heading #{fragment} in {rel(file)}")
    assert broken == [], f"{doc}: broken links: {broken}"
