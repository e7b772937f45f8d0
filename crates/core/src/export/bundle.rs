//! The bundle: a zip of the scenario's files plus `bundle.json` (see the module above).

use super::error::size_text;
use super::error::{ExportError, Mismatch};
use super::format::*;
use super::paths::sanitize_path;
use super::zip::{central_entries, entry_data, ZipWriter};
use crate::parse::SourceFile;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A bundle as read back by [`read_bundle`], its files in `bundle.json`'s order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub scenario: String,
    /// Who wrote it, e.g. `netplay 0.1.0`.
    pub generator: String,
    pub files: Vec<SourceFile>,
}

/// The sanitised paths of `files`, sorted, each with its file; refuses duplicates,
/// the manifest's name, and a path that is also another's directory (`a` and `a/b`):
/// such a zip cannot be unpacked.
fn sorted_entries(files: &[SourceFile]) -> Result<Vec<(String, &SourceFile)>, ExportError> {
    let mut entries = Vec::with_capacity(files.len());
    for file in files {
        let path = sanitize_path(&file.name)?;
        if path == MANIFEST_NAME {
            return Err(ExportError::BadPath {
                path: file.name.clone(),
                reason: format!("{MANIFEST_NAME} is reserved for the bundle's list of files"),
            });
        }
        entries.push((path, file));
    }
    crate::sorting::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
    let mut paths = BTreeSet::new();
    paths.insert(MANIFEST_NAME);
    for (path, _) in &entries {
        if !paths.insert(path.as_str()) {
            return Err(ExportError::DuplicatePath { path: path.clone() });
        }
    }
    for (path, _) in &entries {
        for (i, _) in path.match_indices('/') {
            let dir = &path[..i];
            if paths.contains(dir) {
                return Err(ExportError::BadPath {
                    path: dir.to_string(),
                    reason: format!("it is a file, and also the directory of {path:?}"),
                });
            }
        }
    }
    Ok(entries)
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    /// `v1` and `List` with no `items`: what kubectl sees when it reads the unpacked
    /// bundle's `bundle.json` (an empty list is no objects; kubectl validates only a
    /// list's items, so the netplay fields beside them are not a problem).
    #[serde(default = "list_api_version")]
    api_version: String,
    #[serde(default = "list_kind")]
    kind: String,
    #[serde(default)]
    items: Vec<serde_json::Value>,
    format_version: u64,
    generator: String,
    scenario: String,
    files: Vec<ManifestFile>,
}

fn list_api_version() -> String {
    "v1".to_string()
}

fn list_kind() -> String {
    "List".to_string()
}

#[derive(Serialize, Deserialize)]
struct ManifestFile {
    path: String,
    sha256: String,
    size: u64,
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a bundle: a zip holding `bundle.json` and each file at its sanitised path.
/// The same files (in any order) and name always give the same bytes.
pub fn bundle(scenario_name: &str, files: &[SourceFile]) -> Result<Vec<u8>, ExportError> {
    let entries = sorted_entries(files)?;
    let mut total: u64 = 0;
    for (path, file) in &entries {
        let size = file.text.len() as u64;
        if size > MAX_ENTRY_SIZE {
            return Err(ExportError::File {
                path: path.clone(),
                problem: format!(
                    "it is too large for a bundle: {} (the limit is {})",
                    size_text(size),
                    size_text(MAX_ENTRY_SIZE)
                ),
            });
        }
        total += size;
    }
    // A zip without the zip64 extension counts entries in 16 bits.
    if entries.len() >= usize::from(u16::MAX) {
        return Err(ExportError::TooManyFiles {
            what: "the bundle",
            count: entries.len(),
            limit: usize::from(u16::MAX) - 1,
        });
    }
    let manifest = Manifest {
        api_version: list_api_version(),
        kind: list_kind(),
        items: Vec::new(),
        format_version: FORMAT_VERSION,
        generator: format!("netplay {}", env!("CARGO_PKG_VERSION")),
        scenario: scenario_name.to_string(),
        files: entries
            .iter()
            .map(|(path, file)| ManifestFile {
                path: path.clone(),
                sha256: sha256_hex(file.text.as_bytes()),
                size: file.text.len() as u64,
            })
            .collect(),
    };
    let mut manifest_text =
        serde_json::to_string_pretty(&manifest).map_err(|e| ExportError::Manifest(format!("cannot write: {e}")))?;
    manifest_text.push('\n');
    total += manifest_text.len() as u64;
    if total > MAX_TOTAL_SIZE {
        return Err(ExportError::TooLarge {
            what: "the bundle",
            size: Some(total),
            limit: MAX_TOTAL_SIZE,
        });
    }

    let mut zip = ZipWriter::default();
    zip.add(MANIFEST_NAME, manifest_text.as_bytes())?;
    for (path, file) in &entries {
        zip.add(path, file.text.as_bytes())?;
    }
    zip.finish()
}

/// Reads a bundle written by [`bundle`] (or by any zip tool from the same files and
/// `bundle.json`). Refuses a bundle whose files do not match `bundle.json`: a different
/// sha256 or size, a listed file that is missing, a file that is not listed. Directory
/// entries are ignored.
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle, ExportError> {
    // Names and sizes first, so that nothing is inflated from an archive over the limits.
    let mut wanted = Vec::new();
    let mut paths = BTreeSet::new();
    let mut total: u64 = 0;
    for entry in central_entries(bytes)? {
        let name = String::from_utf8_lossy(entry.name);
        if name.ends_with('/') && entry.uncompressed == 0 {
            continue; // a directory
        }
        let path = sanitize_path(&name)?;
        let size = u64::from(entry.uncompressed);
        if size > MAX_ENTRY_SIZE {
            return Err(ExportError::File {
                path,
                problem: format!(
                    "it is too large: {} (the limit is {})",
                    size_text(size),
                    size_text(MAX_ENTRY_SIZE)
                ),
            });
        }
        total += size;
        if total > MAX_TOTAL_SIZE {
            return Err(ExportError::TooLarge {
                what: "the bundle",
                size: None,
                limit: MAX_TOTAL_SIZE,
            });
        }
        if !paths.insert(path.clone()) {
            return Err(ExportError::DuplicatePath { path });
        }
        wanted.push((path, entry));
    }
    let mut data = BTreeMap::new();
    for (path, entry) in wanted {
        let content = entry_data(bytes, &entry, &path)?;
        data.insert(path, content);
    }

    let manifest = data
        .remove(MANIFEST_NAME)
        .ok_or_else(|| ExportError::Manifest("missing: this zip is not a netplay bundle".to_string()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&manifest).map_err(|e| ExportError::Manifest(format!("not valid JSON: {e}")))?;
    match value.get("formatVersion").and_then(serde_json::Value::as_u64) {
        Some(OLDEST_FORMAT_VERSION..=FORMAT_VERSION) => {}
        Some(v) => {
            return Err(ExportError::Manifest(format!(
                "format version {v} is not supported: this netplay reads versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"
            )))
        }
        None => return Err(ExportError::Manifest("formatVersion is missing".to_string())),
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| ExportError::Manifest(format!("unexpected content: {e}")))?;

    let mut files = Vec::with_capacity(manifest.files.len());
    let mut listed = BTreeSet::new();
    for item in manifest.files {
        let path = sanitize_path(&item.path)?;
        if !listed.insert(path.clone()) {
            return Err(ExportError::DuplicatePath { path });
        }
        let Some(content) = data.remove(&path) else {
            return Err(ExportError::Mismatch {
                path,
                problem: Mismatch::Missing,
            });
        };
        let size = content.len() as u64;
        if size != item.size {
            return Err(ExportError::Mismatch {
                path,
                problem: Mismatch::Size {
                    listed: item.size,
                    actual: size,
                },
            });
        }
        let actual = sha256_hex(&content);
        if !actual.eq_ignore_ascii_case(&item.sha256) {
            return Err(ExportError::Mismatch {
                path,
                problem: Mismatch::Checksum {
                    listed: item.sha256,
                    actual,
                },
            });
        }
        let text = String::from_utf8(content).map_err(|_| ExportError::File {
            path: path.clone(),
            problem: "it is not UTF-8 text".to_string(),
        })?;
        files.push(SourceFile::new(path, text));
    }
    if let Some(path) = data.into_keys().next() {
        return Err(ExportError::Mismatch {
            path,
            problem: Mismatch::Unlisted,
        });
    }
    Ok(Bundle {
        scenario: manifest.scenario,
        generator: manifest.generator,
        files,
    })
}
