//! A lean reader for the YAML that machine tools and people write (`kubectl`, Helm,
//! generators, the examples): block mappings and sequences, one scalar a line, plain or
//! quoted without escapes (but `''`), plain and single-quoted text folded over several
//! lines as kubectl writes text past 80 columns, the empty or one-level flow collections
//! (`{}`, `[Ingress, Egress]`, `{app: web}`), comments on lines of their own or after a
//! value, and literal and folded block scalars (`|`, `|-`, `>`, `>-`). It reads such a document
//! several times faster than serde_yaml, which was most of the time of reading a large
//! cluster (docs/performance.md, "Reading"), and in the browser it spares compiling
//! libyaml for the first screen's example (docs/performance.md, "The default scenario's
//! first evaluation").
//!
//! It is strict: anything it does not fully understand — anchors, aliases, tags,
//! double-quoted text over several lines, blank lines inside folded text, escapes, `#`
//! inside a value, tabs and non-ASCII
//! text outside comments and block scalars, block scalars with an indentation or keep
//! indicator, duplicate keys, a scalar that might be a number or a float it does not read
//! the way serde_yaml does — gives `None`, and the document is read by serde_yaml, which
//! also reports every syntax error. So when it answers, the value is the one serde_yaml
//! gives and there is nothing to report; the property test below checks that on random
//! documents. Scalars follow serde_yaml 0.9's resolution of plain scalars (YAML 1.2's
//! core schema: `null`, `Null`, `NULL`, `~` and empty are null; `true`/`false` in three
//! spellings are booleans; YAML 1.1's `yes`, `on`, … are strings), quoted and block
//! scalars are strings, and mapping keys are their text.

use serde_json::{Map, Value};

/// Deeper than any manifest and well inside the parsers' recursion limit of 128
/// ([`super::limits::MAX_DEPTH`]), whose error the full parser reports.
const MAX_DEPTH: usize = 64;

/// The value of one YAML document, or `None` when the document is not in the subset.
pub(super) fn parse(text: &str) -> Option<Value> {
    let lines = content_lines(text)?;
    let mut reader = Reader { lines, pos: 0 };
    let first = reader.lines.first()?;
    // A document's text starts with the blanked `---` line (or a line of the file): content
    // there, indented, may be what followed `---` on its line.
    if first.no == 0 && first.indent > 0 {
        return None;
    }
    let value = reader.block(first.indent, 0)?;
    (reader.pos == reader.lines.len()).then_some(value)
}

/// A line with content: its indentation and its text without it (comment and trailing
/// spaces cut).
struct Line<'t> {
    no: usize,
    indent: usize,
    text: &'t str,
    /// When the line's value is a block scalar: its text (read with the lines after it).
    block: Option<String>,
}

/// The lines that hold content, a block scalar's lines read with the line of its header;
/// `None` for any character outside the subset (see [`content`], [`is_yaml_text`]).
fn content_lines(text: &str) -> Option<Vec<Line<'_>>> {
    let raw: Vec<&str> = text.split('\n').collect();
    let mut lines = Vec::new();
    let mut no = 0;
    while let Some(&line) = raw.get(no) {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if let Some(comment) = body.strip_prefix('#') {
            if !is_yaml_text(comment) {
                return None;
            }
            no += 1;
            continue;
        }
        // A scalar kubectl folded over several lines is read with its first line.
        if let Some(folded) = folded_scalar(&raw, no, indent, body) {
            let (value, next) = folded?;
            lines.push(Line {
                no,
                indent,
                text: body,
                block: Some(value),
            });
            no = next;
            continue;
        }
        let body = content(body)?;
        if body.is_empty() {
            no += 1;
            continue;
        }
        if body.starts_with("---") || body.starts_with("...") || body.starts_with('%') {
            return None;
        }
        let line_no = no;
        let block = match block_header(indent, body) {
            Some((parent, folded, strip)) => {
                let (value, next) = block_scalar(&raw, no + 1, parent, folded, strip)?;
                no = next;
                Some(value)
            }
            None => {
                no += 1;
                None
            }
        };
        lines.push(Line {
            no: line_no,
            indent,
            text: body,
            block,
        });
    }
    Some(lines)
}

/// A line's content before its comment (` #` and what follows), trailing spaces cut:
/// printable ASCII without `#` (a `#` after a space inside quotes would start no comment;
/// the quoted value is then unclosed and refused by [`quoted`]). The comment may hold any
/// text YAML allows.
fn content(body: &str) -> Option<&str> {
    let (content, comment) = match body.find(" #") {
        Some(at) => (&body[..at], &body[at + 2..]),
        None => (body, ""),
    };
    if !content.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'#') || !is_yaml_text(comment) {
        return None;
    }
    Some(content.trim_end_matches(' '))
}

/// Text YAML allows in a comment or a block scalar that libyaml reads as written: tabs and
/// printable characters, not the line breaks beyond `\n` (NEL, LS, PS), a byte order mark
/// or the non-characters.
fn is_yaml_text(text: &str) -> bool {
    // Most text is ASCII: checked byte by byte, no character decoded.
    if text.is_ascii() {
        return text.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
    }
    text.chars().all(|c| {
        c == '\t'
            || (' '..='~').contains(&c)
            || (c >= '\u{a0}' && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'))
    })
}

/// The value on a line at `indent` (text `body`): the indentation of the collection it is
/// in (what goes on with the value is indented more) and its text, after a key or a dash.
/// `- key: value` is in the mapping whose keys are at the column of the first.
fn line_value(indent: usize, body: &str) -> Option<(usize, &str)> {
    if !is_item(body) {
        return Some((indent, split_key(body)?.1));
    }
    let after = &body[1..];
    let content = after.trim_start_matches(' ');
    Some(match split_key(content) {
        Some((_, rest)) => (indent + 1 + (after.len() - content.len()), rest),
        None => (indent, content),
    })
}

/// When the value of a line is a block scalar: the indentation of the collection it is in
/// (its text must be indented more), whether it is folded (`>`), and whether its final
/// line break is stripped (`-`). `|+`, `>+` and indentation indicators are left to
/// serde_yaml (the value is then refused by [`plain`]).
fn block_header(indent: usize, body: &str) -> Option<(usize, bool, bool)> {
    let (parent, value) = line_value(indent, body)?;
    block_style(value).map(|(folded, strip)| (parent, folded, strip))
}

/// A block scalar's header: whether it is folded and whether it strips its final line break.
fn block_style(value: &str) -> Option<(bool, bool)> {
    match value {
        "|" => Some((false, false)),
        "|-" => Some((false, true)),
        ">" => Some((true, false)),
        ">-" => Some((true, true)),
        _ => None,
    }
}

/// The text of a block scalar whose lines start at `raw[start]`, in a collection at
/// `parent`, and the line after it. Its indentation is that of its first line with
/// text, which must be deeper than `parent`; it ends at the first line with text that is
/// less indented. Refused: a scalar without text, a first line with text that starts
/// with a tab after its spaces, a blank line with more spaces than the
/// indentation (spaces that would be text), and in a folded scalar a line that starts
/// with a space or tab (kept apart from its neighbours rather than folded).
fn block_scalar(raw: &[&str], start: usize, parent: usize, folded: bool, strip: bool) -> Option<(String, usize)> {
    // The last piece of the split is the end of the text, not a line, when it is empty.
    let end = if raw.last().is_some_and(|l| l.is_empty()) {
        raw.len() - 1
    } else {
        raw.len()
    };
    let blank = |l: &str| l.bytes().all(|b| b == b' ');
    let first = (start..end).find(|&k| !blank(raw[k]))?;
    let indent = raw[first].len() - raw[first].trim_start_matches(' ').len();
    // libyaml takes a tab before the indentation is known for a misplaced indentation.
    if indent <= parent || raw[first][indent..].starts_with('\t') {
        return None;
    }
    // Each line: `None` when blank, else its text after the indentation.
    let mut pieces: Vec<Option<&str>> = Vec::new();
    let mut next = start;
    while next < end {
        let line = raw[next];
        if blank(line) {
            if line.len() > indent {
                return None;
            }
            pieces.push(None);
        } else if line.len() - line.trim_start_matches(' ').len() < indent {
            break;
        } else {
            let text = &line[indent..];
            if !is_yaml_text(text) || (folded && text.starts_with([' ', '\t'])) {
                return None;
            }
            pieces.push(Some(text));
        }
        next += 1;
    }
    // The trailing blank lines are chomped; the final line break is kept (clip) when the
    // last line with text has one.
    let last = pieces.iter().rposition(Option::is_some)?;
    let broken = start + last + 1 < raw.len();
    let mut value = String::new();
    let mut blanks = 0;
    for (i, piece) in pieces[..=last].iter().enumerate() {
        match piece {
            None => blanks += 1,
            Some(text) => {
                if folded {
                    // Two lines with text fold into one with a space; blank lines between
                    // them are line breaks instead.
                    if i > blanks && blanks == 0 {
                        value.push(' ');
                    }
                    value.extend(std::iter::repeat_n('\n', blanks));
                } else {
                    let breaks = if i > blanks { blanks + 1 } else { blanks };
                    value.extend(std::iter::repeat_n('\n', breaks));
                }
                blanks = 0;
                value.push_str(text);
            }
        }
    }
    if !strip && broken {
        value.push('\n');
    }
    Some((value, next))
}

/// When the value on raw line `no` (at `indent`, text `body`) is a scalar that goes on
/// over the lines after it — kubectl (go-yaml) folds text longer than 80 columns at its
/// spaces, plain or in single quotes — its text and the line after it; `Some(None)` when
/// the value goes on in a way the subset leaves to serde_yaml; `None` when it does not go
/// on. Read: plain and single-quoted scalars of printable ASCII whose lines join with one
/// space (YAML's line folding without blank lines); refused: double quotes, blank or
/// comment lines inside, `''`, a plain line with `: ` or `#` or ending in `:`, a line
/// starting with an indicator. A folded scalar is always text: the space that joins its
/// lines is in no null, boolean or number.
fn folded_scalar(raw: &[&str], no: usize, indent: usize, body: &str) -> Option<Option<(String, usize)>> {
    // Most lines: the next is not indented past this one, so nothing goes on.
    let next = raw.get(no + 1)?;
    let next_text = next.trim_start_matches(' ');
    if next_text.is_empty() || next.len() - next_text.len() <= indent {
        return None;
    }
    let (parent, value) = line_value(indent, body)?;
    if value.is_empty() || block_style(value).is_some() {
        return None;
    }
    // A comment line ends a plain scalar (and leaves a quoted one unclosed).
    let deeper = |line: &str| {
        let text = line.trim_start_matches(' ');
        !text.is_empty() && !text.starts_with('#') && line.len() - text.len() > parent
    };
    let first = no + 1;
    let mut end = first;
    while raw.get(end).is_some_and(|l| deeper(l)) {
        end += 1;
    }
    if end == first {
        return None;
    }
    // A blank line, then more of the value: a line break inside it.
    let after_blanks = (end..raw.len()).find(|&k| !raw[k].bytes().all(|b| b == b' '));
    if after_blanks.is_some_and(|k| k > end && deeper(raw[k])) {
        return Some(None);
    }
    let rest: Vec<&str> = raw[first..end].iter().map(|l| l.trim_start_matches(' ')).collect();
    let printable = |t: &str| t.bytes().all(|b| (b' '..=b'~').contains(&b));
    if !printable(value) || !rest.iter().all(|t| printable(t)) {
        return Some(None);
    }
    let text = match value.strip_prefix('\'') {
        Some(opened) => single_quoted_lines(opened, &rest),
        None => plain_lines(value, &rest),
    };
    Some(text.map(|t| (t, end)))
}

/// A single-quoted scalar's text from its first line's text after the quote and its
/// other lines' text after their indentation (trailing spaces before a line break are no
/// part of it); the last line ends with the closing quote.
fn single_quoted_lines(first: &str, rest: &[&str]) -> Option<String> {
    let (last, middle) = rest.split_last()?;
    let pieces: Vec<&str> = std::iter::once(first.trim_end_matches(' '))
        .chain(middle.iter().map(|t| t.trim_end_matches(' ')))
        .chain(std::iter::once(*last))
        .collect();
    if pieces.iter().any(|p| p.is_empty()) {
        return None;
    }
    single_quoted(&pieces.join(" "))
}

/// The text of a single-quoted scalar from what follows its opening quote, when that
/// ends with its closing quote: `''` is a quote.
fn single_quoted(inner: &str) -> Option<String> {
    let mut text = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find('\'') {
        text.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        match rest.strip_prefix('\'') {
            Some(after) => {
                text.push('\'');
                rest = after;
            }
            None => return rest.is_empty().then_some(text),
        }
    }
    None
}

/// A plain scalar's text from its lines' text: each line must be one that a plain scalar
/// goes on with, not an indicator, a value (`: `), a key (`:` last) or a `#` (a comment
/// after a space; left to serde_yaml anywhere, as on one line).
fn plain_lines(first: &str, rest: &[&str]) -> Option<String> {
    const INDICATORS: [char; 19] = [
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
    ];
    let mut text = String::new();
    for (i, piece) in std::iter::once(first).chain(rest.iter().copied()).enumerate() {
        let piece = piece.trim_end_matches(' ');
        if piece.is_empty()
            || piece.starts_with(INDICATORS)
            || piece.contains(": ")
            || piece.contains('#')
            || piece.ends_with(':')
        {
            return None;
        }
        if i > 0 {
            text.push(' ');
        }
        text.push_str(piece);
    }
    Some(text)
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    pos: usize,
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

impl<'t> Reader<'t> {
    /// The node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        if is_item(self.lines.get(self.pos)?.text) {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    /// The value of a key or item that has nothing after its `:` or `-`: a node on the
    /// next lines, more indented (or, after a key, a sequence at the key's indentation),
    /// else null.
    fn nested(&mut self, indent: usize, after_key: bool, depth: usize) -> Option<Value> {
        let Some(next) = self.lines.get(self.pos) else {
            return Some(Value::Null);
        };
        if next.indent > indent {
            return self.block(next.indent, depth + 1);
        }
        if after_key && next.indent == indent && is_item(next.text) {
            return self.sequence(indent, depth + 1);
        }
        Some(Value::Null)
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || is_item(line.text) {
                break;
            }
            let (key, rest) = split_key(line.text)?;
            let block = self.take_block();
            self.pos += 1;
            let value = match block {
                Some(text) => Value::String(text),
                None if rest.is_empty() => self.nested(indent, true, depth)?,
                None => value(rest)?,
            };
            if map.insert(key.to_string(), value).is_some() {
                return None;
            }
        }
        self.end_of_block(indent)?;
        Some(Value::Object(map))
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || !is_item(line.text) {
                break;
            }
            if line.text == "-" {
                self.pos += 1;
                items.push(self.nested(indent, false, depth)?);
                continue;
            }
            let after = &line.text[1..];
            let content = after.trim_start_matches(' ');
            let column = indent + 1 + (after.len() - content.len());
            if is_item(content) {
                return None;
            }
            if split_key(content).is_some() {
                // `- key: value`: a mapping whose keys are at the column of the first.
                let no = line.no;
                let block = self.take_block();
                self.lines[self.pos] = Line {
                    no,
                    indent: column,
                    text: content,
                    block,
                };
                items.push(self.mapping(column, depth + 1)?);
            } else {
                let block = self.take_block();
                self.pos += 1;
                items.push(match block {
                    Some(text) => Value::String(text),
                    None => value(content)?,
                });
            }
        }
        self.end_of_block(indent)?;
        Some(Value::Array(items))
    }

    /// The text of the current line's block scalar, when its value is one.
    fn take_block(&mut self) -> Option<String> {
        self.lines.get_mut(self.pos).and_then(|line| line.block.take())
    }

    /// A block ends at a line less indented than it (or the end); a line more indented
    /// than it is not in the subset (a continued scalar, or misplaced).
    fn end_of_block(&self, indent: usize) -> Option<()> {
        match self.lines.get(self.pos) {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }
}

/// `key: rest` or `key:`, for a key of letters, digits and `._/-` (the keys of
/// Kubernetes objects and labels); `None` for anything else.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let colon = text.find(':')?;
    let (key, rest) = (&text[..colon], &text[colon + 1..]);
    let key_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-');
    let first = *key.as_bytes().first()?;
    if !(first.is_ascii_alphanumeric() || first == b'_' || first == b'/') || !key.bytes().all(key_char) {
        return None;
    }
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest.trim_start_matches(' ')))
}

/// A value on the line of its key or dash.
fn value(text: &str) -> Option<Value> {
    match text.as_bytes().first()? {
        b'"' => quoted(text, b'"'),
        b'\'' => quoted(text, b'\''),
        b'[' => flow(text.strip_prefix('[')?.strip_suffix(']')?, false),
        b'{' => flow(text.strip_prefix('{')?.strip_suffix('}')?, true),
        _ if text.contains(": ") || text.ends_with(':') => None,
        _ => plain(text),
    }
}

/// `"text"` or `'text'` alone on the rest of its line, without escapes (`\` in double
/// quotes, `''` in single quotes): the text.
fn quoted(text: &str, quote: u8) -> Option<Value> {
    let inner = &text[1..];
    if quote == b'\'' {
        return single_quoted(inner).map(Value::String);
    }
    let end = inner.bytes().position(|b| b == quote)?;
    let (content, after) = (&inner[..end], &inner[end + 1..]);
    if !after.is_empty() || (quote == b'"' && content.contains('\\')) {
        return None;
    }
    Some(Value::String(content.to_string()))
}

/// The inside of a flow collection of plain scalars (`Ingress, Egress` or `app: web`),
/// one level deep; empty for `[]` and `{}`.
fn flow(inner: &str, mapping: bool) -> Option<Value> {
    let inner = inner.trim_matches(' ');
    let mut map = Map::new();
    let mut items = Vec::new();
    if !inner.is_empty() {
        for item in inner.split(',') {
            let item = item.trim_matches(' ');
            if mapping {
                let (key, rest) = split_key(item)?;
                if map.insert(key.to_string(), flow_scalar(rest)?).is_some() {
                    return None;
                }
            } else {
                items.push(flow_scalar(item)?);
            }
        }
    }
    Some(if mapping {
        Value::Object(map)
    } else {
        Value::Array(items)
    })
}

/// A plain scalar, or a quoted one without escapes (`["ALL"]`): a `,` inside quotes
/// splits it into two unclosed halves, which [`quoted`] refuses.
fn flow_scalar(text: &str) -> Option<Value> {
    if text.starts_with(['"', '\'']) {
        return value(text);
    }
    if text.is_empty()
        || text
            .bytes()
            .any(|b| matches!(b, b'[' | b']' | b'{' | b'}' | b':' | b'"' | b'\''))
    {
        return None;
    }
    plain(text)
}

/// A plain scalar as serde_yaml resolves it, for the scalars whose resolution is plain to
/// see: the null and boolean words, decimal integers without leading zeros, and text
/// that cannot be a number. Anything that might be a float, a hexadecimal, octal or
/// binary integer, or a special float (`.inf`) gives `None`.
fn plain(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    match text {
        "null" | "Null" | "NULL" | "~" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if first.is_ascii_alphabetic() || first == b'/' || first == b'_' {
        // Not a number: Rust's float syntax (which serde_yaml uses) starts a finite
        // number with a digit, a sign or a dot; `inf` and `nan` are not finite.
        return Some(Value::String(text.to_string()));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let decimal = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if decimal {
        let n: u64 = digits.parse().ok()?;
        return Some(if negative {
            Value::from(-i64::try_from(n).ok()?)
        } else {
            Value::from(n)
        });
    }
    if first.is_ascii_digit() && digit_led_text(text) {
        return Some(Value::String(text.to_string()));
    }
    // Text that starts with a sign or a dot and holds a character that no number, `inf`
    // or `nan` has (`--port=8080`, `./run`).
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_');
    if matches!(first, b'-' | b'+' | b'.') && !bytes.iter().all(|&b| word(b)) {
        return Some(Value::String(text.to_string()));
    }
    None
}

/// Whether text that starts with a digit cannot be a number: after `0x`, `0o` or `0b`
/// it may be one (left to serde_yaml); otherwise serde_yaml reads a decimal integer or a
/// float (Rust's syntax: digits, one `.`, an exponent `e`/`E` with its sign) and nothing
/// else. So a character outside those (`10.0.0.0/8`, `6b7f9c8d5`, `128Mi`), a second dot
/// (`10.244.0.2`, `1.27.3`) or a sign not after `e` (`2024-01-01`, a UID of digits and
/// dashes) makes it text — what kubectl writes for addresses, hashes and UIDs.
fn digit_led_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() > 1 && bytes[0] == b'0' && matches!(bytes[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B') {
        return false;
    }
    let mut dots = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' | b'e' | b'E' | b'_' => {}
            b'.' => dots += 1,
            b'+' | b'-' if i > 0 && matches!(bytes[i - 1], b'e' | b'E') => {}
            _ => return true,
        }
    }
    dots > 1
}

#[cfg(test)]
mod tests;
