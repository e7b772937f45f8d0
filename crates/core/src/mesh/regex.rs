//! Every regex of a mesh object (Istio `regex` string matches, AuthorizationPolicy path
//! templates) is compiled here, with limits: a pattern comes from the user's text and must
//! not cost unbounded memory or time. regex-lite never backtracks (a search is
//! O(pattern × value) in the worst case), and the limits below bound the pattern's side:
//! `a{1000}{1000}` or deeply nested groups are refused at compile time with a message.
//! Envoy, which runs these regexes in a real mesh, refuses far smaller programs by default.

/// The largest compiled program accepted, in bytes (regex-lite's default is 10 MiB).
pub const MAX_PROGRAM_BYTES: usize = 32 * 1024;
/// The deepest nesting of groups and repetitions accepted.
pub const MAX_NESTING: u32 = 64;

/// Why a mesh object's regex cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegexError {
    /// Over [`MAX_PROGRAM_BYTES`] compiled or nested deeper than [`MAX_NESTING`].
    #[error("regex {regex:?} is too complex to use (netplay compiles regexes up to {} KiB, nested up to {MAX_NESTING} levels): {detail}", MAX_PROGRAM_BYTES / 1024)]
    TooComplex { regex: String, detail: String },
    /// Not RE2 syntax; `detail` is the regex compiler's message.
    #[error("invalid regex {regex:?}: {detail}")]
    Invalid { regex: String, detail: String },
}

/// Whether `value` matches `re` as a whole (Istio regexes are anchored, RE2 syntax).
/// `Err` says why the pattern cannot be used.
pub(crate) fn full_match(re: &str, value: &str) -> Result<bool, RegexError> {
    regex_lite::RegexBuilder::new(&format!("^(?:{re})$"))
        .size_limit(MAX_PROGRAM_BYTES)
        .nest_limit(MAX_NESTING)
        .build()
        .map(|r| r.is_match(value))
        .map_err(|e| {
            let detail = e.to_string();
            let regex = re.to_string();
            // regex-lite's words for its two limits.
            if detail.contains("exceeded size limit") || detail.contains("too much nesting") {
                RegexError::TooComplex { regex, detail }
            } else {
                RegexError::Invalid { regex, detail }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_whole_values() {
        assert_eq!(full_match("/api/v[0-9]+", "/api/v2"), Ok(true));
        assert_eq!(full_match("/api/v[0-9]+", "/api/v2/x"), Ok(false));
        assert_eq!(full_match("a|b", "b"), Ok(true));
        assert!(full_match("(", "x")
            .unwrap_err()
            .to_string()
            .starts_with("invalid regex"));
    }

    #[test]
    fn huge_programs_are_refused_with_the_limit() {
        let err = full_match("a{1000}{1000}", "a").unwrap_err().to_string();
        assert!(err.contains("too complex") && err.contains("32 KiB"), "{err}");
        let err = full_match("[a-z]{5000}", "a").unwrap_err().to_string();
        assert!(err.contains("too complex"), "{err}");
        // What routes really use stays well inside the limit.
        let host = "[a-z0-9-]{1,63}(\\.[a-z0-9-]{1,63}){0,3}";
        assert_eq!(full_match(host, "reviews.bookinfo.svc.cluster"), Ok(true));
        assert_eq!(
            full_match("/api/v[0-9]+/(users|orders)/[^/]+", "/api/v1/users/7"),
            Ok(true)
        );
    }

    #[test]
    fn deep_nesting_is_refused_with_the_limit() {
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        let err = full_match(&deep, "a").unwrap_err().to_string();
        assert!(err.contains("too complex") && err.contains("64 levels"), "{err}");
        let fine = format!("{}a{}", "(".repeat(30), ")".repeat(30));
        assert_eq!(full_match(&fine, "a"), Ok(true));
    }

    #[test]
    fn patterns_that_backtrack_exponentially_elsewhere_are_linear_here() {
        // (a+)+$ on "aaaa…b" takes exponential time in a backtracking engine.
        let value = format!("{}b", "a".repeat(5_000));
        assert_eq!(full_match("(a+)+", &value), Ok(false));
        assert_eq!(full_match("(a|aa)+", &value), Ok(false));
        assert_eq!(full_match("(.*a){20}", &value), Ok(false));
    }
}
