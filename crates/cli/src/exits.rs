//! Each command's exit codes, written once: `--help` prints them after the flags, `netplay
//! man -o md` (docs/cli.md) as a table, and a test holds README's exit-code column to them.
//! Every command also exits 2 on a usage error (clap's), and never 101 (a crash).

/// (command as `netplay SUB [SUBSUB]`, [(code, when)]).
pub const EXIT_CODES: &[(&str, &[(u8, &str)])] = &[
    ("netplay connlist", &[(0, "the list was printed"), (2, "no input could be read, no Kubernetes object in it, a --focus-workload that names nothing, or the cluster could not be read")]),
    ("netplay explain", &[(0, "the verdict was printed (allowed or denied), and it is --expect's when given"), (1, "the verdict is not --expect's"), (2, "no input, or --src, --dst or --port names nothing (the closest name is suggested)")]),
    ("netplay diff", &[(0, "the sides have the same connections (or objects, with --server-side)"), (1, "they differ"), (2, "a side could not be read or has errors (without --allow-errors), no NEW side without --context/--live, or the cluster could not be read")]),
    ("netplay dump", &[(0, "the snapshot was written"), (2, "the cluster could not be read, or the directory is not empty")]),
    ("netplay apply", &[(0, "every object was applied"), (1, "an object failed (after trying every one)"), (2, "the input or the cluster could not be used, or a production-like context without --yes")]),
    ("netplay serve", &[(0, "stopped"), (2, "the address could not be listened on, or --dir holds no playground")]),
    ("netplay convert", &[(0, "the rewrite keeps every connection"), (1, "the rewrite changes a connection (the differences on stderr)"), (2, "no input could be read")]),
    ("netplay analyze", &[(0, "no diagnostic reaches --failure-threshold"), (1, "a diagnostic reaches --failure-threshold (default: error)"), (2, "no input could be read, or a bad --suppress or threshold")]),
    ("netplay bundle", &[(0, "the bundle was written"), (2, "nothing could be read or was left to bundle, or the zip could not be written")]),
    ("netplay probe", &[(0, "the cluster enforces what netplay predicts"), (1, "a connection differs from the prediction"), (2, "the input or the cluster could not be used")]),
    ("netplay multicluster resolve", &[(0, "the answer was computed, reachable or not"), (2, "no input, an unknown client, or an input with one cluster")]),
    ("netplay plan", &[(0, "the plans are valid"), (1, "a diagnostic is an error"), (2, "nothing could be read, or the input has no AddressPlan")]),
    ("netplay test", &[(0, "every assertion holds"), (1, "an assertion fails"), (2, "a path, document or assertion could not be read, or there is no assertion")]),
    ("netplay lesson list", &[(0, "always")]),
    ("netplay lesson check", &[(0, "every check passes"), (1, "a check fails"), (2, "the lesson or the learner's files could not be read")]),
    ("netplay flows replay", &[(0, "every flow is allowed"), (1, "a flow would be blocked"), (2, "the manifests or the flows could not be read")]),
    ("netplay flows diff", &[(0, "every rule is used and every flow admitted"), (1, "a rule no flow uses, or a flow no rule admits"), (2, "the manifests or the flows could not be read")]),
    ("netplay flows policy", &[(0, "the policies were written"), (2, "the manifests or the flows could not be read, or a file could not be written")]),
    ("netplay mesh request", &[(0, "the request was simulated, whatever its HTTP status"), (2, "no input, an unknown source, or a request that cannot be read")]),
    ("netplay mesh split", &[(0, "the split was computed"), (2, "no input, or a host that names nothing")]),
    ("netplay completion", &[(0, "the script was printed")]),
    ("netplay man", &[(0, "the page was printed or the pages written"), (2, "--dir could not be written")]),
];

/// The exit codes of `command` (`netplay flows replay`), if it has its own.
pub fn of(command: &str) -> Option<&'static [(u8, &'static str)]> {
    EXIT_CODES.iter().find(|(c, _)| *c == command).map(|(_, codes)| *codes)
}

/// `--help`'s closing paragraph: `Exit status:` and one line per code.
pub fn help(codes: &[(u8, &str)]) -> String {
    let lines: Vec<String> = codes.iter().map(|(code, when)| format!("  {code}  {when}")).collect();
    format!(
        "Exit status:\n{}\nA usage error (an unknown flag, a missing value) exits 2.",
        lines.join("\n")
    )
}

/// `cmd` and its subcommands with their exit codes after the help.
pub fn annotate(cmd: clap::Command) -> clap::Command {
    fn go(cmd: clap::Command, name: &str) -> clap::Command {
        let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
        let mut cmd = match of(name) {
            Some(codes) => cmd.after_help(help(codes)),
            None => cmd,
        };
        for sub in subs {
            let full = format!("{name} {sub}");
            cmd = cmd.mut_subcommand(&sub, |s| go(s, &full));
        }
        cmd
    }
    go(cmd, "netplay")
}
