//! The command line against what documents it (issue 19, done-when): every command takes
//! `-o/--output` and describes its PATHS, has its exit codes, README's table names only
//! commands, flags and exit codes clap knows, and docs/cli.md's reference is what
//! `netplay man -o md` prints.

use crate::{cli_command, exits, reach};
use clap::Command;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The commands that run something (no subcommands of their own), by full name.
fn leaves(cmd: &Command) -> Vec<(String, Command)> {
    reach::walk(cmd)
        .into_iter()
        .filter(|(_, c)| !c.has_subcommands())
        .map(|(n, c)| (n, c.clone()))
        .collect()
}

fn built() -> Command {
    let mut cmd = cli_command(false);
    cmd.build();
    cmd
}

#[test]
fn every_command_takes_output_and_describes_its_positional_arguments() {
    let cmd = built();
    let mut missing = Vec::new();
    for (name, c) in leaves(&cmd) {
        // `completion SHELL` prints the script of the shell it names: it has no format.
        let output = c.get_arguments().find(|a| a.get_long() == Some("output"));
        if name != "netplay completion" && output.and_then(|a| a.get_short()) != Some('o') {
            missing.push(format!("{name}: no -o/--output"));
        }
        for a in c.get_positionals() {
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            if help.trim().len() < 10 {
                missing.push(format!("{name}: {} is not described", a.get_id()));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn every_command_has_its_exit_codes_and_no_others_are_listed() {
    let cmd = built();
    let names: BTreeSet<String> = leaves(&cmd).into_iter().map(|(n, _)| n).collect();
    let listed: BTreeSet<String> = exits::EXIT_CODES.iter().map(|(c, _)| c.to_string()).collect();
    assert_eq!(names, listed);
    let help = cmd
        .clone()
        .find_subcommand_mut("explain")
        .unwrap()
        .render_long_help()
        .to_string();
    assert!(help.contains("Exit status:\n  0  the verdict was printed"), "{help}");
}

/// The commands, flags and exit codes of one README row.
struct Row {
    commands: Vec<String>,
    flags: Vec<String>,
    codes: BTreeSet<u8>,
}

/// README's CLI table: the rows whose first cell starts with `netplay`.
fn readme_rows(cmd: &Command) -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("| `netplay ")) {
        // Cells split at `|` that is not escaped as `\|`.
        let cells: Vec<String> = line
            .replace("\\|", "\u{1}")
            .split('|')
            .map(|c| c.replace('\u{1}', "|"))
            .collect();
        let (usage, codes) = (&cells[1], &cells[3]);
        let mut row = Row {
            commands: Vec::new(),
            flags: Vec::new(),
            codes: codes
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .collect(),
        };
        for span in usage.split('`').skip(1).step_by(2) {
            let words: Vec<&str> = span.split_whitespace().collect();
            if words.first() != Some(&"netplay") || words.len() < 2 {
                continue;
            }
            for sub in words[1].split('|') {
                let Some(c) = cmd.find_subcommand(sub) else {
                    row.commands.push(format!("netplay {sub}"));
                    continue;
                };
                let subsubs: Vec<&str> = words.get(2).map_or(Vec::new(), |w| w.split('|').collect());
                if c.has_subcommands() {
                    row.commands
                        .extend(subsubs.iter().map(|s| format!("netplay {sub} {s}")));
                } else {
                    row.commands.push(format!("netplay {sub}"));
                }
            }
            row.flags.extend(
                words
                    .iter()
                    .map(|w| w.trim_start_matches('['))
                    .filter(|w| w.starts_with('-') && w.len() > 1 && *w != "--")
                    .map(|w| w.split(['=', ']']).next().unwrap_or(w).to_string()),
            );
        }
        rows.push(row);
    }
    rows
}

fn find<'a>(cmd: &'a Command, name: &str) -> Option<&'a Command> {
    let mut c = cmd;
    for part in name.split(' ').skip(1) {
        c = c.find_subcommand(part)?;
    }
    Some(c)
}

/// Whether `flag` (`-o`, `--output`) is an argument of `c` or a global one.
fn knows(c: &Command, global: &Command, flag: &str) -> bool {
    let matches = |a: &clap::Arg| match flag.strip_prefix("--") {
        Some(long) => a.get_long() == Some(long) || a.get_all_aliases().is_some_and(|al| al.contains(&long)),
        None => flag.chars().nth(1).is_some_and(|s| a.get_short() == Some(s)),
    };
    c.get_arguments().any(matches) || global.get_arguments().any(matches) || matches!(flag, "-h" | "--help")
}

#[test]
fn readme_table_names_only_what_clap_knows_and_every_command() {
    let cmd = built();
    let mut problems = Vec::new();
    let mut covered = BTreeSet::new();
    for row in readme_rows(&cmd) {
        let mut declared = BTreeSet::new();
        for name in &row.commands {
            if find(&cmd, name).is_none() {
                problems.push(format!("README names `{name}`, which is no command"));
                continue;
            }
            covered.insert(name.clone());
            declared.extend(exits::of(name).unwrap_or_default().iter().map(|(code, _)| *code));
        }
        for flag in &row.flags {
            let known = row
                .commands
                .iter()
                .filter_map(|n| find(&cmd, n))
                .any(|c| knows(c, &cmd, flag));
            if !known {
                problems.push(format!(
                    "README gives {:?} the flag {flag}, which it does not take",
                    row.commands
                ));
            }
        }
        if row.codes != declared {
            problems.push(format!(
                "README's exit codes for {:?} are {:?}, src/exits.rs says {declared:?}",
                row.commands, row.codes
            ));
        }
    }
    for (name, _) in leaves(&cmd) {
        if !covered.contains(&name) {
            problems.push(format!("README's table lacks `{name}`"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// docs/cli.md ends with the reference `netplay man -o md` prints, after this line.
const REFERENCE: &str =
    "<!-- The reference below is `netplay man -o md`; a test (crates/cli/src/spec_tests.rs) checks it. -->\n";

#[test]
fn docs_cli_md_carries_the_generated_reference() {
    let path = root().join("docs/cli.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find(REFERENCE).expect("docs/cli.md has the reference marker");
    let expected = format!("{}{REFERENCE}\n{}", &text[..at], reach::markdown(&cli_command(false)));
    if text != expected {
        if std::env::var_os("NETPLAY_BLESS").is_some() {
            std::fs::write(&path, expected).unwrap();
        } else {
            panic!("docs/cli.md's reference is not what `netplay man -o md` prints: NETPLAY_BLESS=1 cargo test -p netplay --bin netplay rewrites it");
        }
    }
}
