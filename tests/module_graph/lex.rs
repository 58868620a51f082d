//! Tokens of a Rust source file, with comments, string and char literals removed and
//! `#[cfg(test)]` items skipped. Good enough to find paths; not a Rust parser.

/// One token: an identifier (or keyword, or number), `::`, or a single punctuation character.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub text: String,
    pub line: usize,
}

/// The source with every comment and string/char literal blanked out (newlines kept, so line
/// numbers stay right).
pub fn blank_comments_and_literals(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, s: &[char]| {
        out.extend(s.iter().map(|&ch| if ch == '\n' { '\n' } else { ' ' }))
    };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(i + k).copied().unwrap_or('\0');
        let starts_token = i == 0 || !ident(c[i - 1]);
        let end = if at(0) == '/' && at(1) == '/' {
            (i..c.len()).find(|&k| c[k] == '\n').unwrap_or(c.len())
        } else if at(0) == '/' && at(1) == '*' {
            let (mut k, mut depth) = (i + 2, 1);
            while k < c.len() && depth > 0 {
                match (c[k], c.get(k + 1).copied().unwrap_or('\0')) {
                    ('/', '*') => (depth, k) = (depth + 1, k + 1),
                    ('*', '/') => (depth, k) = (depth - 1, k + 1),
                    _ => {}
                }
                k += 1;
            }
            k
        } else if let Some(end) = raw_string_end(&c, i).filter(|_| starts_token) {
            end
        } else if at(0) == '"' || (starts_token && matches!(at(0), 'b' | 'c') && at(1) == '"') {
            let mut k = i + if at(0) == '"' { 1 } else { 2 };
            while k < c.len() && c[k] != '"' {
                k += if c[k] == '\\' { 2 } else { 1 };
            }
            k + 1
        } else if at(0) == '\'' && at(1) == '\\' {
            // An escaped char literal: '\n', '\'', '\u{1F600}'.
            (i + 3..c.len())
                .find(|&k| c[k] == '\'')
                .map_or(c.len(), |k| k + 1)
        } else if at(0) == '\'' && at(2) == '\'' {
            i + 3 // 'x' (a lifetime or label never has a quote two characters later)
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        };
        let end = end.min(c.len());
        blank(&mut out, &c[i..end]);
        i = end;
    }
    out
}

/// Where the raw string literal (`r"…"`, `r#"…"#`, `br##"…"##`, `cr"…"`) starting at `i` ends.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    let mut k = i + usize::from(matches!(c[i], 'b' | 'c'));
    if c.get(k) != Some(&'r') {
        return None;
    }
    k += 1;
    let hashes = c[k..].iter().take_while(|&&ch| ch == '#').count();
    k += hashes;
    if c.get(k) != Some(&'"') {
        return None; // r#ident, or an identifier starting with r
    }
    (k + 1..c.len())
        .find(|&e| {
            c[e] == '"'
                && c[e + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&h| h == '#')
                    .count()
                    == hashes
        })
        .map(|e| e + 1 + hashes)
}

/// The tokens of `src`, without comments, literals and `#[cfg(test)]` items. Also returns the
/// names of the `#[cfg(test)] mod name;` children, whose files are test code too. A file with
/// `#![cfg(test)]` has no tokens.
pub fn tokens(src: &str) -> (Vec<Token>, Vec<String>) {
    let clean = blank_comments_and_literals(src);
    let mut all = Vec::new();
    for (n, line) in clean.lines().enumerate() {
        let mut chars = line.char_indices().peekable();
        while let Some((start, ch)) = chars.next() {
            let text = if ch.is_alphanumeric() || ch == '_' {
                let mut end = start + ch.len_utf8();
                while let Some(&(k, c)) = chars
                    .peek()
                    .filter(|(_, c)| c.is_alphanumeric() || *c == '_')
                {
                    end = k + c.len_utf8();
                    chars.next();
                }
                line[start..end].to_string()
            } else if ch == ':' && chars.peek().map(|p| p.1) == Some(':') {
                chars.next();
                "::".to_string()
            } else if ch.is_whitespace() {
                continue;
            } else {
                ch.to_string()
            };
            all.push(Token { text, line: n + 1 });
        }
    }
    let is = |i: usize, seq: &[&str]| {
        seq.iter()
            .enumerate()
            .all(|(k, s)| all.get(i + k).is_some_and(|t| t.text == *s))
    };
    if (0..all.len()).any(|i| is(i, &["#", "!", "[", "cfg", "(", "test", ")", "]"])) {
        return (Vec::new(), Vec::new());
    }
    let (mut kept, mut test_children, mut i) = (Vec::new(), Vec::new(), 0);
    while i < all.len() {
        if !is(i, &["#", "[", "cfg", "(", "test", ")", "]"]) {
            kept.push(all[i].clone());
            i += 1;
            continue;
        }
        i += 7;
        let item = i;
        // Skip the item: up to its `;` or the `}` closing its body, whichever ends it.
        let mut depth = 0usize;
        while i < all.len() {
            match all[i].text.as_str() {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                ";" if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        let words: Vec<&str> = all[item..i.min(all.len())]
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        if let [.., "mod", name] = words.as_slice() {
            test_children.push(name.to_string()); // `#[cfg(test)] mod name;`
        }
        i += 1;
    }
    (kept, test_children)
}
