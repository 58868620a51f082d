//! No import cycles between the modules of any crate of the workspace.
//!
//! Reads every `crates/*/src/**/*.rs`, maps each file to its module (`lib.rs`/`main.rs` = the
//! crate root, `a.rs` and `a/mod.rs` = `a`, `a/b.rs` = `a::b`) and draws an edge A -> B when
//! code in A names a path into B: `crate::b::…`, `super::…`, `self::…`, or a path starting with
//! one of A's child modules, in `use` declarations (brace groups flattened) and in code. A path
//! resolves to the deepest existing module prefix. Comments, string literals and `#[cfg(test)]`
//! items are skipped. Not edges: `mod x;` (structure), and a `pub use` of a module's own
//! descendants' items (a re-export). Names brought in by a glob (`use super::*; sibling::f()`)
//! are followed only as far as the glob itself (an edge to the parent).
//!
//! The test fails listing every strongly connected component with more than one module, with
//! one site (file, line, path) for every edge inside it.

#[path = "module_graph/graph.rs"]
mod graph;
#[path = "module_graph/lex.rs"]
mod lex;

use graph::{build, cycles, shortest_loop, show, Graph};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The `.rs` files under `dir`, as (path relative to `dir` with `/` separators, source).
fn read_sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(dir).expect("under src");
                let rel: Vec<_> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect();
                out.push((
                    rel.join("/"),
                    std::fs::read_to_string(&path).expect("read source"),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The report of one crate's cycles, or `None` if it has none.
fn report(krate: &str, src: &str, graph: &Graph) -> Option<String> {
    let found = cycles(graph);
    if found.is_empty() {
        return None;
    }
    let mut out = format!("{krate}: {} import cycle(s)\n", found.len());
    for (n, component) in found.iter().enumerate() {
        let _ = writeln!(out, "  cycle {} ({} modules):", n + 1, component.len());
        for m in component {
            let _ = writeln!(out, "    {:<40} {src}/{}", show(m), graph.files[m]);
        }
        let shortest: Vec<_> = shortest_loop(graph, component)
            .iter()
            .map(|m| show(m))
            .collect();
        let _ = writeln!(out, "   e.g. {}", shortest.join(" -> "));
        let _ = writeln!(out, "   edges (each with its first site):");
        for ((a, b), sites) in &graph.edges {
            if component.contains(a) && component.contains(b) {
                let site = &sites[0];
                let more = if sites.len() > 1 {
                    format!(" (+{} more)", sites.len() - 1)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "    {} -> {}   {src}/{}:{}  `{}`{more}",
                    show(a),
                    show(b),
                    site.file,
                    site.line,
                    site.path
                );
            }
        }
    }
    Some(out)
}

#[test]
fn no_import_cycles_between_modules() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    crates.sort();
    assert!(
        crates.len() > 1,
        "no crates found under {}",
        root.join("crates").display()
    );
    let mut failures = Vec::new();
    for dir in &crates {
        let name = dir
            .file_name()
            .expect("crate dir name")
            .to_string_lossy()
            .into_owned();
        let graph = build(&read_sources(&dir.join("src")));
        assert!(
            graph.files.contains_key(&Vec::new()),
            "{name}: no lib.rs or main.rs"
        );
        if let Some(text) = report(&name, &format!("crates/{name}/src"), &graph) {
            failures.push(text);
        }
    }
    assert!(
        failures.is_empty(),
        "import cycles between modules (A -> B: code in A names a path into B).\n\
         Break each one by moving the item that an edge names into the module it belongs to, or \
         into a new module that both sides depend on; a parent may re-export it (`pub use`).\n\n{}",
        failures.join("\n")
    );
}

/// Unit tests of the parser and the graph, on small inline crates.
mod unit {
    use super::graph::{build, cycles, module_path, Graph};
    use super::lex::blank_comments_and_literals;

    fn graph(files: &[(&str, &str)]) -> Graph {
        build(
            &files
                .iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    fn edges(g: &Graph) -> Vec<String> {
        g.edges
            .keys()
            .map(|(a, b)| format!("{}->{}", super::show(a), super::show(b)))
            .collect()
    }

    const LIB: &str = "mod a; mod b;";

    #[test]
    fn module_paths() {
        assert_eq!(module_path("lib.rs"), Vec::<String>::new());
        assert_eq!(module_path("main.rs"), Vec::<String>::new());
        assert_eq!(module_path("a/mod.rs"), ["a"]);
        assert_eq!(module_path("a/b.rs"), ["a", "b"]);
        assert_eq!(module_path("a/lib.rs"), ["a", "lib"]);
    }

    #[test]
    fn a_two_cycle_is_found_with_its_sites() {
        let g = graph(&[
            ("lib.rs", LIB),
            ("a.rs", "use crate::b::B;\npub struct A;"),
            ("b.rs", "fn f() {\n crate::a::g(); }"),
        ]);
        assert_eq!(edges(&g), ["a->b", "b->a"]);
        assert_eq!(
            cycles(&g),
            [vec![vec!["a".to_string()], vec!["b".to_string()]]]
        );
        let site = &g.edges[&(vec!["b".to_string()], vec!["a".to_string()])][0];
        assert_eq!(
            (site.file.as_str(), site.line, site.path.as_str()),
            ("b.rs", 2, "crate::a::g")
        );
        let report = super::report("k", "k/src", &g).expect("a cycle");
        assert!(
            report.contains("a -> b   k/src/a.rs:1  `crate::b::B`"),
            "{report}"
        );
        assert!(report.contains("e.g. a -> b -> a"), "{report}");
    }

    #[test]
    fn a_chain_is_not_a_cycle() {
        let g = graph(&[
            ("lib.rs", LIB),
            ("a.rs", "use crate::b::B;"),
            ("b.rs", "pub struct B;"),
        ]);
        assert_eq!(edges(&g), ["a->b"]);
        assert!(cycles(&g).is_empty());
    }

    #[test]
    fn a_parent_reexport_and_mod_declarations_are_not_edges() {
        let lib = "mod a;\npub mod s;\npub use a::A;\npub(crate) use self::s::{x::X, S};";
        let g = graph(&[
            ("lib.rs", lib),
            ("a.rs", "use crate::Root;"),
            ("s/mod.rs", "mod x; pub use x::X;"),
            ("s/x.rs", "use super::S;"),
        ]);
        assert_eq!(edges(&g), ["a->crate", "s::x->s"]);
        assert!(cycles(&g).is_empty());
        // A private use of a child is a dependency, and with the child's `super::*` a cycle.
        let g = graph(&[("lib.rs", "mod a; use a::A;"), ("a.rs", "use super::*;")]);
        assert_eq!(edges(&g), ["crate->a", "a->crate"]);
        assert_eq!(cycles(&g).len(), 1);
    }

    #[test]
    fn test_modules_are_ignored() {
        let a = "pub fn f() {}\n#[cfg(test)]\n#[allow(x)]\nmod tests {\n use crate::b::*;\n fn t() { crate::b::g(); }\n}\nfn h() { crate::b::g() }";
        let g = graph(&[("lib.rs", LIB), ("a.rs", a), ("b.rs", "use crate::a::f;")]);
        assert_eq!(edges(&g), ["a->b", "b->a"]); // only the `h` after the test module
        assert_eq!(
            g.edges[&(vec!["a".to_string()], vec!["b".to_string()])][0].line,
            8
        );
        let g = graph(&[
            ("lib.rs", "#[cfg(test)]\nmod t;"),
            ("t.rs", "use crate::X;"),
            ("x.rs", "#![cfg(test)]\nuse crate::X;"),
        ]);
        assert!(g.edges.is_empty() && !g.files.contains_key(&vec!["t".to_string()]));
    }

    #[test]
    fn nested_use_groups_and_relative_paths_are_resolved() {
        let lib = "mod a; mod b; mod c;\nuse crate::{a::X, b::{self, c::Y as Z}, c::{*}};";
        let g = graph(&[
            ("lib.rs", lib),
            ("a.rs", ""),
            (
                "b/mod.rs",
                "mod c; use self::c::W; fn f() { super::a::f() }",
            ),
            ("b/c.rs", "use super::super::c;"),
            ("c.rs", ""),
        ]);
        assert_eq!(
            edges(&g),
            [
                "crate->a",
                "crate->b",
                "crate->b::c",
                "crate->c",
                "b->a",
                "b->b::c",
                "b::c->c"
            ]
        );
        let sites: Vec<_> = g.edges.values().map(|s| s[0].path.as_str()).collect();
        let expected = [
            "crate::a::X",
            "crate::b",
            "crate::b::c::Y",
            "crate::c::*",
            "super::a::f",
            "self::c::W",
            "super::super::c",
        ];
        assert_eq!(sites, expected);
    }

    #[test]
    fn comments_strings_and_inline_modules() {
        let a = "// crate::b::x\n/* crate::b::y /* nested */ crate::b::z */\nconst S: &str = \"crate::b::s \\\" crate::b::t\";\nconst R: &str = r#\"crate::b::r\"#;\nconst C: char = '\"';\nfn f<'a>(x: &'a str) -> &'a str { x }\n/// [`crate::b`]\nmod inner { use super::super::Root; }";
        assert!(
            !blank_comments_and_literals(a).contains("::x")
                && !blank_comments_and_literals(a).contains("::t")
        );
        let g = graph(&[("lib.rs", LIB), ("a.rs", a), ("b.rs", "")]);
        assert_eq!(edges(&g), ["a->crate"]); // only `super::super` from the inline `a::inner`
        assert_eq!(g.edges.values().next().map(|s| s[0].line), Some(8));
    }
}
