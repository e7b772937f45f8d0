//! Editing mesh configuration in the user's text: the weighted routes of VirtualServices
//! with the line of each `weight:`, and a rewrite of one weight that keeps everything
//! else of the file (comments, order, formatting) as it was.

use super::Mesh;
use crate::diagnostics::Location;
use crate::parse::locate::PathSeg;

/// One destination of a weighted route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedDestination {
    /// `host` or `host subset`.
    pub label: String,
    pub weight: u32,
    /// Where its `weight:` is written.
    pub loc: Location,
}

/// An http route of a VirtualService that splits traffic by weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedRoute {
    /// `namespace/name` of the VirtualService.
    pub virtual_service: String,
    /// 0-based index in `spec.http`.
    pub route: usize,
    pub destinations: Vec<WeightedDestination>,
}

/// Every http route with two or more destinations that all have an explicit weight (the
/// ones a slider can edit).
pub fn weighted_routes(mesh: &Mesh) -> Vec<WeightedRoute> {
    let mut out = Vec::new();
    for vs in &mesh.virtual_services {
        for (i, http) in vs.spec.http.iter().enumerate() {
            if http.route.len() < 2 || http.route.iter().any(|d| d.weight.is_none()) {
                continue;
            }
            let destinations = http
                .route
                .iter()
                .enumerate()
                .map(|(j, d)| {
                    let path = [
                        PathSeg::key("spec"),
                        PathSeg::key("http"),
                        PathSeg::Index(i),
                        PathSeg::key("route"),
                        PathSeg::Index(j),
                        PathSeg::key("weight"),
                    ];
                    let label = match &d.destination.subset {
                        Some(s) => format!("{} {s}", d.destination.host),
                        None => d.destination.host.clone(),
                    };
                    WeightedDestination {
                        label,
                        weight: d.weight.and_then(|w| u32::try_from(w).ok()).unwrap_or(0),
                        loc: vs.meta.locate(&path),
                    }
                })
                .collect();
            out.push(WeightedRoute {
                virtual_service: vs.meta.id(),
                route: i,
                destinations,
            });
        }
    }
    out
}

/// `text` with the number after `weight:` on 1-based `line` replaced by `weight`; `None`
/// when that line holds no `weight:` field.
pub fn set_weight(text: &str, line: u32, weight: u32) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 4);
    let mut found = false;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let at = l.find("weight:")?;
            let after = &l[at + "weight:".len()..];
            let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
            let digits = after[spaces..].bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            out.push_str(&l[..at + "weight:".len() + spaces]);
            out.push_str(&weight.to_string());
            out.push_str(&after[spaces + digits..]);
            found = true;
        } else {
            out.push_str(l);
        }
    }
    found.then_some(out)
}

/// New weights for a route when one destination is set to `weight`: with two
/// destinations the other gets the rest of 100; with more, the others keep their ratio
/// and share the rest (rounded so that the total stays 100).
pub fn rebalance(weights: &[u32], index: usize, weight: u32) -> Vec<u32> {
    let weight = weight.min(100);
    let mut out = weights.to_vec();
    if index >= out.len() {
        return out;
    }
    out[index] = weight;
    let rest = 100 - weight;
    let others: u32 = weights
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, w)| *w)
        .sum();
    let n_others = out.len().saturating_sub(1) as u32;
    if n_others == 0 {
        return out;
    }
    let mut assigned = 0;
    let last_other = (0..out.len()).rev().find(|&i| i != index);
    for i in 0..out.len() {
        if i == index {
            continue;
        }
        let share = if Some(i) == last_other {
            rest - assigned
        } else {
            (rest * weights[i]).checked_div(others).unwrap_or(rest / n_others)
        };
        out[i] = share;
        assigned += share;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_weight_keeps_the_rest_of_the_line() {
        let text = "route:\n- destination: {host: a}\n  weight: 90 # canary\n- weight: 10\n";
        assert_eq!(
            set_weight(text, 3, 75).as_deref(),
            Some("route:\n- destination: {host: a}\n  weight: 75 # canary\n- weight: 10\n")
        );
        assert_eq!(set_weight(text, 1, 5), None);
        assert_eq!(set_weight(text, 99, 5), None);
    }

    #[test]
    fn rebalance_keeps_the_total_at_100() {
        assert_eq!(rebalance(&[90, 10], 0, 70), vec![70, 30]);
        assert_eq!(rebalance(&[50, 30, 20], 0, 80), vec![80, 12, 8]);
        assert_eq!(rebalance(&[100, 0, 0], 0, 40), vec![40, 30, 30]);
        assert_eq!(rebalance(&[90, 10], 5, 70), vec![90, 10]);
        for w in 0..=100 {
            assert_eq!(rebalance(&[33, 33, 34], 1, w).iter().sum::<u32>(), 100);
        }
    }
}
