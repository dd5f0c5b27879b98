//! The crate's layers, held by a test: imports run from a higher layer to a
//! lower one, never back, and no two files import each other, directly or
//! round a longer circle.
//!
//! The check reads `src/` as text. For every file it collects the paths the
//! code names (`use` statements and inline paths such as
//! `crate::proto::Filter` or `super::codec::read_string`), resolves each one
//! to the file that defines the item (following the `pub use` re-exports of
//! `mod.rs` and `lib.rs`, which are not dependencies themselves), and then
//! asserts two things:
//!
//! 1. the layer of the importing file is not below the layer of the
//!    imported one ([`LAYERS`]: `ber` at the bottom, `client` at the top);
//! 2. the graph of file-to-file imports has no cycle.
//!
//! Unit tests (files named `tests.rs` or `*_tests.rs`, files under a
//! `tests/` folder, and items after `#[cfg(test)]`) may import anything.
//! A failure names both files and the line of each import involved.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules of `src/`, lowest first. A file may import from
/// its own layer (files of one module among themselves, acyclically) and
/// from the layers before it.
const LAYERS: &[&str] = &[
    "sync",
    "ber",
    "proto",
    "error",
    "conn",
    "tls",
    "transport",
    "driver",
    "client",
    "discovery",
    "pool",
    "testkit",
    "fuzzing",
    "",
];

#[test]
fn imports_follow_the_layers_and_close_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    read_tree(&root, &root, &mut files);
    assert!(
        files.len() >= 30,
        "found only {} files under {}",
        files.len(),
        root.display()
    );
    let report = check(&files, LAYERS);
    assert!(
        report.is_empty(),
        "the layer rules of src/ are broken:\n{}",
        report.join("\n")
    );
}

/// The check fails on a planted upward import and on a planted cycle, and
/// says where.
#[test]
fn the_check_catches_an_upward_import_and_a_cycle() {
    let tree = planted(&[
        ("lib.rs", "mod low;\nmod high;\npub use high::Handle;\n"),
        (
            "low/mod.rs",
            "mod a;\nmod b;\npub use a::Alpha;\npub use b::Beta;\n",
        ),
        // An upward import, through the crate root's re-export.
        ("low/a.rs", "use crate::Handle;\npub struct Alpha;\n"),
        // A cycle: b -> c -> b, one of them an inline path.
        ("low/b.rs", "mod c;\npub struct Beta(c::Gamma);\n"),
        ("low/b/c.rs", "pub struct Gamma;\nfn g(_: super::Beta) {}\n"),
        ("high.rs", "use crate::low::Beta;\npub struct Handle;\n"),
    ]);
    let report = check(&tree, &["low", "high", ""]);
    assert_eq!(
        report,
        [
            "upward import: src/low/a.rs:1 imports src/high.rs (layer `low` may not import layer `high`)",
            "import cycle: src/low/b.rs:2 imports src/low/b/c.rs, src/low/b/c.rs:2 imports src/low/b.rs",
        ],
        "{report:#?}"
    );
    // The same tree without the planted imports passes.
    let clean = planted(&[
        ("lib.rs", "mod low;\nmod high;\npub use high::Handle;\n"),
        ("low/mod.rs", "mod a;\npub use a::Alpha;\n"),
        ("low/a.rs", "pub struct Alpha;\n"),
        (
            "high.rs",
            "use crate::low::Alpha;\npub struct Handle(Alpha);\n",
        ),
    ]);
    assert_eq!(check(&clean, &["low", "high", ""]), Vec::<String>::new());
}

/// Test code may import anything; strings and comments are not code.
#[test]
fn tests_strings_and_comments_are_not_imports() {
    let tree = planted(&[
        ("lib.rs", "mod low;\nmod high;\n"),
        (
            "low.rs",
            "// crate::high::X is only mentioned\nconst S: &str = \"crate::high::X\";\n\
             const C: char = '\"';\nfn f<'a>(x: &'a str) -> &'a str { x }\n\
             #[cfg(test)]\nmod tests { use crate::high::X; }\n",
        ),
        ("high.rs", "pub struct X;\n"),
        ("high/tests.rs", "use crate::low::*;\n"),
    ]);
    assert_eq!(check(&tree, &["low", "high", ""]), Vec::<String>::new());
}

fn planted(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect()
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(rel, std::fs::read_to_string(&path).unwrap());
        }
    }
}

// ---------------------------------------------------------------------------
// The checker.

/// One source file: its module path and what its code names.
struct File {
    /// `["proto", "op", "bind"]`; empty for `lib.rs`.
    module: Vec<String>,
    /// Test code only: not part of the graph.
    is_test: bool,
    /// `(line, path, is_reexport)`, paths made absolute (`crate` dropped).
    paths: Vec<(usize, Vec<String>, bool)>,
    /// Names this file defines (struct, enum, fn, ...).
    defines: BTreeSet<String>,
}

/// Checks a tree of `path -> source` against `layers` (top-level module
/// names, lowest first; `""` is the crate root). Returns one line per broken
/// rule, empty when the tree is sound.
fn check(tree: &BTreeMap<String, String>, layers: &[&str]) -> Vec<String> {
    let mut files: BTreeMap<String, File> = BTreeMap::new();
    let modules: BTreeMap<Vec<String>, String> = tree
        .keys()
        .filter(|p| !is_test_file(p))
        .map(|p| (module_of(p), p.clone()))
        .collect();
    for (path, src) in tree {
        let module = module_of(path);
        let code = strip(src);
        let code = drop_test_items(&code);
        let paths = collect_paths(&code, &module, &modules);
        files.insert(
            path.clone(),
            File {
                module,
                is_test: is_test_file(path),
                paths,
                defines: definitions(&code),
            },
        );
    }

    let mut report = Vec::new();
    // file -> [(line, target file)]
    let mut edges: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (path, file) in &files {
        if file.is_test {
            continue;
        }
        let mut seen = BTreeSet::new();
        for (line, p, is_reexport) in &file.paths {
            if *is_reexport {
                continue;
            }
            let Some(target) = resolve(p, &modules, &files, 0) else {
                continue;
            };
            if &target == path || !seen.insert(target.clone()) {
                continue;
            }
            edges
                .entry(path.clone())
                .or_default()
                .push((*line, target.clone()));
            let (from, to) = (layer_of(&file.module), layer_of(&files[&target].module));
            let rank = |l: &str| layers.iter().position(|x| *x == l);
            match (rank(from), rank(to)) {
                (Some(a), Some(b)) if a < b => report.push(format!(
                    "upward import: src/{path}:{line} imports src/{target} (layer `{from}` may not import layer `{to}`)"
                )),
                (None, _) => report.push(format!(
                    "src/{path}: module `{from}` has no place in the layer list of tests/architecture.rs"
                )),
                _ => {}
            }
        }
    }
    report.extend(cycles(&edges));
    report
}

fn is_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || path.split('/').rev().skip(1).any(|dir| dir == "tests")
}

fn module_of(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path.split('/').map(str::to_string).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib") {
        parts.push(stem.to_string());
    }
    parts
}

fn layer_of(module: &[String]) -> &str {
    module.first().map(String::as_str).unwrap_or("")
}

/// The file that defines what `path` names, following re-exports.
fn resolve(
    path: &[String],
    modules: &BTreeMap<Vec<String>, String>,
    files: &BTreeMap<String, File>,
    depth: usize,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    let mut cur: Vec<String> = Vec::new();
    for seg in path {
        let mut next = cur.clone();
        next.push(seg.clone());
        if modules.contains_key(&next) {
            cur = next;
            continue;
        }
        let file = modules.get(&cur)?;
        let f = &files[file];
        // Defined here, or re-exported from elsewhere?
        if f.defines.contains(seg) {
            return Some(file.clone());
        }
        for (_, p, is_reexport) in &f.paths {
            if !*is_reexport {
                continue;
            }
            if p.last() == Some(seg) {
                return resolve(p, modules, files, depth + 1);
            }
            if p.last().is_some_and(|l| l == "*") {
                let mut q = p[..p.len() - 1].to_vec();
                q.push(seg.clone());
                if let Some(t) = resolve(&q, modules, files, depth + 1) {
                    if t != *file {
                        return Some(t);
                    }
                }
            }
        }
        return Some(file.clone());
    }
    modules.get(&cur).cloned()
}

/// One cycle for each group of files that import each other (a strongly
/// connected component of more than one file): the shortest one through the
/// group's first file, with the line of each import on it.
fn cycles(edges: &BTreeMap<String, Vec<(usize, String)>>) -> Vec<String> {
    let nodes: BTreeSet<&String> = edges
        .iter()
        .flat_map(|(f, to)| std::iter::once(f).chain(to.iter().map(|(_, t)| t)))
        .collect();
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for (_, next) in edges.get(&n).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for start in &nodes {
        if done.contains(*start) || !reachable[start].contains(*start) {
            continue;
        }
        // The group: every file that reaches `start` and that `start` reaches.
        let group: BTreeSet<String> = reachable[start]
            .iter()
            .filter(|n| reachable.get(n).is_some_and(|r| r.contains(*start)))
            .cloned()
            .collect();
        done.extend(group.iter().cloned());
        // Shortest way round, breadth first, inside the group.
        let mut prev: BTreeMap<String, (String, usize)> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([(*start).clone()]);
        'search: while let Some(node) = queue.pop_front() {
            for (line, next) in edges.get(&node).into_iter().flatten() {
                if !group.contains(next) || prev.contains_key(next) {
                    continue;
                }
                prev.insert(next.clone(), (node.clone(), *line));
                if next == *start {
                    break 'search;
                }
                queue.push_back(next.clone());
            }
        }
        let mut hops = Vec::new();
        let mut at = (*start).clone();
        while let Some((from, line)) = prev.get(&at) {
            hops.push(format!("src/{from}:{line} imports src/{at}"));
            at = from.clone();
            if at == **start {
                break;
            }
        }
        hops.reverse();
        let others = if group.len() > hops.len() {
            format!(" ({} files in all import each other)", group.len())
        } else {
            String::new()
        };
        out.push(format!("import cycle: {}{others}", hops.join(", ")));
    }
    out
}

// ---------------------------------------------------------------------------
// Reading Rust as text.

/// Blanks comments and the contents of string and char literals, keeping
/// every newline, so that line numbers stay right and nothing inside a
/// literal looks like code.
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    while i < c.len() {
        let at = |k: usize| c.get(i + k).copied().unwrap_or('\0');
        if at(0) == '/' && at(1) == '/' {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if at(0) == '/' && at(1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at_char(&c, i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && at_char(&c, i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if (at(0) == 'r' || (at(0) == 'b' && at(1) == 'r')) && !prev_is_ident(&c, i) && {
            let s = if at(0) == 'b' { 2 } else { 1 };
            let mut k = s;
            while at(k) == '#' {
                k += 1;
            }
            at(k) == '"'
        } {
            // Raw string: r#"..."#
            let s = if at(0) == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while at(s + hashes) == '#' {
                hashes += 1;
            }
            let open = s + hashes + 1;
            for _ in 0..open {
                out.push(' ');
            }
            i += open;
            while i < c.len() {
                if c[i] == '"' && (0..hashes).all(|h| at_char(&c, i + 1 + h) == '#') {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(c[i]));
                i += 1;
            }
        } else if at(0) == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if at(0) == '\'' {
            // A char literal ('x', '\n', '\''), or a lifetime ('a).
            if at(1) == '\\' {
                let mut k = 2;
                while i + k < c.len() && c[i + k] != '\'' {
                    k += 1;
                }
                for _ in 0..=k {
                    out.push(' ');
                }
                i += k + 1;
            } else if at(2) == '\'' {
                out.push_str("   ");
                i += 3;
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn at_char(c: &[char], i: usize) -> char {
    c.get(i).copied().unwrap_or('\0')
}

fn prev_is_ident(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

/// Blanks every item marked `#[cfg(test)]` (a `mod tests { .. }`, a
/// test-only `use`, ...).
fn drop_test_items(code: &str) -> String {
    let mut out: Vec<char> = code.chars().collect();
    let marker: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + marker.len() <= out.len() {
        if out[i..i + marker.len()] != marker[..] {
            i += 1;
            continue;
        }
        // Blank from the marker to the end of the next item: the first `;`
        // at depth 0, or the `}` closing the first `{`.
        let mut j = i;
        let mut depth = 0i32;
        let mut end = out.len();
        let mut k = i + marker.len();
        while k < out.len() {
            match out[k] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
            k += 1;
        }
        while j < end {
            if out[j] != '\n' {
                out[j] = ' ';
            }
            j += 1;
        }
        i = end;
    }
    out.into_iter().collect()
}

fn definitions(code: &str) -> BTreeSet<String> {
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '!'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = BTreeSet::new();
    for w in words.windows(2) {
        if matches!(
            w[0],
            "struct"
                | "enum"
                | "trait"
                | "type"
                | "fn"
                | "const"
                | "static"
                | "union"
                | "macro_rules!"
        ) {
            out.insert(w[1].to_string());
        }
    }
    out
}

/// The paths the code names, made absolute: `(line, path, is_reexport)`.
fn collect_paths(
    code: &str,
    module: &[String],
    modules: &BTreeMap<Vec<String>, String>,
) -> Vec<(usize, Vec<String>, bool)> {
    let line_of = |pos: usize| code[..pos].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut rest = code.to_string();
    // `use` statements, then blank them so the inline scan skips them.
    let bytes: Vec<char> = code.chars().collect();
    let mut uses = Vec::new();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let starts = bytes[i..i + 3] == ['u', 's', 'e']
            && bytes[i + 3].is_whitespace()
            && (i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        let Some(len) = bytes[i..].iter().position(|&c| c == ';') else {
            break;
        };
        let stmt: String = bytes[i + 4..i + len].iter().collect();
        let before: String = bytes[i.saturating_sub(20)..i].iter().collect();
        let is_reexport = before.trim_end().ends_with("pub")
            || before.trim_end().ends_with(')') && before.contains("pub(");
        uses.push((i, i + len, stmt, is_reexport));
        i += len;
    }
    let mut chars: Vec<char> = rest.chars().collect();
    for (start, end, stmt, is_reexport) in &uses {
        let byte_pos: usize = bytes[..*start].iter().map(|c| c.len_utf8()).sum();
        let line = line_of(byte_pos);
        for p in expand_use(stmt) {
            if let Some(abs) = absolute(&p, module, modules) {
                out.push((line, abs, *is_reexport));
            }
        }
        for ch in &mut chars[*start..*end] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
    }
    rest = chars.into_iter().collect();
    // Inline paths: `crate::a::b`, `super::a`, `self::a`, and paths
    // through a child module (`codec::read_string(..)`).
    let toks: Vec<(usize, &str)> = tokens(&rest);
    let mut k = 0;
    while k < toks.len() {
        let (pos, t) = toks[k];
        let starts_path = toks.get(k + 1).is_some_and(|x| x.1 == "::")
            && (matches!(t, "crate" | "super" | "self")
                || is_ident(t)
                    && (k == 0 || toks[k - 1].1 != "::")
                    && modules.contains_key(&[module, &[t.to_string()]].concat()));
        if !starts_path {
            k += 1;
            continue;
        }
        let mut path = vec![t.to_string()];
        let mut m = k + 1;
        while toks.get(m).is_some_and(|x| x.1 == "::")
            && toks.get(m + 1).is_some_and(|x| is_ident(x.1))
        {
            path.push(toks[m + 1].1.to_string());
            m += 2;
        }
        if let Some(abs) = absolute(&path, module, modules) {
            out.push((line_of(pos), abs, false));
        }
        k = m;
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars().all(|c| c.is_alphanumeric() || c == '_') && !t.is_empty()
}

fn tokens(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            let st = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            out.push((st, &s[st..i]));
        } else if c == b':' && b.get(i + 1) == Some(&b':') {
            out.push((i, "::"));
            i += 2;
        } else {
            if !c.is_ascii_whitespace() {
                out.push((i, &s[i..i + 1]));
            }
            i += 1;
        }
    }
    out
}

/// `a::{b, c::{d as e, self}}` -> `[a,b]`, `[a,c,d]`, `[a,c]`.
fn expand_use(stmt: &str) -> Vec<Vec<String>> {
    fn go(s: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        if let Some(open) = s.find('{') {
            let head = s[..open].trim().trim_end_matches("::");
            let mut p = prefix.to_vec();
            p.extend(
                head.split("::")
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty()),
            );
            let inner = &s[open + 1..s.rfind('}').unwrap_or(s.len())];
            let mut depth = 0;
            let mut last = 0;
            for (i, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&inner[last..i], &p, out);
                        last = i + 1;
                    }
                    _ => {}
                }
            }
            go(&inner[last..], &p, out);
        } else {
            let s = s.split(" as ").next().unwrap_or(s).trim();
            let mut p = prefix.to_vec();
            for seg in s.split("::").map(str::trim) {
                if seg == "self" && !p.is_empty() {
                    continue;
                }
                p.push(seg.to_string());
            }
            out.push(p);
        }
    }
    let mut out = Vec::new();
    go(stmt.trim().trim_start_matches("::"), &[], &mut out);
    out
}

/// Makes a path absolute (without `crate`), or `None` for an external crate.
fn absolute(
    path: &[String],
    module: &[String],
    modules: &BTreeMap<Vec<String>, String>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut base: Vec<String>;
    let mut rest = path;
    match first.as_str() {
        "crate" => {
            base = vec![];
            rest = &path[1..];
        }
        "self" => {
            base = module.to_vec();
            rest = &path[1..];
        }
        "super" => {
            base = module.to_vec();
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => {
            // A child module of this one (`use codec::read_string;` in a
            // mod.rs), or else an external crate or a local item.
            let mut child = module.to_vec();
            child.push(first.clone());
            if !modules.contains_key(&child) {
                return None;
            }
            base = module.to_vec();
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}
