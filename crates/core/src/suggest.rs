//! "Did you mean ...?": the closest known name to a name that matched nothing, as git and
//! kubectl suggest a subcommand. Close means at most a quarter of the name's characters
//! changed (an insertion, a deletion, a substitution or a swap of neighbours each count
//! one), so `frontend/wbe` finds `frontend/web` and `frontend/api` finds nothing.

/// The candidate closest to `query`, when one is close enough; ties go to the first.
pub fn closest<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let budget = (query.chars().count() / 4).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(query, c);
        if d <= budget && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean "x"?` as the end of an error message, or nothing.
pub fn hint<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(query, candidates).map_or_else(String::new, |c| format!("; did you mean {c:?}?"))
}

/// The optimal string alignment distance (Levenshtein plus swaps of neighbours), on chars.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for swaps), one back, and the current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_count_edits_and_swaps() {
        assert_eq!(distance("web", "web"), 0);
        assert_eq!(distance("wbe", "web"), 1, "a swap of neighbours is one edit");
        assert_eq!(distance("we", "web"), 1);
        assert_eq!(distance("wex", "web"), 1);
        assert_eq!(distance("", "web"), 3);
    }

    #[test]
    fn a_typo_finds_the_name_and_a_different_name_finds_nothing() {
        let names = ["frontend/web", "frontend/api", "backend/db"];
        assert_eq!(closest("frontend/wbe", names), Some("frontend/web"));
        assert_eq!(closest("frontend/cache", names), None);
        assert_eq!(hint("backend/dbb", names), "; did you mean \"backend/db\"?");
        assert_eq!(hint("zzz", names), "");
    }
}
