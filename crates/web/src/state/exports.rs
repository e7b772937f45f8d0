//! What the Export menu and the Share button produce, computed by core from the state.

use super::{source_files, State};
use netplay_core::export;
use netplay_core::output::{render_connlist, Format};

/// A file name for the scenario: letters, digits and dashes.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "netplay".into()
    } else {
        s
    }
}

/// A bundle (zip) and the documents left out of it (Secrets, netplay's own documents), or
/// why it cannot be made.
pub fn bundle(s: &State) -> Result<(Vec<u8>, Vec<String>), String> {
    // A bundle is what goes to a cluster: no Secrets (bundles get shared; the CLI has
    // --include-secrets) and none of netplay's own documents.
    let (files, withheld) = export::withhold(&source_files(&s.files), false);
    let bytes = export::bundle(&s.scenario_name, &files).map_err(|e| format!("Cannot export the bundle: {e}"))?;
    let names = withheld
        .iter()
        .map(|w| format!("{w} ({}:{})", w.file, w.line))
        .collect();
    Ok((bytes, names))
}

pub fn yaml(s: &State) -> String {
    export::multi_document_yaml(&source_files(&s.files))
}

pub fn connections(s: &State, format: Format) -> String {
    render_connlist(&s.analysis.lines, format)
}

/// The share code (`v1.…`) of the whole scenario.
pub fn share_code(s: &State) -> String {
    export::encode_share(&source_files(&s.files))
}

/// Reads a dropped or picked bundle.
pub fn read_bundle(bytes: &[u8]) -> Result<super::Saved, String> {
    export::read_bundle(bytes)
        .map(|b| super::Saved {
            name: b.scenario,
            files: b.files.into_iter().map(|f| super::File::new(f.name, f.text)).collect(),
            active: 0,
        })
        .map_err(|e| e.to_string())
}
