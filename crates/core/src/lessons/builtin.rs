//! The lessons that ship with netplay, compiled in (crates/core/lessons/), so that every
//! front end has the same list (`netplay lesson list`, the playground's Lessons view).

use super::Lesson;

/// A built-in lesson: its file name and text.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinLesson {
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! lessons {
    ($($file:literal),* $(,)?) => {
        &[$(BuiltinLesson { file: concat!("lessons/", $file), text: include_str!(concat!("../../lessons/", $file)) }),*]
    };
}

/// In teaching order.
const BUILTIN: &[BuiltinLesson] = lessons![
    "01-default-deny-dns.md",
    "02-allow-from-one-namespace.md",
    "03-pod-and-namespace-selectors.md",
    "04-egress-to-a-cidr.md",
    "05-named-ports.md",
    "06-protect-the-database.md",
    "07-ingress-from-the-internet.md",
    "08-istio-routing-by-header.md",
    "09-traffic-shifting.md",
    "10-fault-injection.md",
    "11-mtls-migration.md",
    "12-authorization-deny-by-default.md",
    "13-troubleshooting-dns.md",
    "14-observability-access.md",
    "15-admin-guardrails.md",
];

/// Every built-in lesson, in teaching order.
pub fn builtin() -> &'static [BuiltinLesson] {
    BUILTIN
}

/// A built-in lesson by id (`default-deny-dns`) or file name, parsed. Built-in lessons
/// parse without diagnostics (a test makes sure), so those are not returned.
pub fn builtin_lesson(id: &str) -> Option<Lesson> {
    find(BUILTIN.iter().map(|b| (b.file, b.text)), id)
}

/// The lesson called `id` (its id or the end of its file name) among `(file, text)`
/// lesson files, parsed: what [`builtin_lesson`] does with the compiled-in files, for a
/// front end that fetches them instead (the playground).
pub fn find<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>, id: &str) -> Option<Lesson> {
    files.into_iter().find_map(|(file, text)| {
        let (lesson, _) = super::parse(file, text);
        lesson.filter(|l| l.id == id || file.ends_with(id))
    })
}
