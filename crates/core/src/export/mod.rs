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

mod bundle;
mod error;
mod format;
pub mod install;
mod paths;
mod share;
mod stream;
mod zip;

pub use bundle::{bundle, read_bundle, Bundle};
pub use error::{ExportError, Mismatch};
pub use format::{
    FORMAT_VERSION, MANIFEST_NAME, MAX_ENTRY_SIZE, MAX_SHARE_FILES, MAX_SHARE_INFLATED, MAX_SHARE_LEN, MAX_TOTAL_SIZE,
    OLDEST_FORMAT_VERSION, SHARE_PREFIX,
};
pub use paths::sanitize_path;
pub use share::{decode_share, encode_share};
pub use stream::{is_netplay_api_version, multi_document_yaml, withhold, Withheld, NETPLAY_GROUP};
