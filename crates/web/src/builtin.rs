//! The scenarios compiled into the app (see build.rs).

/// A built-in scenario.
pub struct Builtin {
    pub group: &'static str,
    pub name: &'static str,
    pub description: Option<&'static str>,
    /// Example requests for the Mesh view, one `netplay mesh request` line each.
    pub requests: Option<&'static str>,
    pub files: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The scenario a newcomer sees first: the example shop (frontend, backend v1/v2,
/// database, worker, monitoring) with its NetworkPolicies.
pub const DEFAULT: &str = "network-policies";

pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.name == name)
}

/// The default scenario (or the first there is).
pub fn default_scenario() -> Option<&'static Builtin> {
    find(DEFAULT).or(BUILTIN.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A built-in scenario that opens with errors says so in its About text (naming each
    /// error's code), so that a learner knows they are part of the example (e.g. a
    /// subset without pods that the 503 requests use).
    #[test]
    fn scenarios_that_open_with_errors_say_so() {
        let mut silent = Vec::new();
        for b in BUILTIN {
            let files: Vec<netplay_core::SourceFile> = b
                .files
                .iter()
                .map(|(n, t)| netplay_core::SourceFile::new(*n, *t))
                .collect();
            let mut codes: Vec<&str> = netplay_core::load(&files)
                .analyze()
                .into_iter()
                .filter(|d| d.severity == netplay_core::Severity::Error)
                .map(|d| d.code)
                .collect();
            codes.dedup();
            let about = b.description.unwrap_or_default();
            let unsaid: Vec<&str> = codes.into_iter().filter(|c| !about.contains(c)).collect();
            if !unsaid.is_empty() {
                silent.push(format!("{}: {}", b.name, unsaid.join(", ")));
            }
        }
        assert!(
            silent.is_empty(),
            "open with errors without saying so:\n{}",
            silent.join("\n")
        );
    }
}
