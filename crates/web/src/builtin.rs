//! The built-in scenarios and lessons (see build.rs): their names, fingerprints and, for
//! the default scenario (everything in native builds), their texts. The others are
//! fetched from `dist/builtin/` the first time they are needed and kept for the page's
//! life.

use crate::fingerprint::fingerprint;
use crate::saved::{File, Saved};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One file of a built-in scenario.
pub struct Asset {
    /// Where the app finds it, relative to the page.
    pub url: &'static str,
    /// `fingerprint` of its text.
    pub fingerprint: u64,
    /// Its text, when compiled in.
    pub text: Option<&'static str>,
}

/// One file of a built-in scenario, served at the scenario's `base` plus its name.
pub struct BuiltinFile {
    /// Its name in the editor.
    pub name: &'static str,
    /// `fingerprint` of its text.
    pub fingerprint: u64,
    /// Its text, when compiled in.
    pub text: Option<&'static str>,
}

/// A built-in scenario.
pub struct Builtin {
    pub group: &'static str,
    pub name: &'static str,
    /// Its README.
    pub description: Option<Asset>,
    /// Example requests for the Mesh view, one `netplay mesh request` line each.
    pub requests: Option<Asset>,
    /// The fingerprints of the `name:` lines of its files (trimmed; sorted): while one of
    /// them is left, work named after the scenario is still recognisably that scenario.
    pub distinctive: &'static [u64],
    /// Where its files are, relative to the page: `base` + a file's name.
    pub base: &'static str,
    pub files: &'static [BuiltinFile],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The scenario a newcomer sees first: the example shop (frontend, backend v1/v2,
/// database, worker, monitoring) with its NetworkPolicies. build.rs compiles its texts in.
pub const DEFAULT: &str = "network-policies";

pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.name == name)
}

/// The default scenario (or the first there is).
pub fn default_scenario() -> Option<&'static Builtin> {
    find(DEFAULT).or(BUILTIN.first())
}

/// A built-in scenario's texts.
#[derive(Debug, PartialEq)]
pub struct Texts {
    pub files: Vec<(String, String)>,
    pub description: Option<String>,
    pub requests: Option<Rc<str>>,
}

impl Texts {
    /// The scenario as work to open.
    pub fn saved(&self, name: &str) -> Saved {
        Saved {
            name: name.to_string(),
            files: self
                .files
                .iter()
                .map(|(n, t)| File::new(n.as_str(), t.as_str()))
                .collect(),
            active: 0,
        }
    }
}

thread_local! {
    /// Scenarios whose texts were fetched, by name.
    static SCENARIOS: RefCell<BTreeMap<&'static str, Rc<Texts>>> = const { RefCell::new(BTreeMap::new()) };
    /// Files fetched so far, by URL (the library's examples share most of theirs).
    static FILES: RefCell<BTreeMap<String, Rc<str>>> = const { RefCell::new(BTreeMap::new()) };
    /// The lessons' files once at hand; else why the last fetch failed, if one did.
    static LESSON_FILES: RefCell<Result<Lessons, Option<String>>> = const { RefCell::new(Err(None)) };
}

/// The built-in lessons' files, `(name, text)` in teaching order, named as core names
/// them (`lessons/01-default-deny-dns.md`; `netplay_core::lessons::find` reads them).
pub type Lessons = Rc<[(String, String)]>;

/// The lessons when at hand: compiled in (native builds) or fetched before in this page.
pub fn lessons() -> Option<Lessons> {
    if let Ok(l) = LESSON_FILES.with(|l| l.borrow().clone()) {
        return Some(l);
    }
    let compiled: Vec<(String, String)> = LESSONS
        .iter()
        .map(|f| f.text.map(|t| (f.name.to_string(), t.to_string())))
        .collect::<Option<_>>()?;
    let compiled: Lessons = compiled.into();
    LESSON_FILES.with(|l| *l.borrow_mut() = Ok(compiled.clone()));
    Some(compiled)
}

/// Why the lessons are not at hand, for a message.
pub fn lessons_missing() -> String {
    match LESSON_FILES.with(|l| l.borrow().clone()) {
        Err(Some(why)) => format!("the lessons could not be fetched ({why})"),
        _ => "the lessons are still being fetched".to_string(),
    }
}

/// The lessons, fetched from the page's `builtin/lessons/` when they are not at hand
/// (all at once, each checked against its fingerprint). A failure is kept for
/// [`lessons_missing`] and returned.
pub async fn fetch_lessons() -> Result<Lessons, String> {
    if let Some(l) = lessons() {
        return Ok(l);
    }
    let urls: Vec<String> = LESSONS.iter().map(|f| format!("builtin/{}", f.name)).collect();
    let wanted: Vec<(&str, u64)> = urls
        .iter()
        .map(String::as_str)
        .zip(LESSONS.iter().map(|f| f.fingerprint))
        .collect();
    let fetched = fetch_checked(&wanted).await.map(|texts| {
        LESSONS
            .iter()
            .zip(texts)
            .map(|(f, text)| (f.name.to_string(), text))
            .collect::<Lessons>()
    });
    LESSON_FILES.with(|l| *l.borrow_mut() = fetched.clone().map_err(Some));
    fetched
}

/// The texts at `(url, fingerprint)`, fetched all at once; an error when one cannot be
/// fetched or is not the text this build was made with.
async fn fetch_checked(wanted: &[(&str, u64)]) -> Result<Vec<String>, String> {
    let urls: Vec<&str> = wanted.iter().map(|(url, _)| *url).collect();
    let texts = crate::browser::fetch_texts(&urls).await?;
    for ((url, expected), text) in wanted.iter().zip(&texts) {
        if fingerprint(text) != *expected {
            return Err(format!(
                "{url} on the server is not the file this version of the app was built with; reload the page"
            ));
        }
    }
    Ok(texts)
}

impl Builtin {
    /// Whether work with these files is this scenario unchanged.
    pub fn same_files<'a>(&self, files: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> bool {
        self.files.len() == files.len()
            && self
                .files
                .iter()
                .zip(files)
                .all(|(file, (name, text))| file.name == name && file.fingerprint == fingerprint(text))
    }

    /// The texts, when they are at hand (compiled in or fetched before).
    pub fn texts(&self) -> Option<Rc<Texts>> {
        if let Some(t) = SCENARIOS.with(|s| s.borrow().get(self.name).cloned()) {
            return Some(t);
        }
        let files = self
            .files
            .iter()
            .map(|f| f.text.map(|t| (f.name.to_string(), t.to_string())))
            .collect::<Option<Vec<_>>>()?;
        let description = match &self.description {
            Some(a) => Some(a.text?.to_string()),
            None => None,
        };
        let requests = match &self.requests {
            Some(a) => Some(Rc::from(a.text?)),
            None => None,
        };
        Some(Rc::new(Texts {
            files,
            description,
            requests,
        }))
    }

    /// The texts, fetched from the page's `builtin/` files when they are not at hand (all
    /// at once; files shared with an example opened before are not fetched again). An
    /// error names the file and what went wrong.
    pub async fn fetch(&'static self) -> Result<Rc<Texts>, String> {
        if let Some(t) = self.texts() {
            return Ok(t);
        }
        // (URL, fingerprint, text when compiled in) of every file and the README.
        let assets: Vec<(String, u64, Option<&str>)> = self
            .files
            .iter()
            .map(|f| (format!("{}{}", self.base, f.name), f.fingerprint, f.text))
            .chain(
                self.description
                    .iter()
                    .chain(&self.requests)
                    .map(|a| (a.url.to_string(), a.fingerprint, a.text)),
            )
            .collect();
        let missing: Vec<&(String, u64, Option<&str>)> = assets
            .iter()
            .filter(|(url, _, text)| text.is_none() && FILES.with(|f| !f.borrow().contains_key(url)))
            .collect();
        let wanted: Vec<(&str, u64)> = missing
            .iter()
            .map(|(url, expected, _)| (url.as_str(), *expected))
            .collect();
        for ((url, _), text) in wanted.iter().zip(fetch_checked(&wanted).await?) {
            FILES.with(|f| f.borrow_mut().insert(url.to_string(), Rc::from(text)));
        }
        let text_of = |url: &str, text: Option<&str>| -> Option<String> {
            text.map(str::to_string)
                .or_else(|| FILES.with(|f| f.borrow().get(url).map(|t| t.to_string())))
        };
        let files = self
            .files
            .iter()
            .zip(&assets)
            .map(|(f, (url, _, text))| text_of(url, *text).map(|t| (f.name.to_string(), t)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("the files of {} were not all fetched", self.name))?;
        let description = self.description.as_ref().and_then(|a| text_of(a.url, a.text));
        let requests = self
            .requests
            .as_ref()
            .and_then(|a| text_of(a.url, a.text))
            .map(Rc::from);
        let texts = Rc::new(Texts {
            files,
            description,
            requests,
        });
        SCENARIOS.with(|s| s.borrow_mut().insert(self.name, texts.clone()));
        Ok(texts)
    }
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
            let Some(texts) = b.texts() else {
                panic!("native builds compile every text in ({})", b.name)
            };
            let files: Vec<netplay_core::SourceFile> = texts
                .files
                .iter()
                .map(|(n, t)| netplay_core::SourceFile::new(n.as_str(), t.as_str()))
                .collect();
            let mut codes: Vec<&str> = netplay_core::load(&files)
                .analyze()
                .into_iter()
                .filter(|d| d.severity == netplay_core::Severity::Error)
                .map(|d| d.code)
                .collect();
            codes.dedup();
            let about = texts.description.as_deref().unwrap_or_default();
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

    /// Every file the wasm build fetches is where www/index.html's copy-dir links put it,
    /// with the text whose fingerprint the build holds.
    #[test]
    fn fetched_files_are_where_trunk_copies_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let index = std::fs::read_to_string(root.join("www/index.html")).unwrap_or_default();
        // (target path in dist/, source directory relative to www/)
        let copies: Vec<(String, String)> = index
            .lines()
            .filter(|l| l.contains(r#"rel="copy-dir""#))
            .filter_map(|l| {
                let attr = |name: &str| {
                    let start = l.find(&format!(r#"{name}=""#))? + name.len() + 2;
                    Some(l[start..].split('"').next()?.to_string())
                };
                Some((attr("data-target-path")?, attr("href")?))
            })
            .collect();
        assert_eq!(
            copies.len(),
            4,
            "www/index.html copies the three example directories and the lessons"
        );
        let lessons = LESSONS.iter().map(|f| (format!("builtin/{}", f.name), f.fingerprint));
        let assets = BUILTIN
            .iter()
            .flat_map(|b| {
                b.files
                    .iter()
                    .map(|f| (format!("{}{}", b.base, f.name), f.fingerprint))
                    .chain(
                        b.description
                            .iter()
                            .chain(&b.requests)
                            .map(|a| (a.url.to_string(), a.fingerprint)),
                    )
            })
            .chain(lessons);
        let mut wrong = Vec::new();
        for (url, expected) in assets {
            let source = copies.iter().find_map(|(target, href)| {
                let rest = url.strip_prefix(target.as_str())?.strip_prefix('/')?;
                Some(root.join("www").join(href).join(rest))
            });
            match source.and_then(|p| std::fs::read_to_string(p).ok()) {
                Some(text) if fingerprint(&text) == expected => {}
                Some(_) => wrong.push(format!("{url}: a different text")),
                None => wrong.push(format!("{url}: not copied into dist/")),
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Only the default scenario's texts are compiled into the wasm build (build.rs);
    /// natively every text is, and the fingerprints are of those texts.
    #[test]
    fn compiled_in_texts_match_their_fingerprints() {
        for b in BUILTIN {
            for f in b.files {
                let text = f.text.unwrap_or_default();
                assert_eq!(fingerprint(text), f.fingerprint, "{} {}", b.name, f.name);
            }
            assert!(b.same_files(b.files.iter().map(|f| (f.name, f.text.unwrap_or_default()))));
        }
        let Some(default) = default_scenario() else {
            panic!("no default scenario")
        };
        assert_eq!(default.name, DEFAULT);
    }

    /// The lessons the app fetches are core's built-in lessons, in the same order (the
    /// CLI's `netplay lesson list` and the Lessons view list the same).
    #[test]
    fn the_lessons_are_cores_built_in_lessons() {
        let ours: Vec<(&str, u64)> = LESSONS.iter().map(|f| (f.name, f.fingerprint)).collect();
        let core: Vec<(&str, u64)> = netplay_core::lessons::builtin()
            .iter()
            .map(|b| (b.file, fingerprint(b.text)))
            .collect();
        assert_eq!(ours, core);
        assert_eq!(lessons().map(|l| l.len()), Some(core.len()), "natively compiled in");
    }
}
