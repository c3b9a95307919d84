"""Neo4j Browser assets: the GraSS style sheet parses, the favorites archive holds runnable Cypher,
the :play guide is well-formed HTML with slides, and the CLI hands them out."""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser

import pytest
from cloudmap.cypher.browser import asset_path
from cloudmap.cypher.browser.favorites import collect, split_header, write_archive

from tests.helpers import run_cli

# GraSS as Browser reads it: `selector { key: value; ... }`, no comments, quotes only around values.
GRASS_RULE = re.compile(r'\s*(node|relationship)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\{((?:[^{}"]|"[^"]*")*)\}', re.DOTALL)
GRASS_KEYS = {"diameter", "color", "border-color", "border-width", "text-color-internal",
              "text-color-external",
              "font-size", "caption", "shaft-width", "padding", "defaultCaption"}


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    rules, pos = {}, 0
    for m in GRASS_RULE.finditer(text):
        assert text[pos:m.start()].strip() == "", f"unparsable text before {m.group(0)[:40]!r}"
        pos = m.end()
        props = {}
        for decl in filter(None, (d.strip() for d in m.group(3).split(";"))):
            key, sep, value = decl.partition(":")
            assert sep and key.strip() in GRASS_KEYS, f"bad declaration {decl!r}"
            props[key.strip()] = value.strip().strip('"')
        rules[m.group(1) + m.group(2)] = props
    assert text[pos:].strip() == "", "trailing text after the last rule"
    return rules


def test_style_sheet_parses_and_colours_every_family():
    rules = parse_grass(asset_path("style.grass").read_text())
    for selector in ("node", "relationship", "node.Internet", "node.VirtualMachine", "node.Identity",
                     "node.DataStore", "node.Vulnerability", "node.Finding", "relationship.CAN_REACH"):
        assert selector in rules, selector
    colours = {rules[s]["color"] for s in ("node.Internet", "node.VirtualMachine", "node.Identity",
                                           "node.DataStore", "node.Finding")}
    assert len(colours) == 5, "each family has its own colour"
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", p["color"]) for p in rules.values() if "color" in p)
    assert rules["node.VirtualMachine"]["caption"] == "{name}"
    # Browser applies rules in order, later ones winning: the generic Asset rule must come first.
    text = asset_path("style.grass").read_text()
    assert text.index("node.Asset ") < text.index("node.VirtualMachine ")


def test_grass_check_rejects_comments():
    with pytest.raises(AssertionError):
        parse_grass("/* a comment */ node { color: #FFFFFF; }")


def test_header_reader_takes_yaml_or_a_plain_title():
    meta, body = split_header("// id: X\n// title: T\n// params:\n//   limit: {default: 5}\nMATCH (n) RETURN n\n")
    assert meta["title"] == "T" and meta["params"] == {"limit": {"default": 5}} and body == "MATCH (n) RETURN n"
    meta, _ = split_header("// A finding's path (set it first: :param id => 'x')\nRETURN 1\n")
    assert meta == {"title": "A finding's path (set it first: :param id => 'x')"}


@pytest.mark.neo4j
def test_favorites_archive_is_a_zip_of_cypher_that_neo4j_accepts(graph, tmp_path):
    out = tmp_path / "favorites.zip"
    count = write_archive(out)
    assert count == len(collect()) >= 4
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert all(n.endswith(".cypher") and n.count("/") == 1 for n in names)
        assert {n.split("/")[0] for n in names} >= {"cloudmap attack paths"}
        texts = {n: zf.read(n).decode() for n in names}
    for name, text in texts.items():
        assert text.startswith("// "), f"{name}: Browser names a favorite after its first comment line"
        params, query = {}, []
        for line in text.splitlines()[1:]:
            m = re.fullmatch(r":param (\w+) => (.*);", line)
            if m:  # the Browser's own command: evaluate its value the way Browser would
                params[m.group(1)] = graph.read(f"RETURN {m.group(2)} AS v")[0]["v"]
            else:
                query.append(line)
        with graph.session() as session:
            session.run("EXPLAIN " + "\n".join(query), params).consume()


def test_guide_is_html_with_slides_and_runnable_queries():
    class Guide(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.slides, self.runnable, self.in_runnable = [], 0, [], False

        def handle_starttag(self, tag, attrs):
            self.stack.append(tag)
            self.slides += tag == "slide"
            if tag == "pre" and "runnable" in (dict(attrs).get("class") or ""):
                self.in_runnable = True
                self.runnable.append("")

        def handle_endtag(self, tag):
            assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
            self.stack.pop()
            self.in_runnable = self.in_runnable and tag != "pre"

        def handle_data(self, data):
            if self.in_runnable:
                self.runnable[-1] += data

    html = asset_path("guide.html").read_text()
    parser = Guide()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    assert html.lstrip().startswith('<article class="guide">') and "<carousel" in html
    assert parser.slides >= 5
    assert any("CVE-2021-44228" in q for q in parser.runnable)
    assert any("AFFECTS" in q for q in parser.runnable)


def test_cli_prints_the_style_sheet_and_writes_favorites(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "CLOUDMAP_CONFIG": str(tmp_path / "none.toml"), "NO_COLOR": "1"}
    proc = run_cli(env, "browser", "style")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == asset_path("style.grass").read_text()
    proc = run_cli(env, "browser", "style", "--path")
    assert proc.returncode == 0 and proc.stdout.strip() == str(asset_path("style.grass"))
    out = tmp_path / "fav.zip"
    proc = run_cli(env, "browser", "favorites", str(out))
    assert proc.returncode == 0, proc.stderr
    assert zipfile.is_zipfile(out) and f"{len(collect())} favorites" in proc.stderr
    proc = run_cli(env, "browser", "favorites", str(tmp_path / "missing-dir" / "x.txt"))
    assert proc.returncode == 2 and "x.txt" in proc.stderr and ".zip" in proc.stderr
