#!/usr/bin/env python3
"""Checks the documentation against the code (standard library only).

    check_docs.py CONNECTOR SOURCE_ROOT

1. Runs `CONNECTOR spec` and checks that docs/user-guide.md has a row in a table for every
   configuration property (nested ones as `parent.child`, e.g. `tls.mode`) whose cells give the
   property's type and its default exactly as the spec has it (as JSON: `9042`, `true`,
   `"LOCAL_QUORUM"`), "required" for a required property without a default and "none" for the
   others, and which names every value of its enum; and that the guide documents no property the
   spec does not have.
2. Checks that every destination sync mode the spec lists has a section (a heading named after it)
   in docs/user-guide.md.
3. Checks that every relative link in docs/*.md and README.md points to an existing file and, when
   it has a #fragment into a Markdown file, to an existing heading there (GitHub's anchor rules).
4. Checks that every C++ code block in docs/*.md is quoted from a program: one of the three lines
   before the block links to a .cpp file, and the block's lines are consecutive lines of that file
   (allowing a common indentation, and skipping `// [name]` marker lines in the file).

Prints each problem and exits 1 if there is any; exits 0 with a summary otherwise.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

GUIDE = Path("docs") / "user-guide.md"


def spec_of(connector: str) -> dict:
    out = subprocess.run([connector, "spec"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit(f"check_docs: `{connector} spec` exited {out.returncode}: {out.stderr.strip()}")
    for line in out.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "SPEC":
            return message["spec"]
    raise SystemExit(f"check_docs: `{connector} spec` printed no SPEC message")


def properties(schema: dict, prefix: str = ""):
    """(path, property schema, required) for every property, depth first, nested objects included."""
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        path = prefix + name
        yield path, prop, name in required
        if prop.get("type") == "object" and "properties" in prop:
            yield from properties(prop, path + ".")


# ---- Markdown -----------------------------------------------------------------------------------

FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(text: str):
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def split_row(line: str) -> list[str]:
    """The cells of a Markdown table row, with `|` inside code spans kept."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    cells, cell, in_code = [], "", False
    for ch in body:
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
    cells.append(cell.strip())
    return cells


def table_rows(text: str) -> dict[str, tuple[int, list[str]]]:
    """Table rows whose first cell is a single code span, by that span's text."""
    rows = {}
    for n, line in prose_lines(text):
        if not line.lstrip().startswith("|"):
            continue
        cells = split_row(line)
        m = re.fullmatch(r"`([^`]+)`", cells[0]) if cells else None
        if m and m.group(1) not in rows:
            rows[m.group(1)] = (n, cells)
    return rows


def headings(text: str) -> list[tuple[int, str]]:
    out = []
    for n, line in prose_lines(text):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            out.append((n, m.group(2)))
    return out


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation other than '-' and '_'
    removed, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in "-_ ")
    return text.replace(" ", "-")


def anchors_of(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, h in headings(text):
        base = github_anchor(h)
        k = seen.get(base, 0)
        out.add(base if k == 0 else f"{base}-{k}")
        seen[base] = k + 1
    # Explicit anchors: <a name="x"> or <a id="x">.
    out.update(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", text))
    return out


INLINE_CODE = re.compile(r"`[^`]*`")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")


def links(text: str):
    """(line number, target) of inline links, images and reference definitions outside code."""
    for n, line in prose_lines(text):
        m = REFERENCE_DEF.match(line)
        if m:
            yield n, m.group(1)
            continue
        for lm in INLINE_LINK.finditer(INLINE_CODE.sub("", line)):
            yield n, lm.group(1)


# ---- The checks ---------------------------------------------------------------------------------

def check_spec(spec: dict, guide: str, problems: list[str]) -> int:
    rows = table_rows(guide)
    conn = spec["connectionSpecification"]
    checked = 0
    spec_paths = set()
    for path, prop, required in properties(conn):
        spec_paths.add(path)
        checked += 1
        where = f"{GUIDE}: property `{path}`"
        if path not in rows:
            problems.append(f"{where} has no table row (a row whose first cell is `{path}`)")
            continue
        n, cells = rows[path]
        if len(cells) < 4:
            problems.append(f"{GUIDE}:{n}: the row of `{path}` needs 4 cells: field, type, default, meaning")
            continue
        _, type_cell, default_cell, meaning = cells[:4]
        want_type = prop.get("type", "")
        if type_cell != want_type:
            problems.append(f"{GUIDE}:{n}: `{path}` has type {type_cell!r}; spec says {want_type!r}")
        if "default" in prop:
            want = "`" + json.dumps(prop["default"], ensure_ascii=False, separators=(",", ":")) + "`"
        else:
            want = "required" if required else "none"
        if default_cell != want:
            problems.append(f"{GUIDE}:{n}: `{path}` has default {default_cell!r}; spec says {want!r}")
        row_text = " | ".join(cells[1:])
        for value in prop.get("enum", []):
            if f"`{value}`" not in row_text:
                problems.append(f"{GUIDE}:{n}: `{path}` does not name its enum value `{value}`")
        if not meaning:
            problems.append(f"{GUIDE}:{n}: `{path}` has no meaning")
    # The configuration table must not document fields the spec lacks: rows in the same table as
    # the spec's properties (the rows from the first property row to the end of that table).
    lines = guide.splitlines()
    first = min((rows[p][0] for p in spec_paths if p in rows), default=None)
    if first is not None:
        n = first
        while n <= len(lines) and lines[n - 1].lstrip().startswith("|"):
            cells = split_row(lines[n - 1])
            m = re.fullmatch(r"`([^`]+)`", cells[0]) if cells else None
            if m and m.group(1) not in spec_paths:
                problems.append(f"{GUIDE}:{n}: `{m.group(1)}` is documented as a config field but `spec` has no such property")
            n += 1
    return checked


def check_modes(spec: dict, guide: str, problems: list[str]) -> int:
    modes = spec.get("supported_destination_sync_modes", [])
    titles = {re.sub(r"[`*]", "", h).strip().lower() for _, h in headings(guide)}
    for mode in modes:
        if mode.lower() not in titles:
            problems.append(f"{GUIDE}: sync mode {mode!r} has no section (a heading named {mode})")
    return len(modes)


def check_links(root: Path, problems: list[str]) -> int:
    files = sorted((root / "docs").glob("*.md")) + [root / "README.md"]
    checked = 0
    anchor_cache: dict[Path, set[str]] = {}
    for md in files:
        if not md.is_file():
            problems.append(f"{md.relative_to(root)}: missing")
            continue
        text = md.read_text(encoding="utf-8")
        for n, target in links(text):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
                continue  # http:, https:, mailto: ...
            checked += 1
            path_part, _, fragment = target.partition("#")
            dest = md if not path_part else (md.parent / unquote(path_part)).resolve()
            where = f"{md.relative_to(root)}:{n}: link {target!r}"
            if not dest.exists():
                problems.append(f"{where}: {path_part} does not exist")
                continue
            if fragment and dest.suffix == ".md" and dest.is_file():
                if dest not in anchor_cache:
                    anchor_cache[dest] = anchors_of(dest.read_text(encoding="utf-8"))
                if unquote(fragment).lower() not in anchor_cache[dest]:
                    problems.append(f"{where}: no heading with anchor #{fragment} in {dest.name}")
    return checked


MARKER = re.compile(r"^\s*// \[\w+\]\s*$")


def occurs_in(block: list[str], source: list[str]) -> bool:
    """block's lines are consecutive lines of source, each with the same extra indentation."""
    source = [l.rstrip() for l in source if not MARKER.match(l)]
    block = [l.rstrip() for l in block]
    if not block:
        return True
    first = block[0].lstrip()
    for i, line in enumerate(source):
        if line.lstrip() != first or i + len(block) > len(source):
            continue
        indent = line[: len(line) - len(first)][len(block[0]) - len(first):]
        if all((indent + b if b else "") == source[i + k] for k, b in enumerate(block)):
            return True
    return False


def check_quotes(root: Path, problems: list[str]) -> int:
    checked = 0
    for md in sorted((root / "docs").glob("*.md")):
        lines = md.read_text(encoding="utf-8").splitlines()
        n = 0
        while n < len(lines):
            m = re.match(r"^\s*```\s*(c\+\+|cpp)\s*$", lines[n])
            if not m:
                if FENCE.match(lines[n]):  # another block: skip to its end
                    n += 1
                    while n < len(lines) and not FENCE.match(lines[n]):
                        n += 1
                n += 1
                continue
            start = n
            n += 1
            while n < len(lines) and not FENCE.match(lines[n]):
                n += 1
            block = lines[start + 1:n]
            n += 1
            checked += 1
            where = f"{md.relative_to(root)}:{start + 1}"
            source = None
            for back in lines[max(0, start - 3):start]:
                for target in re.findall(r"\]\(([^)#\s]+\.cpp)\)", back):
                    source = (md.parent / target).resolve()
            if source is None:
                problems.append(f"{where}: C++ block not quoted from a program (link its .cpp file just before it)")
            elif not source.is_file():
                problems.append(f"{where}: quoted from {source}, which does not exist")
            elif not occurs_in(block, source.read_text(encoding="utf-8").splitlines()):
                problems.append(f"{where}: the block differs from {source.relative_to(root)}")
    return checked


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    connector, root = sys.argv[1], Path(sys.argv[2]).resolve()
    guide_path = root / GUIDE
    if not guide_path.is_file():
        print(f"check_docs: {guide_path} does not exist", file=sys.stderr)
        return 1
    guide = guide_path.read_text(encoding="utf-8")
    spec = spec_of(connector)
    problems: list[str] = []
    n_props = check_spec(spec, guide, problems)
    n_modes = check_modes(spec, guide, problems)
    n_links = check_links(root, problems)
    n_quotes = check_quotes(root, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"check_docs: {len(problems)} problem(s)")
        return 1
    print(f"check_docs: {n_props} config properties (types, defaults, enums), {n_modes} sync modes, "
          f"{n_links} relative links, {n_quotes} C++ quotes: all documented, resolving and matching")
    return 0


if __name__ == "__main__":
    sys.exit(main())
