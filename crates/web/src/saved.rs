//! What the playground saves (browser storage, share links, bundles): the files of a
//! scenario and the theme. Plain data, so that the state, the browser glue and storage
//! all use it without importing each other.

use netplay_core::SourceFile;
use serde::{Deserialize, Serialize};

/// One editor tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub text: String,
}

impl File {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        File {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// The files as core reads them.
pub fn source_files(files: &[File]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|f| SourceFile::new(f.name.clone(), f.text.clone()))
        .collect()
}

/// What is saved in the browser and in share links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub name: String,
    pub files: Vec<File>,
    #[serde(default)]
    pub active: usize,
}

/// The colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    Light,
    Dark,
}
