//! What a policy reader finds wrong in one object, each at its field's line: the errors
//! that refuse the object (the API server would) and the warnings. The compile contexts
//! of the admin tiers and Calico hold one, with their own codes.

use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;

pub(crate) struct Findings<'a> {
    pub obj: &'a RawObject,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Findings<'a> {
    pub fn new(obj: &'a RawObject) -> Self {
        Findings {
            obj,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn loc(&self, path: &[PathSeg]) -> Location {
        self.obj.locate(path)
    }

    /// A diagnostic at the field of `path`, naming the object.
    pub fn diag(&self, code: &'static str, path: &[PathSeg], msg: String) -> Diagnostic {
        Diagnostic::new(code, msg)
            .at(&self.loc(path))
            .resource(self.obj.resource())
    }
}

/// `path.key`.
pub(crate) fn with(path: &[PathSeg], key: &str) -> Vec<PathSeg> {
    let mut p = path.to_vec();
    p.push(PathSeg::key(key));
    p
}

/// `path.key[i]`.
pub(crate) fn item(path: &[PathSeg], key: &str, i: usize) -> Vec<PathSeg> {
    let mut p = with(path, key);
    p.push(PathSeg::Index(i));
    p
}
