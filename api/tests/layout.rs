//! The layout of `api/src` holds by itself: the modules' imports form no loop,
//! the lower floors (`http`, `gate`, `live`) import no feature, and no feature
//! imports the composition root (`state`, `server`) back.
//!
//! A module is a top-level entry of `src/` (a folder or a file); an import is any
//! `crate::<module>` path in its files, including `use crate::{a, b}` groups.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The composition root: it may import everything, and nothing imports it.
const ROOT: &[&str] = &["lib", "main", "state", "server"];

/// Floors below the features, and what each may import.
const FLOORS: &[(&str, &[&str])] =
    &[("http", &[]), ("gate", &["http"]), ("config", &["http", "gate", "live"]), ("live", &["http", "gate"])];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// Every module named by a `crate::` path in `text`, skipping comment lines.
/// A group (`crate::{a, b::{c, d}}`, over several lines too) names each of its
/// top-level items.
fn imports(text: &str) -> BTreeSet<String> {
    let code: String =
        text.lines().filter(|line| !line.trim_start().starts_with("//")).map(|line| format!("{line}\n")).collect();
    let ident =
        |s: &str| -> String { s.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            let name = ident(rest);
            // `crate::handle!` is a macro at the crate root; it is defined in `http`.
            let name = if rest[name.len()..].starts_with('!') { "http".to_owned() } else { name };
            if !name.is_empty() {
                found.insert(name);
            }
            continue;
        };
        // Split the group at its top-level commas, up to its closing brace.
        let (mut depth, mut start) = (0usize, 0usize);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    found.insert(ident(&group[start..i]));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    found.insert(ident(&group[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    found.remove("");
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&src, &file);
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let entry = graph.entry(module.clone()).or_default();
        for import in imports(&text) {
            if import != module {
                entry.insert(import);
            }
        }
    }
    graph
}

/// The modules on a loop, if any (depth-first search for a back edge).
fn find_loop(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if ROOT.contains(&next.as_str()) {
                continue; // reported by its own test
            }
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys().filter(|n| !ROOT.contains(&n.as_str())) {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn the_modules_import_each_other_in_no_loop() {
    let graph = graph();
    assert!(graph.len() > 10, "the walk found the modules: {:?}", graph.keys());
    if let Some(cycle) = find_loop(&graph) {
        panic!("import loop among api's modules: {}", cycle.join(" -> "));
    }
}

#[test]
fn no_feature_imports_the_composition_root() {
    for (module, imports) in graph() {
        if ROOT.contains(&module.as_str()) {
            continue;
        }
        let back: Vec<_> = imports.iter().filter(|i| ROOT.contains(&i.as_str())).collect();
        assert!(back.is_empty(), "`{module}` imports the composition root: {back:?}");
    }
}

#[test]
fn the_lower_floors_import_no_feature() {
    let graph = graph();
    for (floor, allowed) in FLOORS {
        let imports = graph.get(*floor).unwrap_or_else(|| panic!("no module `{floor}`"));
        let extra: Vec<_> = imports.iter().filter(|i| !allowed.contains(&i.as_str())).collect();
        assert!(extra.is_empty(), "`{floor}` may import only {allowed:?}, imports {extra:?}");
    }
}

#[test]
fn the_checker_sees_loops_and_groups() {
    let found = imports("use crate::{chat, users::rest};\n// crate::ignored\nlet x = crate::live::publish;");
    assert_eq!(found, ["chat", "live", "users"].iter().map(|s| s.to_string()).collect());
    let wrapped = imports("use crate::{\n    gate::{auth, tokens},\n    http,\n};\nuse crate::{a::{b, c}, d};");
    assert_eq!(wrapped, ["a", "d", "gate", "http"].iter().map(|s| s.to_string()).collect());
    assert_eq!(imports("crate::handle! { X => Y }"), ["http".to_owned()].into_iter().collect());
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_loop(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_loop(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
