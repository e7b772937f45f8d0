//! The rooms of core stay a size a reader can hold (docs/architecture.md, "Invariants"):
//! no source file over 800 lines and no function over 120, unless the reason is written
//! where a reader meets it. A file gives it in a `// Long file: …` line among its first
//! ten; a function in a `// Long function: …` line among the comments right above it.
//! Split a room by what it does (the model's nouns, the steps of an analysis) before
//! reaching for a reason.

mod house;

use house::{rust_files, src};

const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 120;

/// Functions that other work is splitting now; they may only leave this list.
const BEING_SPLIT: &[&str] = &["netpol/explain.rs: explain_side"];

/// Every core source file: (path under `src/`, its text).
fn sources() -> Vec<(String, String)> {
    let root = src("core");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 50, "read {} files", files.len());
    files
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).expect("under src").display().to_string();
            let text = std::fs::read_to_string(&p).expect("readable source file");
            (name, text)
        })
        .collect()
}

/// The line with string and char literals emptied and any `//` comment cut off, so the
/// braces left are the code's own.
fn code_of(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            '"' => {
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        break;
                    }
                }
            }
            // A char literal ('{', '\''), not a lifetime ('a).
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') || rest.chars().nth(1) == Some('\'') {
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '\'' {
                            break;
                        }
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The name of the function a line opens (`pub(crate) const fn name<…>(`), if it does.
fn fn_name(line: &str) -> Option<&str> {
    let mut words = line.trim_start();
    loop {
        let word_end = words.find(|c: char| c.is_whitespace()).unwrap_or(words.len());
        let word = &words[..word_end];
        let rest = words[word_end..].trim_start();
        match word {
            "fn" => {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                return (end > 0).then(|| &rest[..end]);
            }
            "pub" | "const" | "async" | "unsafe" | "extern" | "default" => words = rest,
            w if w.starts_with("pub(") => words = rest,
            _ => return None,
        }
    }
}

/// Whether the comments right above line `at` (past attributes and doc comments) give
/// `marker`'s reason.
fn has_reason_above(lines: &[&str], at: usize, marker: &str) -> bool {
    lines[..at]
        .iter()
        .rev()
        .map(|l| l.trim_start())
        .take_while(|l| l.starts_with("//") || l.starts_with("#["))
        .any(|l| l.starts_with(marker))
}

/// The functions of a file longer than `max` lines, without a reason: (name, first line,
/// lines). Test modules are left out (a test reads top to bottom, as long as it is).
fn long_functions(text: &str, max: usize) -> Vec<(String, usize, usize)> {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let mut depth = 0i32;
        let mut opened = false;
        let mut end = None;
        for (i, l) in lines.iter().enumerate().skip(start) {
            let code = code_of(l);
            if !opened && code.contains(';') && !code.contains('{') {
                break; // a declaration without a body (a trait's)
            }
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if opened && depth <= 0 {
                end = Some(i);
                break;
            }
        }
        let Some(end) = end else { continue };
        let len = end - start + 1;
        if len > max && !has_reason_above(&lines, start, "// Long function:") {
            found.push((name.to_string(), start + 1, len));
        }
    }
    found
}

#[test]
fn no_core_file_is_over_800_lines_without_a_reason() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| {
            text.lines().count() > MAX_FILE_LINES
                && !text
                    .lines()
                    .take(10)
                    .any(|l| l.trim_start().starts_with("// Long file:"))
        })
        .map(|(name, text)| format!("{name}: {} lines", text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "core files over {MAX_FILE_LINES} lines; split them by what they do, or write \
         `// Long file: <why>` in their first ten lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_core_function_is_over_120_lines_without_a_reason() {
    let mut long = Vec::new();
    for (name, text) in sources() {
        for (f, line, len) in long_functions(&text, MAX_FN_LINES) {
            if !BEING_SPLIT.contains(&format!("{name}: {f}").as_str()) {
                long.push(format!("{name}:{line}: {f} is {len} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "core functions over {MAX_FN_LINES} lines; split them by what they do, or write \
         `// Long function: <why>` above them:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_measure_of_functions_sees_what_it_should() {
    let code = "\
struct S;
impl S {
    pub(crate) fn short(&self) -> char {
        let _ = \"}\"; '{' // }
    }
}
// Long function: a table reads best whole.
#[inline]
fn reasoned<'a>(x: &'a str) -> &'a str {
    x
}
pub const fn long() {
    let a = 1;
    let b = 2;
}
fn declared();
";
    assert_eq!(fn_name("    pub(crate) fn short(&self)"), Some("short"));
    assert_eq!(fn_name("let f = fn_name(x);"), None);
    assert_eq!(long_functions(code, 3), [("long".to_string(), 12, 4)]);
    assert!(long_functions(code, 4).is_empty());
}
