//! The graph of a crate's file-level modules, its edges (with where each was seen), and its
//! strongly connected components.

use super::lex::{tokens, Token};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A module path below the crate root: `[]` is the root, `["service", "access"]` is
/// `service::access`.
pub type ModPath = Vec<String>;

/// Where an edge was seen: the file, the line and the path as written (use groups flattened).
#[derive(Debug, Clone)]
pub struct Site {
    pub file: String,
    pub line: usize,
    pub path: String,
}

/// A crate's modules (with their files) and dependency edges (with every site seen, in order).
#[derive(Debug, Default)]
pub struct Graph {
    pub files: BTreeMap<ModPath, String>,
    pub edges: BTreeMap<(ModPath, ModPath), Vec<Site>>,
}

/// The module path of a file, given its path relative to `src/` (`/`-separated): `lib.rs` and
/// `main.rs` are the root, `a.rs` and `a/mod.rs` are `a`, `a/b.rs` is `a::b`.
pub fn module_path(rel: &str) -> ModPath {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod"))
        || (parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main"))
    {
        parts.pop();
    }
    parts
}

/// Displays a module path (`crate` for the root).
pub fn show(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// The graph of one crate, from `(path relative to src/, source)` pairs.
pub fn build(files: &[(String, String)]) -> Graph {
    let mut graph = Graph::default();
    let mut parsed = Vec::new();
    let mut test_only = BTreeSet::new();
    for (rel, src) in files {
        let module = module_path(rel);
        let (toks, test_children) = tokens(src);
        for child in test_children {
            test_only.insert([module.clone(), vec![child]].concat());
        }
        parsed.push((module, rel.clone(), toks));
    }
    parsed.retain(|(m, _, _)| !test_only.iter().any(|t| m.starts_with(t)));
    graph.files = parsed
        .iter()
        .map(|(m, rel, _)| (m.clone(), rel.clone()))
        .collect();
    for (module, rel, toks) in &parsed {
        for (target, line, path) in references(&module[..], toks, &graph.files) {
            if &target != module {
                let site = Site {
                    file: rel.clone(),
                    line,
                    path,
                };
                graph
                    .edges
                    .entry((module.clone(), target))
                    .or_default()
                    .push(site);
            }
        }
    }
    graph
}

/// The modules named by the paths in one file's tokens: `(target, line, path as written)`.
fn references(
    module: &[String],
    toks: &[Token],
    files: &BTreeMap<ModPath, String>,
) -> Vec<(ModPath, usize, String)> {
    let text = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    let mut out = Vec::new();
    // The inline `mod name { … }` scopes we are in, with the brace depth they close at.
    let mut scope: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let here: ModPath = module
            .iter()
            .cloned()
            .chain(scope.iter().map(|s| s.0.clone()))
            .collect();
        match text(i) {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if scope.last().is_some_and(|s| s.1 == depth) {
                    scope.pop();
                }
            }
            "mod" if text(i + 2) == "{" => {
                scope.push((text(i + 1).to_string(), depth));
                depth += 1;
                i += 3;
                continue;
            }
            "use" if text(i + 1) != "<" => {
                let before = |k: usize| text(i.wrapping_sub(k));
                let public =
                    before(1) == "pub" || (before(1) == ")" && (2..=8).any(|k| before(k) == "pub"));
                let mut leaves = Vec::new();
                i = use_tree(toks, i + 1, Vec::new(), &mut leaves);
                for (segments, line) in leaves {
                    if let Some(target) = resolve(&here, &segments, files) {
                        // A parent re-exporting its descendants' items is structure.
                        let reexport =
                            public && target.len() > here.len() && target.starts_with(&here);
                        if !reexport {
                            out.push((target, line, segments.join("::")));
                        }
                    }
                }
                continue;
            }
            // A path in code; not one continuing another, nor the `crate::a` of `pub(in crate::a)`.
            word if text(i + 1) == "::"
                && !matches!(text(i.wrapping_sub(1)), "::" | ".")
                && !(text(i.wrapping_sub(1)) == "in" && text(i.wrapping_sub(2)) == "(") =>
            {
                let mut segments = vec![word.to_string()];
                let mut k = i + 1;
                while text(k) == "::" && is_ident(text(k + 1)) {
                    segments.push(text(k + 1).to_string());
                    k += 2;
                }
                if let Some(target) = resolve(&here, &segments, files) {
                    out.push((target, toks[i].line, segments.join("::")));
                }
                i = k;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn is_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Parses the use tree starting at `i` (after `use`, or inside braces), pushing each leaf path
/// (with its line) to `leaves`; returns the index after the tree (after `;` at the top level).
fn use_tree(
    toks: &[Token],
    mut i: usize,
    mut prefix: Vec<String>,
    leaves: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    let text = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    let mut line = toks.get(i).map_or(0, |t| t.line);
    loop {
        match text(i) {
            "::" => {}
            "{" => {
                i += 1;
                while !matches!(text(i), "}" | "") {
                    let next = use_tree(toks, i, prefix.clone(), leaves);
                    i = if text(next) == "," || next == i {
                        next + 1
                    } else {
                        next
                    };
                }
                i += 1;
                break;
            }
            "*" => {
                leaves.push(([&prefix[..], &["*".to_string()]].concat(), toks[i].line));
                i += 1;
                break;
            }
            "self" if !prefix.is_empty() => {} // `a::{self}` is `a`
            "as" => i += 1,                    // skip the alias
            w if is_ident(w) => {
                prefix.push(w.to_string());
                line = toks[i].line;
            }
            _ => {
                if !prefix.is_empty() {
                    leaves.push((prefix.clone(), line));
                }
                break;
            }
        }
        i += 1;
    }
    if text(i) == ";" {
        i += 1;
    }
    i
}

/// The file-level module a path resolves into from module `here`: the deepest existing module
/// prefix. `None` for paths into other crates (and names this tool cannot see the origin of).
fn resolve(
    here: &[String],
    segments: &[String],
    files: &BTreeMap<ModPath, String>,
) -> Option<ModPath> {
    let mut abs: ModPath = match segments.first()?.as_str() {
        "crate" => Vec::new(),
        "self" | "super" => here.to_vec(),
        child if files.contains_key(&[here, &[child.to_string()]].concat()) => here.to_vec(),
        _ => return None,
    };
    let mut rest = segments
        .iter()
        .skip(usize::from(segments[0] == "crate"))
        .peekable();
    while let Some(s) = rest.next_if(|s| *s == "self" || *s == "super") {
        if s == "super" {
            abs.pop()?;
        }
    }
    abs.extend(rest.cloned());
    (0..=abs.len())
        .rev()
        .map(|n| abs[..n].to_vec())
        .find(|m| files.contains_key(m))
}

/// Tarjan's strongly connected components with more than one module, each sorted.
pub fn cycles(graph: &Graph) -> Vec<Vec<ModPath>> {
    struct State<'g> {
        next: BTreeMap<&'g ModPath, Vec<&'g ModPath>>,
        index: BTreeMap<&'g ModPath, (usize, usize)>, // (index, lowlink)
        stack: Vec<&'g ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    fn visit<'g>(v: &'g ModPath, s: &mut State<'g>) {
        let n = s.index.len();
        s.index.insert(v, (n, n));
        s.stack.push(v);
        for w in s.next.get(v).cloned().unwrap_or_default() {
            let low = match s.index.get(w) {
                None => {
                    visit(w, s);
                    s.index[w].1
                }
                Some(&(idx, _)) if s.stack.contains(&w) => idx,
                Some(_) => continue,
            };
            let entry = s.index.get_mut(v).expect("visited");
            entry.1 = entry.1.min(low);
        }
        if s.index[v].0 == s.index[v].1 {
            let at = s.stack.iter().rposition(|m| *m == v).expect("on the stack");
            let mut component: Vec<ModPath> = s.stack.drain(at..).cloned().collect();
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        next: BTreeMap::new(),
        index: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for (a, b) in graph.edges.keys() {
        s.next.entry(a).or_default().push(b);
    }
    for v in graph.files.keys() {
        if !s.index.contains_key(v) {
            visit(v, &mut s);
        }
    }
    s.found.sort();
    s.found
}

/// A shortest loop through the first module of a component: `[m, …, m]`.
pub fn shortest_loop(graph: &Graph, component: &[ModPath]) -> Vec<ModPath> {
    let start = &component[0];
    let mut came_from: BTreeMap<&ModPath, &ModPath> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for (_, w) in graph
            .edges
            .keys()
            .filter(|(a, b)| a == v && component.contains(b))
        {
            if w == start {
                let mut path = vec![start.clone(), v.clone()];
                while path.last() != Some(start) {
                    path.push(came_from[path.last().expect("not empty")].clone());
                }
                path.reverse();
                return path;
            }
            if !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    Vec::new() // not reached for a strongly connected component
}
