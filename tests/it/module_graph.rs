//! The runtime crate's modules depend one way: no file of `axioms/src` reaches itself again
//! through the `crate::` paths of its code (tests excepted, which may import anything).
//!
//! Each file is a module (`lib.rs` the crate root, `foo.rs` or `foo/mod.rs` `crate::foo`);
//! every `crate::a::b::…` path — in `use` items, `use crate::{a, b::c}` groups included, and
//! inline — leads to the deepest module file that exists. Edges to the crate root are left
//! out (it re-exports everything). `AXIOMS_SRC=<dir> cargo test --test it module_graph`
//! checks another tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path, `["jwks", "cache"]`; the crate root is empty.
type Module = Vec<String>;

#[test]
fn the_runtime_crate_has_no_import_circle() {
    let src = std::env::var_os("AXIOMS_SRC").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("axioms/src"),
        PathBuf::from,
    );
    let graph = graph(&src);
    assert!(graph.len() > 40, "{} files read from {src:?}", graph.len());
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles in {}:\n{}",
        src.display(),
        circles
            .iter()
            .map(|c| format!("  {}", c.join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The checker finds a circle where there is one, and none where there is none.
#[test]
fn a_circle_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "mod a; mod b; mod c;");
    write(
        "a.rs",
        "use crate::b::{self, Thing};\n// crate::c in a comment\n",
    );
    write("b/mod.rs", "pub(crate) fn f() { crate::c::g() }");
    write(
        "c.rs",
        "use crate::{lib_item, a::x as y};\n#[cfg(test)]\nmod tests { use crate::b; }",
    );
    let found = circles(&graph(dir.path()));
    assert_eq!(found, [vec!["a.rs", "b/mod.rs", "c.rs"]]);
    write("c.rs", "#[cfg(test)]\nmod tests { use crate::a; }");
    assert!(circles(&graph(dir.path())).is_empty());
}

/// Each file of `src` and the files its code names.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files: BTreeMap<Module, String> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: Module = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                    module.pop();
                }
                let name = path
                    .strip_prefix(src)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(module, name);
            }
        }
    }
    let mut graph = BTreeMap::new();
    for (module, name) in &files {
        let text = std::fs::read_to_string(src.join(name)).unwrap();
        let mut targets = BTreeSet::new();
        for path in crate_paths(&code_of(&text)) {
            let target = (1..=path.len()).rev().find_map(|n| files.get(&path[..n]));
            if let Some(target) = target
                && target != name
                && !module.is_empty()
            {
                targets.insert(target.clone());
            }
        }
        graph.insert(name.clone(), targets);
    }
    graph
}

/// The code of a file: comments out, and the `#[cfg(test)] mod tests` that may import
/// anything.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    let code: String = out
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let squeezed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    match squeezed.find("#[cfg(test)] mod tests") {
        Some(at) => squeezed[..at].to_owned(),
        None => squeezed,
    }
}

/// Every `crate::…` path of `code`, `use` groups expanded.
fn crate_paths(code: &str) -> Vec<Module> {
    let bytes = code.as_bytes();
    let mut paths = Vec::new();
    let mut at = 0;
    while let Some(found) = code[at..].find("crate::") {
        let start = at + found;
        at = start + "crate::".len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') {
            continue;
        }
        let (tree, _) = use_tree(&code[at..]);
        paths.extend(tree);
    }
    paths
}

/// Parses a use tree (`a::b`, `a::{b, c::d}`, `a as b`, `self`, `*`) at the start of `s`:
/// its paths, and how many bytes it took.
fn use_tree(s: &str) -> (Vec<Module>, usize) {
    let mut prefix: Module = Vec::new();
    let mut i = 0;
    let bytes = s.as_bytes();
    let skip_space = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i] == b' ' {
            *i += 1;
        }
    };
    loop {
        skip_space(&mut i);
        if s[i..].starts_with('{') {
            i += 1;
            let mut paths = Vec::new();
            loop {
                skip_space(&mut i);
                if i >= bytes.len() || s[i..].starts_with('}') {
                    i += 1;
                    break;
                }
                let (inner, used) = use_tree(&s[i..]);
                i += used;
                for path in inner {
                    paths.push(prefix.iter().cloned().chain(path).collect());
                }
                skip_space(&mut i);
                if s[i..].starts_with(',') {
                    i += 1;
                }
            }
            return (paths, i);
        }
        let ident: String = s[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '*')
            .collect();
        i += ident.len();
        if !ident.is_empty() && ident != "self" && ident != "*" {
            prefix.push(ident);
        }
        if s[i..].starts_with("::") {
            i += 2;
            continue;
        }
        skip_space(&mut i);
        if s[i..].starts_with("as ") {
            i += 3;
            skip_space(&mut i);
            i += s[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .count();
        }
        return (vec![prefix], i);
    }
}

/// The strongly connected components of more than one file (Tarjan), each sorted.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(st: &mut State<'a>, v: &'a str) {
        st.index.insert(v, st.next);
        st.low.insert(v, st.next);
        st.next += 1;
        st.stack.push(v);
        st.on_stack.insert(v);
        for w in st.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !st.index.contains_key(w) {
                visit(st, w);
                let low = st.low[v].min(st.low[w]);
                st.low.insert(v, low);
            } else if st.on_stack.contains(w) {
                let low = st.low[v].min(st.index[w]);
                st.low.insert(v, low);
            }
        }
        if st.low[v] == st.index[v] {
            let mut component = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                st.found.push(component);
            }
        }
    }
    let mut st = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !st.index.contains_key(v.as_str()) {
            visit(&mut st, v);
        }
    }
    st.found
}
