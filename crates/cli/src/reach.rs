//! Reach beyond the terminal it runs in: the `kubectl netplay` plugin name, shell
//! completions and manual pages, all generated from the one clap definition that also
//! prints `--help` (so none of them can drift from it).

use clap::{Arg, ArgAction, Command};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file name kubectl looks for on PATH to run `kubectl netplay ...`.
pub const PLUGIN_NAME: &str = "kubectl-netplay";

/// Whether the binary was started under the plugin's name (a link or a copy named
/// `kubectl-netplay`, as kubectl runs it); `.exe` and directories are ignored.
pub fn invoked_as_plugin(argv0: Option<&std::ffi::OsStr>) -> bool {
    argv0
        .and_then(|a| Path::new(a).file_stem())
        .is_some_and(|stem| stem == PLUGIN_NAME)
}

/// `netplay man`'s formats.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ManFormat {
    /// roff, for `man`.
    Roff,
    /// Markdown: the reference in docs/cli.md.
    Md,
}

#[derive(clap::Args)]
pub struct ManArgs {
    /// Write one page per command (`netplay.1`, `netplay-connlist.1`, ...) into this
    /// directory instead of the top page to stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output format.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "format",
        value_enum,
        default_value = "roff"
    )]
    pub format: ManFormat,
}

/// `netplay completion SHELL`: the script on stdout.
pub fn completion(mut cmd: Command, shell: clap_complete::Shell) {
    let name = cmd.get_bin_name().unwrap_or("netplay").replace(' ', "-");
    // Into memory first: clap_complete panics when its writer fails (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut script);
    crate::print(&String::from_utf8_lossy(&script));
}

/// `netplay man`: the top page to stdout, or every page into `--dir`.
pub fn man(cmd: Command, args: ManArgs) -> Result<u8, String> {
    match (args.format, args.dir) {
        (ManFormat::Md, None) => crate::print(&markdown(&cmd)),
        (ManFormat::Md, Some(_)) => return Err("man --dir writes roff pages; -o md prints to stdout".to_string()),
        (ManFormat::Roff, None) => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map_err(|e| format!("cannot render the manual page: {e}"))?;
            crate::print(&String::from_utf8_lossy(&page));
        }
        (ManFormat::Roff, Some(dir)) => {
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir).map_err(|e| format!("{}: cannot write: {e}", dir.display()))?;
            eprintln!("netplay: wrote the manual pages to {}", dir.display());
        }
    }
    Ok(0)
}

/// The commands below `cmd`, depth first, each with its full name (`netplay flows replay`),
/// leaving out clap's own `help`.
pub fn walk(cmd: &Command) -> Vec<(String, &Command)> {
    fn go<'a>(cmd: &'a Command, name: String, out: &mut Vec<(String, &'a Command)>) {
        out.push((name.clone(), cmd));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            go(sub, format!("{name} {}", sub.get_name()), out);
        }
    }
    let mut out = Vec::new();
    go(cmd, cmd.get_name().to_string(), &mut out);
    out
}

/// Whether an argument is clap's own `--help`/`--version`.
fn is_generated(arg: &Arg) -> bool {
    matches!(
        arg.get_action(),
        ArgAction::Help | ArgAction::HelpLong | ArgAction::Version
    )
}

/// How an argument is written: `-o, --output <FORMAT>` or `<PATHS>...`.
pub fn spelling(arg: &Arg) -> String {
    let value = || {
        let names = arg
            .get_value_names()
            .map(|n| n.join(" "))
            .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
        let takes = arg.get_num_args().is_some_and(|n| n.takes_values()) || arg.is_positional();
        takes.then(|| {
            let many =
                matches!(arg.get_action(), ArgAction::Append) || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
            format!("<{names}>{}", if many { "..." } else { "" })
        })
    };
    if arg.is_positional() {
        return value().unwrap_or_default();
    }
    let mut names = Vec::new();
    if let Some(s) = arg.get_short() {
        names.push(format!("-{s}"));
    }
    if let Some(l) = arg.get_long() {
        names.push(format!("--{l}"));
    }
    let mut out = names.join(", ");
    if matches!(arg.get_action(), ArgAction::Set | ArgAction::Append) {
        if let Some(v) = value() {
            let _ = write!(out, " {v}");
        }
    }
    out
}

/// What `--help` says of an argument, on one line, with its choices and default.
fn described(arg: &Arg) -> String {
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let mut out = help.split_whitespace().collect::<Vec<_>>().join(" ");
    if !out.is_empty() && !out.ends_with('.') {
        out.push('.');
    }
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if !choices.is_empty() && matches!(arg.get_action(), ArgAction::Set | ArgAction::Append) {
        let _ = write!(out, " One of {}.", choices.join(", "));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && matches!(arg.get_action(), ArgAction::Set | ArgAction::Append) {
        let _ = write!(out, " Default: `{}`.", defaults.join(" "));
    }
    let aliases: Vec<String> = arg
        .get_visible_aliases()
        .unwrap_or_default()
        .iter()
        .map(|a| format!("`--{a}`"))
        .collect();
    if !aliases.is_empty() {
        let _ = write!(out, " Also {}.", aliases.join(", "));
    }
    out.replace('|', "\\|")
}

/// The command reference in Markdown, as docs/cli.md carries it: per command its usage,
/// what it does, its arguments and flags (the global ones once, under `netplay`).
pub fn markdown(cmd: &Command) -> String {
    let mut cmd = cmd.clone();
    cmd.build();
    let mut out = String::new();
    for (name, c) in walk(&cmd) {
        let depth = name.matches(' ').count();
        let _ = writeln!(out, "{} `{name}`\n", "#".repeat(3 + depth.min(1)));
        let about = c
            .get_long_about()
            .or(c.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        if !about.is_empty() {
            let _ = writeln!(out, "{}\n", about.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        let mut usage = c.clone();
        let _ = writeln!(
            out,
            "```\n{}\n```\n",
            usage.render_usage().to_string().trim_start_matches("Usage: ")
        );
        let args: Vec<&Arg> = c
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !is_generated(a) && (depth == 0 || !a.is_global_set()))
            .collect();
        if !args.is_empty() {
            out.push_str("| argument | meaning |\n|---|---|\n");
            for a in args {
                let _ = writeln!(out, "| `{}` | {} |", spelling(a), described(a));
            }
            out.push('\n');
        }
        if let Some(codes) = crate::exits::of(&name.replacen(PLUGIN_NAME, "netplay", 1)) {
            out.push_str("| exit status | when |\n|---|---|\n");
            for (code, when) in codes {
                let _ = writeln!(out, "| {code} | {} |", when.replace('|', "\\|"));
            }
            out.push('\n');
        }
    }
    out
}
