//! The house of core is a stack (docs/architecture.md, "Layers"): no source file imports,
//! directly or through others, a file that imports it back, and each layer imports only
//! from the layers it stands on. Read from the `use` declarations and the `crate::`,
//! `super::` and `self::` paths of `crates/core/src` (test modules left out), with names
//! followed through re-exports to the file that defines them, as a reader would.

mod house;

use house::{rust_files, src};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first, by top-level module (`lib` is the crate root).
/// - vocabulary: plain types and the texts of results, importing nothing above;
/// - read: raw objects into the model;
/// - analyses: questions answered on the model, never reading raw objects;
/// - front: what the shells call (the crate root, scenario-wide answers, assertions,
///   lessons).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "vocabulary",
        &[
            "bitset",
            "conn",
            "diagnostics",
            "endpoint",
            "glossary",
            "intervals",
            "model",
            "ordered",
            "output",
            "parse",
            "policy",
            "query",
            "sorting",
            "suggest",
            "templates",
        ],
    ),
    ("read", &["admin", "read"]),
    (
        "analyses",
        &["cni", "export", "flows", "mesh", "multicluster", "netpol"],
    ),
    (
        "front",
        &[
            "ask",
            "assertions",
            "diff_causes",
            "connlist",
            "incremental",
            "lessons",
            "lib",
            "present",
            "probe",
        ],
    ),
];

/// What each layer may import: itself and these.
fn may_import(layer: &str, other: &str) -> bool {
    layer == other
        || match layer {
            "vocabulary" => false,
            "read" => other == "vocabulary",
            // Analyses take the model; they never read raw objects.
            "analyses" => other == "vocabulary",
            "front" => true,
            _ => false,
        }
}

fn layer_of(top: &str) -> Option<&'static str> {
    LAYERS
        .iter()
        .find(|(_, mods)| mods.contains(&top))
        .map(|(name, _)| *name)
}

/// A module path, e.g. `["netpol", "engine"]`; the crate root is `[]`.
type ModPath = Vec<String>;

struct File {
    path: PathBuf,
    /// Code without comments, string contents and test modules.
    code: String,
    /// Names this file re-exports (`pub use a::B;`, `pub use a::B as C;`), with the path
    /// they stand for; `*` for globs (several).
    reexports: Vec<(String, Vec<String>)>,
    /// Names this file defines.
    defines: BTreeSet<String>,
}

fn strip(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        break;
                    }
                }
                out.push('"');
            }
            // A char literal ('"', '{'), not a lifetime ('a).
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                let lit = rest.starts_with('\\') || rest.chars().nth(1) == Some('\'');
                out.push('\'');
                if lit {
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '\'' {
                            break;
                        }
                    }
                    out.push('\'');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// A path of a use tree with the name it is known by.
type Named = (Vec<String>, String);

/// The use trees of `code`: (is `pub`, the paths with their local names).
fn use_items(code: &str) -> Vec<(bool, Vec<Named>)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = find_word(rest, "use") {
        let before = rest[..i].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let after = &rest[i + 3..];
        let Some(end) = after.find(';') else { break };
        let tree: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace() || *c == ' ')
            .collect();
        let mut paths = Vec::new();
        expand(&[], tree.trim(), &mut paths);
        out.push((public, paths));
        rest = &after[end..];
    }
    out
}

/// Position of `word` as a whole word (not inside an identifier).
fn find_word(s: &str, word: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(j) = s[from..].find(word) {
        let i = from + j;
        let ok_before = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let k = i + word.len();
        let ok_after = k < bytes.len() && bytes[k].is_ascii_whitespace();
        if ok_before && ok_after {
            return Some(i);
        }
        from = k;
    }
    None
}

fn split_top(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn expand(prefix: &[String], tree: &str, out: &mut Vec<Named>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = tree[open + 1..].trim_end().strip_suffix('}').unwrap_or("");
        let mut p = prefix.to_vec();
        p.extend(head.split("::").filter(|s| !s.is_empty()).map(|s| s.trim().to_string()));
        for part in split_top(inner) {
            expand(&p, part, out);
        }
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim().to_string())),
        None => (tree, None),
    };
    let mut p = prefix.to_vec();
    p.extend(path.split("::").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    let Some(last) = p.last().cloned() else { return };
    // `use a::b::{self}` names the module b.
    if last == "self" {
        p.pop();
    }
    let name = alias.unwrap_or_else(|| p.last().cloned().unwrap_or_default());
    out.push((p, name));
}

/// `crate::a::b`, `super::super::x` and `self::y` paths written in code (not in `use`).
fn qualified_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start_word in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(j) = code[from..].find(start_word) {
            let i = from + j;
            from = i + start_word.len();
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':') {
                continue;
            }
            let mut end = i;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b':')
            {
                end += 1;
            }
            // `crate::a::{B, C}` in a `use` names B and C (read by `use_items`), not `a`.
            if code[i..end].ends_with("::") && bytes.get(end) == Some(&b'{') {
                continue;
            }
            out.push(
                code[i..end]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
    }
    out
}

fn definitions(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for kw in [
        "fn",
        "struct",
        "enum",
        "type",
        "const",
        "static",
        "trait",
        "mod",
        "macro_rules!",
    ] {
        let mut rest = code;
        while let Some(i) = find_word(rest, kw).or_else(|| (kw == "macro_rules!").then(|| rest.find(kw)).flatten()) {
            let after = rest[i + kw.len()..].trim_start();
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = &rest[i + kw.len()..];
        }
    }
    out
}

fn module_path(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

struct Crate {
    files: BTreeMap<ModPath, File>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut paths = Vec::new();
        rust_files(src, &mut paths);
        let mut files = BTreeMap::new();
        for path in paths {
            // Binaries and build scripts are not modules of the library.
            if path.components().any(|c| c.as_os_str() == "bin") {
                continue;
            }
            let code = strip(&std::fs::read_to_string(&path).expect("readable source"));
            let mut reexports = Vec::new();
            for (public, items) in use_items(&code) {
                if public {
                    reexports.extend(items.into_iter().map(|(p, name)| (name, p)));
                }
            }
            let defines = definitions(&code);
            files.insert(
                module_path(src, &path),
                File {
                    path,
                    code,
                    reexports,
                    defines,
                },
            );
        }
        Crate { files }
    }

    /// The file that defines what `path` names, written in module `from`; `None` for
    /// other crates and the standard library.
    fn resolve(&self, from: &ModPath, path: &[String], depth: usize) -> Option<ModPath> {
        let (mut base, rest): (ModPath, &[String]) = match path.first().map(String::as_str) {
            Some("crate") => (Vec::new(), &path[1..]),
            Some("self") => (from.clone(), &path[1..]),
            Some("super") => {
                let mut b = from.clone();
                let mut i = 0;
                while path.get(i).map(String::as_str) == Some("super") {
                    b.pop();
                    i += 1;
                }
                (b, &path[i..])
            }
            Some(first) => {
                let mut child = from.clone();
                child.push(first.to_string());
                if self.files.contains_key(&child) {
                    (from.clone(), path)
                } else {
                    return None;
                }
            }
            None => return None,
        };
        let mut i = 0;
        while let Some(seg) = rest.get(i) {
            let mut next = base.clone();
            next.push(seg.clone());
            if !self.files.contains_key(&next) {
                break;
            }
            base = next;
            i += 1;
        }
        // `base` is a module file; `rest[i]` (if any) is a name in it.
        let Some(name) = rest.get(i) else { return Some(base) };
        if depth < 8 {
            if let Some(file) = self.files.get(&base) {
                if !file.defines.contains(name) {
                    for (alias, target) in &file.reexports {
                        if alias == name {
                            if let Some(t) = self.resolve(&base, target, depth + 1) {
                                return Some(t);
                            }
                        }
                    }
                    for (alias, target) in &file.reexports {
                        if alias == "*" {
                            let mut p = target.clone();
                            p.pop();
                            p.push(name.clone());
                            if let Some(t) = self.resolve(&base, &p, depth + 1) {
                                if t != base && self.files.get(&t).is_some_and(|f| f.defines.contains(name)) {
                                    return Some(t);
                                }
                            }
                        }
                    }
                }
            }
        }
        Some(base)
    }

    /// Every file each file imports from (itself left out).
    fn edges(&self) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
        let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        for (module, file) in &self.files {
            let mut targets = BTreeSet::new();
            for (public, items) in use_items(&file.code) {
                if public {
                    continue; // a re-export is a door to another file, not a use
                }
                for (path, _) in items {
                    let mut p = path.clone();
                    if p.last().is_some_and(|l| l == "*") {
                        p.pop();
                    }
                    targets.extend(self.resolve(module, &p, 0));
                }
            }
            for path in qualified_paths(&file.code) {
                targets.extend(self.resolve(module, &path, 0));
            }
            targets.remove(module);
            edges.insert(module.clone(), targets);
        }
        edges
    }
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "lib".to_string()
    } else {
        m.join("/")
    }
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct T<'a> {
        edges: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a ModPath) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.edges.get(v).into_iter().flatten() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn describe(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>, comp: &[ModPath]) -> String {
    let members: BTreeSet<&ModPath> = comp.iter().collect();
    let mut lines = vec![format!("circle of {} files:", comp.len())];
    for m in comp {
        for t in edges.get(m).into_iter().flatten().filter(|t| members.contains(t)) {
            lines.push(format!("  {} -> {}", name(m), name(t)));
        }
    }
    lines.join("\n")
}

/// Exceptions to the stack: files in an import circle and imports that break it. Both
/// lists are empty and may only stay so: a new circle or breach fails the tests below.
/// docs/architecture.md ("Layers") says where each kind of code goes instead.
const KNOWN_CIRCLE_FILES: &[&str] = &[];

const KNOWN_LAYER_BREACHES: &[&str] = &[];

/// Compares what is found with what is known: (new ones, known ones that no longer hold).
fn against_known(found: &BTreeSet<String>, known: &[&str]) -> (Vec<String>, Vec<String>) {
    let known: BTreeSet<String> = known.iter().map(|s| s.to_string()).collect();
    (
        found.difference(&known).cloned().collect(),
        known.difference(found).cloned().collect(),
    )
}

#[test]
fn core_has_no_new_import_circles() {
    let krate = Crate::read(&src("core"));
    assert!(krate.files.len() > 50, "read {} files", krate.files.len());
    let edges = krate.edges();
    let found = circles(&edges);
    let in_circles: BTreeSet<String> = found.iter().flatten().map(name).collect();
    let (new, gone) = against_known(&in_circles, KNOWN_CIRCLE_FILES);
    let text: Vec<String> = found.iter().map(|c| describe(&edges, c)).collect();
    assert!(
        new.is_empty(),
        "files newly in an import circle: {new:?}\n{}",
        text.join("\n")
    );
    assert!(
        gone.is_empty(),
        "no longer in a circle, strike them from KNOWN_CIRCLE_FILES: {gone:?}"
    );
}

#[test]
fn core_is_a_stack_of_layers() {
    let krate = Crate::read(&src("core"));
    let edges = krate.edges();
    let mut breaches = BTreeSet::new();
    for (from, targets) in &edges {
        let top = from.first().map_or("lib", String::as_str);
        let Some(layer) = layer_of(top) else {
            panic!(
                "{} is in no layer: add its module to LAYERS",
                krate.files[from].path.display()
            );
        };
        for to in targets {
            let other = layer_of(to.first().map_or("lib", String::as_str)).unwrap_or("?");
            if !may_import(layer, other) {
                breaches.insert(format!("{} -> {}", name(from), name(to)));
            }
        }
    }
    let (new, gone) = against_known(&breaches, KNOWN_LAYER_BREACHES);
    assert!(new.is_empty(), "imports that break the stack (see LAYERS): {new:?}");
    assert!(
        gone.is_empty(),
        "fixed, strike them from KNOWN_LAYER_BREACHES: {gone:?}"
    );
}

#[test]
fn the_reader_of_imports_sees_what_it_should() {
    // The checks above are only as good as this reading of paths.
    let mut paths = Vec::new();
    expand(
        &[],
        "crate::{model::{self, Labels}, parse::RawObject as Raw}",
        &mut paths,
    );
    let names: Vec<(String, String)> = paths.into_iter().map(|(p, n)| (p.join("::"), n)).collect();
    assert_eq!(
        names,
        [
            ("crate::model".to_string(), "model".to_string()),
            ("crate::model::Labels".to_string(), "Labels".to_string()),
            ("crate::parse::RawObject".to_string(), "Raw".to_string()),
        ]
    );
    let code = strip("let a = '\"'; // crate::x\nlet b = \"crate::y\"; crate::z::W::new(); 'a: loop {}");
    assert_eq!(
        qualified_paths(&code),
        [vec!["crate".to_string(), "z".into(), "W".into(), "new".into()]]
    );
    let krate = Crate::read(&src("core"));
    let edges = krate.edges();
    let engine = vec!["netpol".to_string(), "engine".to_string()];
    assert!(
        edges[&engine].contains(&vec!["bitset".to_string()]),
        "{:?}",
        edges[&engine]
    );
}
