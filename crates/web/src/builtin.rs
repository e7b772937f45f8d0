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

/// The scenario a newcomer sees first.
pub const DEFAULT: &str = "e2e-multiple-policies-union";

pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.name == name)
}

/// The default scenario (or the first there is).
pub fn default_scenario() -> Option<&'static Builtin> {
    find(DEFAULT).or(BUILTIN.first())
}
