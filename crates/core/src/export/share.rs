//! Share links: the files deflated into one URL-safe text.

use super::error::ExportError;
use super::format::*;
use crate::parse::SourceFile;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use miniz_oxide::inflate::TINFLStatus;
use serde::{Deserialize, Serialize};

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
