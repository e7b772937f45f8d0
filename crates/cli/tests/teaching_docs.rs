//! The guides for teaching run as written: docs/assertions.md, docs/lessons.md and
//! docs/observability.md.
//!
//! In each, a fenced block whose info string has `file=NAME` is
//! saved under NAME in a fresh directory (with the repository's `manifests/` linked
//! beside it), and every `$ netplay ...` line of a `console` block runs there; what follows
//! the command up to the next `$` line (or the end of the block) must be exactly its
//! stdout, where a line `...` stands for any number of lines.
//!
//! docs/ci.md is tested in `ci_md.rs`.

mod common;

use common::{netplay_in, workspace_root, TempDir};

/// One fenced block of a markdown page.
#[derive(Debug)]
struct Block {
    /// The words of the info string: the language first, then `key=value` attributes.
    info: Vec<String>,
    text: String,
    /// 1-based line of the opening fence.
    line: usize,
}

impl Block {
    fn attr(&self, key: &str) -> Option<&str> {
        self.info.iter().find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
    }

    fn lang(&self) -> &str {
        self.info.first().map_or("", String::as_str)
    }
}

/// The fenced blocks of `md`: a fence of three or more backticks (or tildes) closes with
/// the same character, at least as many times.
fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(char, usize, Block)> = None;
    for (no, line) in md.lines().enumerate() {
        let trimmed = line.trim_start();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = fence_char.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match &mut open {
            Some((c, n, block)) => {
                if fence_char == Some(*c) && run >= *n && trimmed[run..].trim().is_empty() {
                    let (_, _, block) = open.take().expect("open block");
                    out.push(block);
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
            None if run >= 3 => {
                let c = fence_char.expect("a fence character");
                let info = trimmed[run..].split_whitespace().map(String::from).collect();
                open = Some((
                    c,
                    run,
                    Block {
                        info,
                        text: String::new(),
                        line: no + 1,
                    },
                ));
            }
            None => {}
        }
    }
    out
}

/// Splits a command line into words: spaces separate, single and double quotes group.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                any = false;
            }
            None => current.push(c),
        }
    }
    if any || !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether `actual` is `expected` line for line, a `...` line matching any run of lines.
fn matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((e, rest)) => actual.first().is_some_and(|a| a == e) && matches(rest, &actual[1..]),
    }
}

/// A fresh directory (removed when dropped) holding the page's `file=` blocks and a link
/// to `manifests/`.
struct Workdir(TempDir);

impl Workdir {
    fn new(page: &str, blocks: &[Block]) -> Workdir {
        let temp = TempDir::new(&format!("docs-{page}"));
        let dir = temp.path();
        #[cfg(unix)]
        std::os::unix::fs::symlink(workspace_root().join("manifests"), dir.join("manifests")).expect("link manifests");
        for b in blocks {
            if let Some(name) = b.attr("file") {
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("create dirs");
                }
                std::fs::write(path, &b.text).expect("write block");
            }
        }
        Workdir(temp)
    }
}

/// Runs every console command of a page and returns the mismatches.
fn run_console_blocks(page: &str) -> (usize, Vec<String>) {
    let md = std::fs::read_to_string(workspace_root().join("docs").join(page)).expect("read page");
    let blocks = blocks(&md);
    let dir = Workdir::new(page.trim_end_matches(".md"), &blocks);
    let mut failures = Vec::new();
    let mut commands = 0;
    for b in blocks.iter().filter(|b| b.lang() == "console") {
        let mut lines = b.text.lines().peekable();
        while let Some(line) = lines.next() {
            let Some(cmd) = line.strip_prefix("$ ") else { continue };
            let mut expected = Vec::new();
            while let Some(next) = lines.peek() {
                if next.starts_with("$ ") {
                    break;
                }
                expected.push(*next);
                lines.next();
            }
            let args = words(cmd);
            assert_eq!(
                args.first().map(String::as_str),
                Some("netplay"),
                "{page}:{}: {cmd}",
                b.line
            );
            commands += 1;
            let out = netplay_in(dir.0.path(), &args[1..], None);
            let stdout = &out.stdout;
            let actual: Vec<&str> = stdout.lines().collect();
            while expected.last() == Some(&"") {
                expected.pop();
            }
            if !matches(&expected, &actual) {
                failures.push(format!(
                    "{page}:{}: `{cmd}` printed:\n{stdout}--- stderr\n{}",
                    b.line, out.stderr
                ));
            }
        }
    }
    (commands, failures)
}

#[test]
fn the_examples_of_assertions_md_run_as_shown() {
    let (commands, failures) = run_console_blocks("assertions.md");
    assert!(commands >= 2, "assertions.md shows its commands");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_example_lesson_of_lessons_md_checks_and_grades_as_shown() {
    let (commands, failures) = run_console_blocks("lessons.md");
    assert!(commands >= 3, "lessons.md shows its commands");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_example_lesson_of_lessons_md_reads_without_diagnostics_and_passes_its_own_test() {
    let md = std::fs::read_to_string(workspace_root().join("docs/lessons.md")).expect("read");
    let lesson = blocks(&md)
        .into_iter()
        .find(|b| b.lang() == "markdown")
        .expect("lessons.md has a complete lesson");
    let (parsed, diags) = netplay_core::lessons::parse("close-the-admin-port.md", &lesson.text);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(parsed.expect("a lesson").verify().ok());
}

#[test]
fn the_connections_of_observability_md_are_what_netplay_prints() {
    let (commands, failures) = run_console_blocks("observability.md");
    assert!(commands >= 5, "observability.md shows its commands");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_yaml_example_of_assertions_md_reads_without_diagnostics() {
    let md = std::fs::read_to_string(workspace_root().join("docs/assertions.md")).expect("read");
    for b in blocks(&md).iter().filter(|b| b.lang() == "yaml") {
        let file = netplay_core::SourceFile::new("example.yaml", b.text.clone());
        let (scenario, suites) = netplay_core::load_with_assertions(&[file]);
        assert!(
            scenario.diagnostics.is_empty(),
            "assertions.md:{}: {:?}",
            b.line,
            scenario.diagnostics
        );
        assert!(!suites.is_empty(), "assertions.md:{}: no assertions read", b.line);
    }
}

#[test]
fn the_harness_reads_fences_and_wildcards() {
    let md = "a\n````markdown file=x.md\n```yaml\nk: v\n```\n````\n```console\n$ netplay x\n```\n";
    let b = blocks(md);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].attr("file"), Some("x.md"));
    assert_eq!(b[0].text, "```yaml\nk: v\n```\n");
    assert_eq!(
        words("netplay test 'a b' \"c\" d"),
        ["netplay", "test", "a b", "c", "d"]
    );
    assert!(matches(&["a", "...", "d"], &["a", "b", "c", "d"]));
    assert!(matches(&["a", "..."], &["a"]));
    assert!(!matches(&["a", "...", "d"], &["a", "b"]));
}
