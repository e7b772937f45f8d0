//! The numbers of the export formats: versions, names, limits, deflate levels.

pub(super) const MIB: u64 = 1024 * 1024;

/// The `formatVersion` this crate writes in `bundle.json`. Version 2 made `bundle.json` an
/// empty `v1 List` as well, so that `kubectl apply -R -f` on an unpacked bundle reads it
/// as no objects instead of failing on it.
pub const FORMAT_VERSION: u64 = 2;
/// The oldest `formatVersion` this crate reads (version 1 had no `apiVersion`/`kind`).
pub const OLDEST_FORMAT_VERSION: u64 = 1;
/// The name of the manifest inside a bundle; no scenario file may take it.
pub const MANIFEST_NAME: &str = "bundle.json";
/// The largest file (uncompressed) a bundle may hold, when writing and when reading: the
/// largest file netplay reads (a JSON file; YAML files have a lower limit).
pub const MAX_ENTRY_SIZE: u64 = crate::parse::limits::MAX_JSON_FILE_BYTES;
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
pub(super) const BUNDLE_LEVEL: u8 = 6;
pub(super) const SHARE_LEVEL: u8 = 9;
