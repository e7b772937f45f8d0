//! Export: the bundle (a deterministic zip of the scenario's files plus `bundle.json`),
//! one multi-document YAML stream, and share links.
//!
//! Pure like the rest of core: bytes and strings in, bytes and strings out. Reading is
//! bounded (see the `MAX_*` constants) and never panics, whatever the bytes.
//!
//! A bundle is a zip whose entries are the files at their sanitised paths (relative,
//! `/`-separated; see [`sanitize_path`]) plus `bundle.json`:
//!
//! ```json
//! {
//!   "apiVersion": "v1",
//!   "kind": "List",
//!   "items": [],
//!   "formatVersion": 2,
//!   "generator": "netplay 0.1.0",
//!   "scenario": "default-deny",
//!   "files": [{ "path": "app/policy.yaml", "sha256": "…", "size": 123 }]
//! }
//! ```
//!
//! The zip is written here rather than with a zip crate so that its bytes are a function
//! of the input alone: `bundle.json` first, then the files sorted by path, every entry
//! dated 1980-01-01 00:00 with Unix mode 0644, deflated when that is smaller and stored
//! otherwise. (Deflate output is fixed for a given `miniz_oxide` version and level; a
//! different version may compress differently, and the bytes with it.)

use crate::parse::SourceFile;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use miniz_oxide::inflate::TINFLStatus;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

const MIB: u64 = 1024 * 1024;

/// The `formatVersion` this crate writes in `bundle.json`. Version 2 made `bundle.json` an
/// empty `v1 List` as well, so that `kubectl apply -R -f` on an unpacked bundle reads it
/// as no objects instead of failing on it.
pub const FORMAT_VERSION: u64 = 2;
/// The oldest `formatVersion` this crate reads (version 1 had no `apiVersion`/`kind`).
pub const OLDEST_FORMAT_VERSION: u64 = 1;
/// The name of the manifest inside a bundle; no scenario file may take it.
pub const MANIFEST_NAME: &str = "bundle.json";
/// The largest file (uncompressed) a bundle may hold, when writing and when reading: the
/// largest file netplay reads.
pub const MAX_ENTRY_SIZE: u64 = crate::parse::limits::MAX_FILE_BYTES;
/// The largest total of all files (uncompressed, `bundle.json` included) in a bundle: the
/// most input netplay reads at once.
pub const MAX_TOTAL_SIZE: u64 = crate::parse::limits::MAX_INPUT_BYTES;
/// The longest share link text [`decode_share`] reads.
pub const MAX_SHARE_LEN: u64 = 4 * MIB;
/// The most data a share link may inflate to.
pub const MAX_SHARE_INFLATED: u64 = 16 * MIB;
/// The most files a share link may hold.
pub const MAX_SHARE_FILES: usize = 200;
/// What every share link starts with.
pub const SHARE_PREFIX: &str = "v1.";

/// Deflate level for bundle entries (the usual default) and share links (the best).
const BUNDLE_LEVEL: u8 = 6;
const SHARE_LEVEL: u8 = 9;

/// A bundle as read back by [`read_bundle`], its files in `bundle.json`'s order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub scenario: String,
    /// Who wrote it, e.g. `netplay 0.1.0`.
    pub generator: String,
    pub files: Vec<SourceFile>,
}

/// What went wrong while writing or reading a bundle or a share link. Errors about one
/// file name it; [`ExportError::file`] returns that name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportError {
    /// A file name that cannot be a path inside a bundle.
    BadPath { path: String, reason: String },
    /// Two files with the same path (after sanitising).
    DuplicatePath { path: String },
    /// One file is damaged, too large, not text, or stored in a way this reader does not
    /// support.
    File { path: String, problem: String },
    /// A file does not match what `bundle.json` says about it.
    Mismatch { path: String, problem: Mismatch },
    /// The input as a whole is over a size limit (`size` when it is known).
    TooLarge {
        what: &'static str,
        size: Option<u64>,
        limit: u64,
    },
    /// The input holds more files than allowed.
    TooManyFiles {
        what: &'static str,
        count: usize,
        limit: usize,
    },
    /// The bytes are not a zip archive this reader understands.
    Archive(String),
    /// `bundle.json` is missing or cannot be read.
    Manifest(String),
    /// A share link that does not start with `v1.`: another version (`found`) or not a
    /// share link at all.
    ShareVersion { found: Option<String> },
    /// A share link whose base64 is damaged.
    ShareBase64(String),
    /// A share link whose compressed data is damaged.
    ShareCompression(String),
    /// A share link whose content is not the expected JSON.
    ShareJson(String),
}

/// How a file disagrees with `bundle.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Its sha256 is not the one listed (both as lowercase hex).
    Checksum { listed: String, actual: String },
    /// Its size is not the one listed.
    Size { listed: u64, actual: u64 },
    /// Listed in `bundle.json` but not in the zip.
    Missing,
    /// In the zip but not listed in `bundle.json`.
    Unlisted,
}

impl ExportError {
    /// The file the error is about, when it is about one.
    pub fn file(&self) -> Option<&str> {
        match self {
            ExportError::BadPath { path, .. }
            | ExportError::DuplicatePath { path }
            | ExportError::File { path, .. }
            | ExportError::Mismatch { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// `64 MiB` for whole mebibytes, bytes otherwise.
fn size_text(bytes: u64) -> String {
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::BadPath { path, reason } => write!(f, "cannot use {path:?} as a path in a bundle: {reason}"),
            ExportError::DuplicatePath { path } => write!(f, "two files have the path {path:?}"),
            ExportError::File { path, problem } => write!(f, "{path:?}: {problem}"),
            ExportError::Mismatch { path, problem } => match problem {
                Mismatch::Checksum { listed, actual } => write!(
                    f,
                    "{path:?} does not match {MANIFEST_NAME}: its sha256 is {actual}, {MANIFEST_NAME} lists {listed}"
                ),
                Mismatch::Size { listed, actual } => write!(
                    f,
                    "{path:?} does not match {MANIFEST_NAME}: it has {actual} bytes, {MANIFEST_NAME} lists {listed}"
                ),
                Mismatch::Missing => write!(f, "{path:?} is listed in {MANIFEST_NAME} but missing from the bundle"),
                Mismatch::Unlisted => write!(f, "{path:?} is in the bundle but not listed in {MANIFEST_NAME}"),
            },
            ExportError::TooLarge { what, size, limit } => match size {
                Some(size) => write!(
                    f,
                    "{what} is too large: {} (the limit is {})",
                    size_text(*size),
                    size_text(*limit)
                ),
                None => write!(f, "{what} is too large: over the limit of {}", size_text(*limit)),
            },
            ExportError::TooManyFiles { what, count, limit } => {
                write!(f, "{what} holds too many files: {count} (the limit is {limit})")
            }
            ExportError::Archive(msg) => write!(f, "not a readable bundle: {msg}"),
            ExportError::Manifest(msg) => write!(f, "{MANIFEST_NAME}: {msg}"),
            ExportError::ShareVersion { found: Some(v) } => write!(
                f,
                "share link version {v:?} is not supported: this netplay reads {:?} links",
                SHARE_PREFIX.trim_end_matches('.')
            ),
            ExportError::ShareVersion { found: None } => {
                write!(f, "not a netplay share link: it should start with {SHARE_PREFIX:?}")
            }
            ExportError::ShareBase64(msg) => write!(f, "the share link is damaged: bad base64 ({msg})"),
            ExportError::ShareCompression(msg) => {
                write!(f, "the share link is damaged: bad compressed data ({msg})")
            }
            ExportError::ShareJson(msg) => write!(f, "the share link is damaged: bad JSON ({msg})"),
        }
    }
}

impl std::error::Error for ExportError {}

// ---------------------------------------------------------------------------------------
// Paths

/// The path a file takes inside a bundle: relative, `/`-separated, without empty or `.`
/// components (`./app//a.yaml` → `app/a.yaml`). Refuses absolute paths (also drive
/// letters), `..`, backslashes, control characters, names ending in `/` and empty names.
pub fn sanitize_path(name: &str) -> Result<String, ExportError> {
    let bad = |reason: &str| {
        Err(ExportError::BadPath {
            path: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.contains('\\') {
        return bad("backslashes are not allowed: separate directories with `/`");
    }
    if name.chars().any(char::is_control) {
        return bad("control characters are not allowed");
    }
    if name.starts_with('/') {
        return bad("absolute paths are not allowed");
    }
    if name.ends_with('/') {
        return bad("it ends with `/`, so it names a directory, not a file");
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return bad("`..` is not allowed"),
            _ => parts.push(part),
        }
    }
    let Some(first) = parts.first() else {
        return bad("the name is empty");
    };
    let mut chars = first.chars();
    if chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.next() == Some(':') {
        return bad("absolute paths (drive letters) are not allowed");
    }
    Ok(parts.join("/"))
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
    entries.sort_by(|a, b| a.0.cmp(&b.0));
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

// ---------------------------------------------------------------------------------------
// Writing

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

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const LOCAL_LEN: usize = 30;
const CENTRAL_LEN: usize = 46;
const END_LEN: usize = 22;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// General purpose flags: bit 0 encrypted, bit 11 name is UTF-8.
const FLAG_ENCRYPTED: u16 = 1;
const FLAG_UTF8: u16 = 1 << 11;
/// MS-DOS time 00:00:00 and date 1980-01-01 (years since 1980 << 9 | month << 5 | day).
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Made by Unix (3), zip spec 2.0; a regular file with mode 0644.
const MADE_BY: u16 = (3 << 8) | 20;
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;

#[derive(Default)]
struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// A length or offset as the 32 bits a zip without zip64 has room for.
fn zip32(v: usize) -> Result<u32, ExportError> {
    u32::try_from(v).map_err(|_| ExportError::TooLarge {
        what: "the bundle",
        size: Some(v as u64),
        limit: u64::from(u32::MAX),
    })
}

impl ZipWriter {
    fn add(&mut self, name: &str, data: &[u8]) -> Result<(), ExportError> {
        let crc = crc32fast::hash(data);
        let deflated = miniz_oxide::deflate::compress_to_vec(data, BUNDLE_LEVEL);
        let (method, body) = if deflated.len() < data.len() {
            (DEFLATED, deflated.as_slice())
        } else {
            (STORED, data)
        };
        let version_needed: u16 = if method == DEFLATED { 20 } else { 10 };
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let name_len = u16::try_from(name.len()).map_err(|_| ExportError::BadPath {
            path: name.to_string(),
            reason: "the name is longer than a zip allows (65535 bytes)".to_string(),
        })?;
        let offset = zip32(self.out.len())?;
        let (csize, usize_) = (zip32(body.len())?, zip32(data.len())?);

        let out = &mut self.out;
        put32(out, LOCAL_SIG);
        put16(out, version_needed);
        put16(out, flags);
        put16(out, method);
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        put32(out, crc);
        put32(out, csize);
        put32(out, usize_);
        put16(out, name_len);
        put16(out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(body);

        let c = &mut self.central;
        put32(c, CENTRAL_SIG);
        put16(c, MADE_BY);
        put16(c, version_needed);
        put16(c, flags);
        put16(c, method);
        put16(c, DOS_TIME);
        put16(c, DOS_DATE);
        put32(c, crc);
        put32(c, csize);
        put32(c, usize_);
        put16(c, name_len);
        put16(c, 0); // extra field length
        put16(c, 0); // comment length
        put16(c, 0); // disk number start
        put16(c, 0); // internal attributes
        put32(c, EXTERNAL_ATTRS);
        put32(c, offset);
        c.extend_from_slice(name.as_bytes());

        self.count = self.count.checked_add(1).ok_or(ExportError::TooManyFiles {
            what: "the bundle",
            count: usize::from(u16::MAX) + 1,
            limit: usize::from(u16::MAX) - 1,
        })?;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, ExportError> {
        let offset = zip32(self.out.len())?;
        let size = zip32(self.central.len())?;
        self.out.append(&mut self.central);
        let out = &mut self.out;
        put32(out, END_SIG);
        put16(out, 0); // this disk
        put16(out, 0); // disk with the central directory
        put16(out, self.count);
        put16(out, self.count);
        put32(out, size);
        put32(out, offset);
        put16(out, 0); // comment length
        Ok(self.out)
    }
}

// ---------------------------------------------------------------------------------------
// Reading

fn slice(bytes: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    bytes.get(at..at.checked_add(len)?)
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(slice(bytes, at, 2)?.try_into().ok()?))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(slice(bytes, at, 4)?.try_into().ok()?))
}

fn archive_error(msg: &str) -> ExportError {
    ExportError::Archive(msg.to_string())
}

/// One central directory entry, as much as the reader needs.
struct CentralEntry<'a> {
    name: &'a [u8],
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u32,
    uncompressed: u32,
    local_offset: u32,
}

/// Finds the end of central directory record: the last signature from which the record
/// and its comment fit in the input.
fn find_end(bytes: &[u8]) -> Result<usize, ExportError> {
    let last = bytes
        .len()
        .checked_sub(END_LEN)
        .ok_or_else(|| archive_error("too short to be a zip archive"))?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last)
        .rev()
        .find(|&pos| {
            le32(bytes, pos) == Some(END_SIG)
                && le16(bytes, pos + 20).is_some_and(|comment| pos + END_LEN + usize::from(comment) <= bytes.len())
        })
        .ok_or_else(|| archive_error("no end of central directory record (is this a zip archive?)"))
}

fn central_entries(bytes: &[u8]) -> Result<Vec<CentralEntry<'_>>, ExportError> {
    let end = find_end(bytes)?;
    let field16 = |at| le16(bytes, end + at).ok_or_else(|| archive_error("truncated end record"));
    let field32 = |at| le32(bytes, end + at).ok_or_else(|| archive_error("truncated end record"));
    let (disk, cd_disk, on_disk, count) = (field16(4)?, field16(6)?, field16(8)?, field16(10)?);
    let (cd_size, cd_offset) = (field32(12)?, field32(16)?);
    if count == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(archive_error("zip64 archives are not supported"));
    }
    if disk != 0 || cd_disk != 0 || on_disk != count {
        return Err(archive_error("archives split over several disks are not supported"));
    }
    let cd_start = cd_offset as usize;
    let central = cd_start
        .checked_add(cd_size as usize)
        .filter(|&cd_end| cd_end <= end)
        .and_then(|cd_end| bytes.get(cd_start..cd_end))
        .ok_or_else(|| archive_error("the central directory lies outside the archive"))?;

    let mut entries = Vec::with_capacity(usize::from(count).min(central.len() / CENTRAL_LEN));
    let mut pos = 0;
    for _ in 0..count {
        let truncated = || archive_error("the central directory is truncated or damaged");
        if le32(central, pos) != Some(CENTRAL_SIG) {
            return Err(truncated());
        }
        let f16 = |at| le16(central, pos + at).ok_or_else(truncated);
        let f32 = |at| le32(central, pos + at).ok_or_else(truncated);
        let (name_len, extra_len, comment_len) = (f16(28)?, f16(30)?, f16(32)?);
        let name = slice(central, pos + CENTRAL_LEN, usize::from(name_len)).ok_or_else(truncated)?;
        entries.push(CentralEntry {
            name,
            flags: f16(8)?,
            method: f16(10)?,
            crc: f32(16)?,
            compressed: f32(20)?,
            uncompressed: f32(24)?,
            local_offset: f32(42)?,
        });
        // Cannot overflow: `pos` was inside `central` and at most 3 × 65535 + 46 is added.
        pos += CENTRAL_LEN + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
    }
    Ok(entries)
}

/// The uncompressed data of one entry, checked against its size and CRC-32.
fn entry_data(bytes: &[u8], entry: &CentralEntry<'_>, path: &str) -> Result<Vec<u8>, ExportError> {
    let problem = |problem: String| ExportError::File {
        path: path.to_string(),
        problem,
    };
    if entry.flags & FLAG_ENCRYPTED != 0 {
        return Err(problem("it is encrypted; bundles are not".to_string()));
    }
    if entry.compressed == u32::MAX || entry.uncompressed == u32::MAX || entry.local_offset == u32::MAX {
        return Err(problem("it uses zip64, which is not supported".to_string()));
    }
    let local = entry.local_offset as usize;
    let damaged = || problem("its local header is missing or damaged".to_string());
    if le32(bytes, local) != Some(LOCAL_SIG) {
        return Err(damaged());
    }
    // `local` is inside `bytes` now, so the sums below cannot overflow.
    let name_len = usize::from(le16(bytes, local + 26).ok_or_else(damaged)?);
    let extra_len = usize::from(le16(bytes, local + 28).ok_or_else(damaged)?);
    if slice(bytes, local + LOCAL_LEN, name_len) != Some(entry.name) {
        return Err(problem(
            "its local header names another file than the central directory".to_string(),
        ));
    }
    let data = slice(
        bytes,
        local + LOCAL_LEN + name_len + extra_len,
        entry.compressed as usize,
    )
    .ok_or_else(|| problem("its data runs past the end of the archive".to_string()))?;
    let size = entry.uncompressed as usize;
    let out = match entry.method {
        STORED if data.len() == size => data.to_vec(),
        STORED => return Err(problem("stored data and size disagree".to_string())),
        // One byte over the size, so that a stream of exactly `size` bytes can finish.
        DEFLATED => match miniz_oxide::inflate::decompress_to_vec_with_limit(data, size.saturating_add(1)) {
            Ok(out) => out,
            Err(e) if e.status == TINFLStatus::HasMoreOutput => {
                return Err(problem("it inflates to more than its recorded size".to_string()))
            }
            Err(e) => return Err(problem(format!("its compressed data is damaged ({e})"))),
        },
        other => {
            return Err(problem(format!(
                "it uses compression method {other}; bundles use stored (0) or deflate (8)"
            )))
        }
    };
    if out.len() != size {
        return Err(problem(format!(
            "it has {} bytes, the archive records {size}",
            out.len()
        )));
    }
    if crc32fast::hash(&out) != entry.crc {
        return Err(problem("its data is damaged (CRC-32 mismatch)".to_string()));
    }
    Ok(out)
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

// ---------------------------------------------------------------------------------------
// One YAML stream

/// The first line that is not blank or a comment: `Some(line)`, or `None` for a file of
/// comments only.
fn first_content_line(text: &str) -> Option<&str> {
    text.lines().find(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// A `---` line, possibly with content after it (`--- {a: 1}`).
fn is_document_start(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.chars().next().is_none_or(char::is_whitespace))
}

/// All files as one YAML stream, sorted like a bundle: each file's text as it is
/// (comments kept, nothing re-serialised), preceded by `# Source: <path>` and separated
/// from the previous file by `---`. A file that starts with its own `---` is not given a
/// second one (which would add an empty document); a file that starts with a directive
/// (`%YAML`) is preceded by `...`, which YAML requires before a directive.
pub fn multi_document_yaml(files: &[SourceFile]) -> String {
    let mut sorted: Vec<(String, &str)> = files
        .iter()
        .map(|f| {
            let path = sanitize_path(&f.name).unwrap_or_else(|_| f.name.clone());
            let path: String = path.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
            (path, f.text.strip_prefix('\u{feff}').unwrap_or(&f.text))
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (i, (path, text)) in sorted.iter().enumerate() {
        let first = first_content_line(text);
        if first.is_some_and(|l| l.starts_with('%')) {
            if i > 0 {
                out.push_str("...\n");
            }
        } else if i > 0 && !first.is_some_and(is_document_start) {
            out.push_str("---\n");
        }
        out.push_str("# Source: ");
        out.push_str(path);
        out.push('\n');
        out.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Secrets

/// A document that [`withhold`] took out of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Withheld {
    /// The file it was in.
    pub file: String,
    /// The 1-based line where its document starts.
    pub line: usize,
    /// Its kind (`Secret`, `AddressPlan`, `Cluster`, …; `List` for a list holding a Secret).
    pub kind: String,
    /// `namespace/name` for a Secret (`default` when the document names no namespace),
    /// `name` for a cluster-wide document; empty for a `List`.
    pub name: String,
}

impl Withheld {
    /// Why it was withheld, as a sentence end: "a Secret", "netplay's own description".
    pub fn reason(&self) -> &'static str {
        if self.kind == "Secret" || self.kind == "List" {
            "bundles carry no Secrets unless asked"
        } else {
            "netplay's own description, not a Kubernetes object"
        }
    }
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{} {}", self.kind, self.name)
        }
    }
}

/// The API group of netplay's own documents (`AddressPlan`, `Cluster`, …).
pub const NETPLAY_GROUP: &str = "netplay.dev";

/// Whether an `apiVersion` is one of netplay's own (`netplay.dev/…`), which no cluster knows.
pub fn is_netplay_api_version(api_version: &str) -> bool {
    api_version.split('/').next() == Some(NETPLAY_GROUP)
}

/// The files as they go into a bundle, and what was left out.
///
/// A bundle is what goes to a cluster (`kubectl apply -R -f` on the unpacked folder), so
/// netplay's own documents (`apiVersion: netplay.dev/…`, which no cluster knows) are left
/// out, and so are Secrets unless `keep_secrets` (bundles get mailed, shared and
/// committed). Every other document keeps its text byte for byte; a withheld document is
/// replaced by a comment saying so, and a file that held nothing else is left out. A
/// `List` holding a Secret is withheld whole (rewriting its items would re-serialise the
/// user's text). Documents that do not parse are kept: they are not known to be either.
pub fn withhold(files: &[SourceFile], keep_secrets: bool) -> (Vec<SourceFile>, Vec<Withheld>) {
    let mut kept = Vec::with_capacity(files.len());
    let mut withheld = Vec::new();
    for file in files {
        let mut out = String::with_capacity(file.text.len());
        let mut any_kept = false;
        let mut any_withheld = false;
        for doc in yaml_documents(&file.text) {
            match withheld_document(doc.body, keep_secrets) {
                Some((kind, name)) => {
                    let item = Withheld {
                        file: file.name.clone(),
                        line: doc.first_line,
                        kind,
                        name,
                    };
                    any_withheld = true;
                    out.push_str(doc.separator);
                    let hint = if item.reason().contains("Secret") {
                        " (`netplay bundle --include-secrets` keeps it)"
                    } else {
                        " (the scenario keeps it; a cluster would reject it)"
                    };
                    out.push_str(&format!("# netplay: {item} withheld from the bundle{hint}\n"));
                    withheld.push(item);
                }
                None => {
                    any_kept |= has_content(doc.body);
                    out.push_str(doc.separator);
                    out.push_str(doc.body);
                }
            }
        }
        if !any_withheld {
            kept.push(file.clone());
        } else if any_kept {
            kept.push(SourceFile::new(file.name.clone(), out));
        }
    }
    (kept, withheld)
}

/// One YAML document of a stream: the `---` line that opened it (empty for the first) and
/// the lines up to the next one.
struct YamlDocument<'a> {
    separator: &'a str,
    body: &'a str,
    /// 1-based line of the first line after the separator.
    first_line: usize,
}

fn yaml_documents(text: &str) -> Vec<YamlDocument<'_>> {
    let mut docs = Vec::new();
    let mut separator = "";
    let mut body_start = 0;
    let mut first_line = 1;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if is_document_start(line.trim_end_matches(['\r', '\n'])) {
            docs.push(YamlDocument {
                separator,
                body: &text[body_start..offset],
                first_line,
            });
            separator = line;
            body_start = offset + line.len();
            first_line = index + 2;
        }
        offset += line.len();
    }
    docs.push(YamlDocument {
        separator,
        body: &text[body_start..],
        first_line,
    });
    docs
}

fn has_content(body: &str) -> bool {
    body.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "..."
    })
}

/// `Some((kind, name))` when the document is to be withheld: netplay's own, or (unless
/// `keep_secrets`) a core/v1 Secret or a List holding one.
fn withheld_document(body: &str, keep_secrets: bool) -> Option<(String, String)> {
    if !body.contains(NETPLAY_GROUP) && (keep_secrets || !body.contains("Secret")) {
        return None;
    }
    let value: serde_yaml::Value = serde_yaml::from_str(body).ok()?;
    let text = |v: &serde_yaml::Value, k: &str| v.get(k).and_then(serde_yaml::Value::as_str).map(str::to_string);
    let kind = text(&value, "kind").unwrap_or_default();
    let api_version = text(&value, "apiVersion").unwrap_or_default();
    let meta = |k: &str| value.get("metadata").and_then(|m| text(m, k));
    if is_netplay_api_version(&api_version) {
        return Some((kind, meta("name").unwrap_or_default()));
    }
    if keep_secrets {
        return None;
    }
    let is_secret = |v: &serde_yaml::Value| {
        text(v, "kind").as_deref() == Some("Secret") && text(v, "apiVersion").is_none_or(|a| a == "v1")
    };
    if is_secret(&value) {
        let name = format!(
            "{}/{}",
            meta("namespace").unwrap_or_else(|| "default".to_string()),
            meta("name").unwrap_or_else(|| "?".to_string())
        );
        return Some(("Secret".to_string(), name));
    }
    let items = value.get("items").and_then(serde_yaml::Value::as_sequence)?;
    items.iter().any(is_secret).then(|| ("List".to_string(), String::new()))
}

// ---------------------------------------------------------------------------------------
// Share links

/// URL-safe base64 without padding; padding is accepted when reading.
const SHARE_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Serialize)]
struct ShareOut<'a> {
    files: Vec<ShareFileOut<'a>>,
}

#[derive(Serialize)]
struct ShareFileOut<'a> {
    name: &'a str,
    text: &'a str,
}

#[derive(Deserialize)]
struct ShareIn {
    files: Vec<ShareFileIn>,
}

#[derive(Deserialize)]
struct ShareFileIn {
    name: String,
    text: String,
}

/// A share link's payload: `v1.` + base64url (no padding) of the raw-deflated JSON
/// `{"files":[{"name":…,"text":…}, …]}`, files in the given order.
pub fn encode_share(files: &[SourceFile]) -> String {
    let share = ShareOut {
        files: files
            .iter()
            .map(|f| ShareFileOut {
                name: &f.name,
                text: &f.text,
            })
            .collect(),
    };
    // Serialising structs of strings cannot fail; were it to, the empty payload decodes
    // to a clear JSON error rather than a panic.
    let json = serde_json::to_vec(&share).unwrap_or_default();
    let compressed = miniz_oxide::deflate::compress_to_vec(&json, SHARE_LEVEL);
    format!("{SHARE_PREFIX}{}", SHARE_BASE64.encode(compressed))
}

/// Reads a share link's payload (surrounding whitespace is ignored). Refuses links over
/// [`MAX_SHARE_LEN`], content inflating to over [`MAX_SHARE_INFLATED`] and more than
/// [`MAX_SHARE_FILES`] files.
pub fn decode_share(s: &str) -> Result<Vec<SourceFile>, ExportError> {
    let s = s.trim();
    if s.len() as u64 > MAX_SHARE_LEN {
        return Err(ExportError::TooLarge {
            what: "the share link",
            size: Some(s.len() as u64),
            limit: MAX_SHARE_LEN,
        });
    }
    let Some(payload) = s.strip_prefix(SHARE_PREFIX) else {
        let found = s.split_once('.').map(|(v, _)| v).filter(|v| {
            v.strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()))
        });
        return Err(ExportError::ShareVersion {
            found: found.map(str::to_string),
        });
    };
    let compressed = SHARE_BASE64
        .decode(payload)
        .map_err(|e| ExportError::ShareBase64(e.to_string()))?;
    // One byte over the limit, so that content of exactly the limit can finish.
    let limit = MAX_SHARE_INFLATED as usize + 1;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, limit).map_err(|e| {
        if e.status == TINFLStatus::HasMoreOutput {
            ExportError::TooLarge {
                what: "the share link's content",
                size: None,
                limit: MAX_SHARE_INFLATED,
            }
        } else {
            ExportError::ShareCompression(e.to_string())
        }
    })?;
    if json.len() as u64 > MAX_SHARE_INFLATED {
        return Err(ExportError::TooLarge {
            what: "the share link's content",
            size: Some(json.len() as u64),
            limit: MAX_SHARE_INFLATED,
        });
    }
    let share: ShareIn = serde_json::from_slice(&json).map_err(|e| ExportError::ShareJson(e.to_string()))?;
    if share.files.len() > MAX_SHARE_FILES {
        return Err(ExportError::TooManyFiles {
            what: "the share link",
            count: share.files.len(),
            limit: MAX_SHARE_FILES,
        });
    }
    Ok(share
        .files
        .into_iter()
        .map(|f| SourceFile::new(f.name, f.text))
        .collect())
}
