//! The README's quick start is `examples/quickstart/`, the crate CI builds with exactly its
//! dependencies (`.ci/run`): the same code, the same `[dependencies]`, so what a newcomer pastes
//! compiles as written.

use std::path::Path;

/// The fenced blocks of the README section titled `title`, as (info string, body).
fn blocks_of_section(readme: &str, title: &str) -> Vec<(String, String)> {
    let heading = format!("\n## {title}\n");
    let start = readme
        .find(&heading)
        .unwrap_or_else(|| panic!("the README has no section `{title}`"));
    let rest = &readme[start + heading.len()..];
    let section = rest.find("\n## ").map_or(rest, |end| &rest[..end]);
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            blocks.push((info.to_owned(), body.join("\n") + "\n"));
        }
    }
    blocks
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_readme_quick_start_is_the_crate_ci_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = read(&root.join("README.md"));
    let blocks = blocks_of_section(&readme, "Quick start against your provider");
    let [(toml_info, dependencies), (rust_info, code)] = blocks.as_slice() else {
        panic!("expected a TOML block and a Rust block, found {blocks:?}");
    };
    assert_eq!(toml_info, "toml");
    assert!(rust_info.starts_with("rust"), "{rust_info}");

    // The code: the crate's main.rs after its `//!` header.
    let main = read(&root.join("examples/quickstart/src/main.rs"));
    let body = main
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert_eq!(
        code, &body,
        "README quick start ≠ examples/quickstart/src/main.rs"
    );

    // The dependencies: the README's lines, the crate's with its path to this repository's
    // axioms (a user's comes from crates.io, the same version).
    let manifest = read(&root.join("examples/quickstart/Cargo.toml"));
    let section = manifest
        .split("[dependencies]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("examples/quickstart/Cargo.toml has [dependencies]");
    let crate_deps = section.replace(
        r#"axioms = { version = "0.1", path = "../../axioms" }"#,
        r#"axioms = "0.1""#,
    ) + "\n";
    assert_eq!(
        dependencies,
        &format!("[dependencies]\n{crate_deps}"),
        "README quick start ≠ examples/quickstart/Cargo.toml"
    );
}
