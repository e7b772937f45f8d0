//! The path a file takes inside a bundle.

use super::error::ExportError;

/// The path a file takes inside a bundle: relative, `/`-separated, without empty or `.`
/// components (`./app//a.yaml` → `app/a.yaml`). Refuses absolute paths (also drive
/// letters), `..`, backslashes, control characters, names ending in `/` and empty names.
pub fn sanitize_path(name: &str) -> Result<String, ExportError> {
    let bad = |reason: &str| {
        Err(ExportError::BadPath {
            path: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.contains('\\') {
        return bad("backslashes are not allowed: separate directories with `/`");
    }
    if name.chars().any(char::is_control) {
        return bad("control characters are not allowed");
    }
    if name.starts_with('/') {
        return bad("absolute paths are not allowed");
    }
    if name.ends_with('/') {
        return bad("it ends with `/`, so it names a directory, not a file");
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return bad("`..` is not allowed"),
            _ => parts.push(part),
        }
    }
    let Some(first) = parts.first() else {
        return bad("the name is empty");
    };
    let mut chars = first.chars();
    if chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.next() == Some(':') {
        return bad("absolute paths (drive letters) are not allowed");
    }
    Ok(parts.join("/"))
}
