//! Reading a lesson file: front matter, sections, and the fenced blocks with a role.

use super::{Lesson, Step};
use crate::assertions::{self, Suite};
use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::{locate_line, PathSeg};
use crate::parse::SourceFile;
use serde_json::Value;

/// The roles a fenced block can have.
const ROLES: [&str; 4] = ["start", "check", "hint", "solution"];

/// Front matter fields.
const FIELDS: [&str; 4] = ["title", "summary", "level", "tags"];

/// Reads a lesson. `None` when it cannot be used at all (no front matter, no title, no
/// step); otherwise the lesson, with diagnostics for everything wrong in it.
pub fn parse(file: &str, text: &str) -> (Option<Lesson>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let Some((end, front)) = front_matter(file, &lines, &mut diags) else {
        return (None, diags);
    };

    let sections = sections(&lines, end + 1);
    let mut lesson = Lesson {
        id: lesson_id(file),
        file: file.to_string(),
        title: front.title,
        summary: front.summary,
        level: front.level,
        tags: front.tags,
        intro: String::new(),
        start: Vec::new(),
        steps: Vec::new(),
    };
    for section in sections {
        read_section(file, section, &mut lesson, &mut diags);
    }
    if lesson.steps.is_empty() {
        diags.push(lesson_error(
            file,
            (end + 2).min(lines.len().max(1)),
            "a lesson needs at least one step: a `## ` heading with a task and a check block",
            "add `## The first step`, its task, and a ```yaml check block",
        ));
        return (None, diags);
    }
    (Some(lesson), diags)
}

/// What a lesson's front matter says.
struct FrontMatter {
    title: String,
    summary: String,
    level: String,
    tags: Vec<String>,
}

/// A lesson error (NP6101) at a line of `file`.
fn lesson_error(file: &str, line: usize, msg: &str, help: &str) -> Diagnostic {
    Diagnostic::new("NP6101", msg)
        .at(&Location::new(file, line as u32, 1))
        .resource(format!("lesson {file}"))
        .help(help)
}

/// Reads the front matter: the line after it and what it says, or `None` when the lesson
/// cannot be used (no front matter, not a mapping, no title).
fn front_matter(file: &str, lines: &[&str], diags: &mut Vec<Diagnostic>) -> Option<(usize, FrontMatter)> {
    let at = |line: usize| Location::new(file, line as u32, 1);
    let error = |line: usize, msg: &str, help: &str| lesson_error(file, line, msg, help);

    // Front matter: the first line is `---`, it ends at the next `---` (or `...`).
    let end = match lines.first().map(|l| l.trim_end()) {
        Some("---") => lines
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, l)| matches!(l.trim_end(), "---" | "..."))
            .map(|(i, _)| i),
        _ => None,
    };
    let Some(end) = end else {
        diags.push(error(
            1,
            "a lesson starts with YAML front matter between two `---` lines",
            "begin the file with `---`, `title: ...`, `---`",
        ));
        return None;
    };
    let front_text: String = lines[1..end].iter().map(|l| format!("{l}\n")).collect();
    let front: Value = match serde_yaml::from_str(&front_text) {
        Ok(Value::Null) => Value::Object(Default::default()),
        Ok(v) => v,
        Err(e) => {
            let line = 1 + crate::parse::yaml_error_position(&front_text, &e).0;
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            diags
                .push(Diagnostic::new("NP0001", format!("YAML syntax error in the front matter: {msg}")).at(&at(line)));
            return None;
        }
    };
    let field_line = |k: &str| 2 + locate_line(&front_text, &[PathSeg::key(k)]);
    let Some(front) = front.as_object() else {
        diags.push(error(
            2,
            "the front matter is a mapping",
            "write `title: ...` and optionally `summary`, `level`, `tags`",
        ));
        return None;
    };
    for k in front.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        diags.push(
            Diagnostic::new(
                "NP6002",
                format!("unknown field `{k}` in the front matter of a lesson; it is ignored"),
            )
            .at(&at(field_line(k)))
            .resource(format!("lesson {file}"))
            .help(format!("the front matter has {}", FIELDS.join(", "))),
        );
    }
    let string = |k: &str, diags: &mut Vec<Diagnostic>| match front.get(k) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            diags.push(error(field_line(k), &format!("`{k}` is a string"), "quote it"));
            String::new()
        }
    };
    let title = string("title", diags);
    let summary = string("summary", diags);
    let level = string("level", diags);
    let tags = match front.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect()
        }
        Some(_) => {
            diags.push(error(
                field_line("tags"),
                "`tags` is a list of words",
                "write `tags: [networkpolicy, dns]`",
            ));
            Vec::new()
        }
    };
    if title.is_empty() {
        diags.push(error(
            1,
            "a lesson needs a `title` in its front matter",
            "add `title: ...`",
        ));
        return None;
    }
    Some((
        end,
        FrontMatter {
            title,
            summary,
            level,
            tags,
        },
    ))
}

/// `01-default-deny-dns.md` → `default-deny-dns`.
fn lesson_id(file: &str) -> String {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let base = base.strip_suffix(".md").unwrap_or(base);
    let digits = base.bytes().take_while(u8::is_ascii_digit).count();
    match base[digits..].strip_prefix('-') {
        Some(rest) if digits > 0 && !rest.is_empty() => rest.to_string(),
        _ => base.to_string(),
    }
}

/// A fenced block of the body.
struct Fence {
    info: Vec<String>,
    /// 0-based line of the first content line.
    first_line: usize,
    text: String,
    /// The block as written, fences included (for blocks that stay in the text).
    raw: String,
}

enum Piece {
    Text(String),
    Block(Fence),
}

/// The introduction (no heading) and each `## ` section.
struct Section {
    heading: Option<(String, usize)>,
    pieces: Vec<Piece>,
}

fn sections(lines: &[&str], from: usize) -> Vec<Section> {
    let mut out = vec![Section {
        heading: None,
        pieces: Vec::new(),
    }];
    let mut open: Option<(char, usize, Fence)> = None;
    for (no, line) in lines.iter().enumerate().skip(from) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence_char = trimmed
            .chars()
            .next()
            .filter(|c| (*c == '`' || *c == '~') && indent < 4);
        let run = fence_char.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        let current = out.last_mut().map(|s| &mut s.pieces);
        let Some(pieces) = current else { break };
        if let Some((c, n, fence)) = &mut open {
            fence.raw.push_str(line);
            fence.raw.push('\n');
            if fence_char == Some(*c) && run >= *n && trimmed[run..].trim().is_empty() {
                if let Some((_, _, fence)) = open.take() {
                    pieces.push(Piece::Block(fence));
                }
            } else {
                fence.text.push_str(line);
                fence.text.push('\n');
            }
            continue;
        }
        if run >= 3 {
            let c = fence_char.unwrap_or('`');
            let info = trimmed[run..].split_whitespace().map(str::to_string).collect();
            open = Some((
                c,
                run,
                Fence {
                    info,
                    first_line: no + 1,
                    text: String::new(),
                    raw: format!("{line}\n"),
                },
            ));
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            out.push(Section {
                heading: Some((title.trim().to_string(), no + 1)),
                pieces: Vec::new(),
            });
            continue;
        }
        match pieces.last_mut() {
            Some(Piece::Text(t)) => {
                t.push_str(line);
                t.push('\n');
            }
            _ => pieces.push(Piece::Text(format!("{line}\n"))),
        }
    }
    // A fence never closed runs to the end of the file, as in CommonMark.
    if let (Some((_, _, fence)), Some(section)) = (open, out.last_mut()) {
        section.pieces.push(Piece::Block(fence));
    }
    out
}

/// A block's role, if any, and its `key=value` attributes.
type BlockRole<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>);

/// The role of a block (`start`, `check`, `hint`, `solution`) and its `key=value`
/// attributes; `Err` for a second word that is neither.
fn role(info: &[String]) -> Result<BlockRole<'_>, String> {
    let attrs = info.iter().filter_map(|w| w.split_once('=')).collect();
    let role = match info {
        [first, ..] if ROLES.contains(&first.as_str()) => Some(first.as_str()),
        [_, second, ..] if ROLES.contains(&second.as_str()) => Some(second.as_str()),
        [_, second, ..] if !second.contains('=') => return Err(second.clone()),
        _ => None,
    };
    Ok((role, attrs))
}

fn read_section(file: &str, section: Section, lesson: &mut Lesson, diags: &mut Vec<Diagnostic>) {
    let mut text = String::new();
    let mut hints = Vec::new();
    let mut checks: Option<Suite> = None;
    let mut has_check_block = false;
    let mut solution: Vec<SourceFile> = Vec::new();
    let in_step = section.heading.is_some();
    let title = section.heading.as_ref().map(|(t, _)| t.clone()).unwrap_or_default();
    let block_error = |fence: &Fence, msg: String, help: &str| {
        Diagnostic::new("NP6102", msg)
            .at(&Location::new(file, fence.first_line as u32, 1))
            .resource(format!("lesson {file}"))
            .help(help)
    };
    for piece in section.pieces {
        let fence = match piece {
            Piece::Text(t) => {
                text.push_str(&t);
                continue;
            }
            Piece::Block(f) => f,
        };
        let (role, attrs) = match role(&fence.info) {
            Ok(r) => r,
            Err(word) => {
                diags.push(block_error(
                    &fence,
                    format!("a fenced block with the unknown role `{word}`"),
                    "a block's role is start, check, hint or solution (```yaml check); other words are key=value",
                ));
                text.push_str(&fence.raw);
                continue;
            }
        };
        let file_attr = attrs.iter().find(|(k, _)| *k == "file").map(|(_, v)| v.to_string());
        match (role, in_step) {
            (None, _) => text.push_str(&fence.raw),
            (Some("start"), false) => {
                let name = file_attr.unwrap_or_else(|| "manifests.yaml".to_string());
                if lesson.start.iter().any(|f| f.name == name) {
                    diags.push(block_error(
                        &fence,
                        format!("two start blocks for the file {name}"),
                        "give each start block its own file=NAME",
                    ));
                    continue;
                }
                check_manifests(file, &fence, diags);
                lesson.start.push(SourceFile::new(name, fence.text));
            }
            (Some("start"), true) => diags.push(block_error(
                &fence,
                "a start block belongs to the introduction, before the first step".to_string(),
                "move it above the first `## ` heading, or make it a solution block",
            )),
            (Some(r), false) => diags.push(block_error(
                &fence,
                format!("a {r} block belongs to a step, after a `## ` heading"),
                "put it under the step it belongs to",
            )),
            (Some("hint"), true) => hints.push(fence.text.trim().to_string()),
            (Some("check"), true) => {
                has_check_block = true;
                let (suite, mut ds) = assertions::read_list(file, fence.first_line, &fence.text, &title);
                diags.append(&mut ds);
                if let Some(suite) = suite {
                    match &mut checks {
                        Some(all) => all.assertions.extend(suite.assertions),
                        None => checks = Some(suite),
                    }
                }
            }
            (Some(_), true) => {
                let Some(name) = file_attr else {
                    diags.push(block_error(
                        &fence,
                        "a solution block needs the file it replaces: ```yaml solution file=NAME".to_string(),
                        "add file=NAME (the name of a start file to replace, or a new file)",
                    ));
                    continue;
                };
                check_manifests(file, &fence, diags);
                match solution.iter_mut().find(|f| f.name == name) {
                    Some(f) => f.text.push_str(&fence.text),
                    None => solution.push(SourceFile::new(name, fence.text)),
                }
            }
        }
    }
    let Some((title, line)) = section.heading else {
        lesson.intro = text.trim().to_string();
        return;
    };
    if !has_check_block {
        diags.push(
            Diagnostic::new(
                "NP6103",
                format!("the step {title:?} has no check block: nothing decides when it is done"),
            )
            .at(&Location::new(file, line as u32, 1))
            .resource(format!("lesson {file}"))
            .help("add a ```yaml check block with the assertions that must hold"),
        );
    }
    let checks = checks.unwrap_or_else(|| Suite {
        name: title.clone(),
        loc: Location::new(file, line as u32, 1),
        assertions: Vec::new(),
    });
    lesson.steps.push(Step {
        title,
        text: text.trim().to_string(),
        hints,
        checks,
        solution,
        line: line as u32,
    });
}

/// Syntax errors of a manifest block, at the lesson's lines.
fn check_manifests(file: &str, fence: &Fence, diags: &mut Vec<Diagnostic>) {
    let padded = format!("{}{}", "\n".repeat(fence.first_line), fence.text);
    let (_, found) = crate::parse::parse_files(&[SourceFile::new(file, padded)]);
    diags.extend(found.into_iter().filter(|d| matches!(d.code, "NP0001" | "NP0004")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_drop_the_order_prefix_and_extension() {
        assert_eq!(
            lesson_id("crates/core/lessons/01-default-deny-dns.md"),
            "default-deny-dns"
        );
        assert_eq!(lesson_id("my-lesson.md"), "my-lesson");
        assert_eq!(lesson_id("2024.md"), "2024");
    }

    #[test]
    fn roles_are_the_first_or_second_word() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(role(&words("yaml check")).map(|r| r.0), Ok(Some("check")));
        assert_eq!(role(&words("hint")).map(|r| r.0), Ok(Some("hint")));
        assert_eq!(role(&words("yaml")).map(|r| r.0), Ok(None));
        assert_eq!(role(&words("yaml file=a.yaml")).map(|r| r.0), Ok(None));
        assert_eq!(role(&words("yaml chek")), Err("chek".to_string()));
    }

    #[test]
    fn junk_never_panics() {
        for text in [
            "",
            "---",
            "---\n---",
            "---\ntitle: x\n---\n## s\n```yaml check\n- [",
            "---\n: :\n---",
            "\u{feff}---\ntitle: [\n---",
        ] {
            let _ = parse("x.md", text);
        }
    }
}
