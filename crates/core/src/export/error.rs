//! What can go wrong writing or reading a bundle or a share link.

use super::format::{MANIFEST_NAME, MIB, SHARE_PREFIX};
use std::fmt;

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
pub(super) fn size_text(bytes: u64) -> String {
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
