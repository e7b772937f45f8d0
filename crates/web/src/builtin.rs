//! The built-in scenarios (see build.rs): their names, fingerprints and, for the default
//! scenario (every scenario in native builds), their texts. The others are fetched from
//! `dist/builtin/` the first time they are opened and kept for the page's life.

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

/// A built-in scenario.
pub struct Builtin {
    pub group: &'static str,
    pub name: &'static str,
    /// Its README.
    pub description: Option<Asset>,
    /// Example requests for the Mesh view, one `netplay mesh request` line each.
    pub requests: Option<&'static str>,
    /// The `name:` lines of its files: while one of them is left, work named after the
    /// scenario is still recognisably that scenario.
    pub distinctive: &'static [&'static str],
    /// (name in the editor, file).
    pub files: &'static [(&'static str, Asset)],
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
    static FILES: RefCell<BTreeMap<&'static str, Rc<str>>> = const { RefCell::new(BTreeMap::new()) };
}

impl Builtin {
    /// Whether work with these files is this scenario unchanged.
    pub fn same_files<'a>(&self, files: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> bool {
        self.files.len() == files.len()
            && self
                .files
                .iter()
                .zip(files)
                .all(|((n, asset), (name, text))| *n == name && asset.fingerprint == fingerprint(text))
    }

    /// The texts, when they are at hand (compiled in or fetched before).
    pub fn texts(&self) -> Option<Rc<Texts>> {
        if let Some(t) = SCENARIOS.with(|s| s.borrow().get(self.name).cloned()) {
            return Some(t);
        }
        let files = self
            .files
            .iter()
            .map(|(n, a)| a.text.map(|t| (n.to_string(), t.to_string())))
            .collect::<Option<Vec<_>>>()?;
        let description = match &self.description {
            Some(a) => Some(a.text?.to_string()),
            None => None,
        };
        Some(Rc::new(Texts { files, description }))
    }

    /// The texts, fetched from the page's `builtin/` files when they are not at hand (all
    /// at once; files shared with an example opened before are not fetched again). An
    /// error names the file and what went wrong.
    pub async fn fetch(&'static self) -> Result<Rc<Texts>, String> {
        if let Some(t) = self.texts() {
            return Ok(t);
        }
        let assets: Vec<&Asset> = self
            .files
            .iter()
            .map(|(_, a)| a)
            .chain(self.description.as_ref())
            .collect();
        let missing: Vec<&str> = assets
            .iter()
            .filter(|a| a.text.is_none() && FILES.with(|f| !f.borrow().contains_key(a.url)))
            .map(|a| a.url)
            .collect();
        let fetched = crate::browser::fetch_texts(&missing).await?;
        for (url, text) in missing.iter().zip(fetched) {
            let Some(asset) = assets.iter().find(|a| a.url == *url) else {
                continue;
            };
            if fingerprint(&text) != asset.fingerprint {
                return Err(format!(
                    "{url} on the server is not the file this version of the app was built with; reload the page"
                ));
            }
            FILES.with(|f| f.borrow_mut().insert(asset.url, Rc::from(text)));
        }
        let text_of = |a: &Asset| -> Option<String> {
            a.text
                .map(str::to_string)
                .or_else(|| FILES.with(|f| f.borrow().get(a.url).map(|t| t.to_string())))
        };
        let files = self
            .files
            .iter()
            .map(|(n, a)| text_of(a).map(|t| (n.to_string(), t)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("the files of {} were not all fetched", self.name))?;
        let description = self.description.as_ref().and_then(text_of);
        let texts = Rc::new(Texts { files, description });
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
        assert_eq!(copies.len(), 3, "www/index.html copies the three example directories");
        let mut wrong = Vec::new();
        for b in BUILTIN {
            let assets = b.files.iter().map(|(_, a)| a).chain(b.description.as_ref());
            for asset in assets {
                let source = copies.iter().find_map(|(target, href)| {
                    let rest = asset.url.strip_prefix(target.as_str())?.strip_prefix('/')?;
                    Some(root.join("www").join(href).join(rest))
                });
                match source.and_then(|p| std::fs::read_to_string(p).ok()) {
                    Some(text) if fingerprint(&text) == asset.fingerprint => {}
                    Some(_) => wrong.push(format!("{}: a different text", asset.url)),
                    None => wrong.push(format!("{}: not copied into dist/", asset.url)),
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Only the default scenario's texts are compiled into the wasm build (build.rs);
    /// natively every text is, and the fingerprints are of those texts.
    #[test]
    fn compiled_in_texts_match_their_fingerprints() {
        for b in BUILTIN {
            for (name, asset) in b.files {
                let text = asset.text.unwrap_or_default();
                assert_eq!(fingerprint(text), asset.fingerprint, "{} {name}", b.name);
            }
            assert!(b.same_files(b.files.iter().map(|(n, a)| (*n, a.text.unwrap_or_default()))));
        }
        let Some(default) = default_scenario() else {
            panic!("no default scenario")
        };
        assert_eq!(default.name, DEFAULT);
    }
}
