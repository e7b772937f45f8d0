//! The tier walk over connection sets: what one direction of one (subject, peer) pair
//! allows, given the rules that match the peer, tier by tier.
//!
//! The fast engine (interned sets) and the explanations (plain [`ConnSet`]s) both drive a
//! [`Walk`], so the order of tiers, first match within a tier, Pass, isolation and the
//! default allow are written once. The reference evaluator answers single ports without
//! it, straight from the API texts, and the property tests hold the two together.
//!
//! A walk keeps the connections not yet decided. In a first-match tier each matching
//! rule ([`Walk::rule`], in evaluation order) takes what is still open in the tier:
//! Allow adds it to the allowed set, Deny drops it, Pass keeps it for the next tier.
//! [`Walk::end_tier`] closes a first-match tier; [`Walk::isolation`] is the isolation
//! tier (the union of the allows of the policies that select the subject, when any do);
//! [`Walk::finish`] allows what no tier decided.

use super::{Action, Tier};
use crate::conn::ConnSet;

/// Set operations on connection sets, however they are stored.
pub trait ConnOps {
    type Set: Clone + PartialEq;
    fn none(&mut self) -> Self::Set;
    fn all(&mut self) -> Self::Set;
    fn union(&mut self, a: &Self::Set, b: &Self::Set) -> Self::Set;
    fn intersect(&mut self, a: &Self::Set, b: &Self::Set) -> Self::Set;
    fn difference(&mut self, a: &Self::Set, b: &Self::Set) -> Self::Set;
}

/// [`ConnOps`] on plain [`ConnSet`]s.
pub struct Plain;

impl ConnOps for Plain {
    type Set = ConnSet;
    fn none(&mut self) -> ConnSet {
        ConnSet::none()
    }
    fn all(&mut self) -> ConnSet {
        ConnSet::all()
    }
    fn union(&mut self, a: &ConnSet, b: &ConnSet) -> ConnSet {
        a.union(b)
    }
    fn intersect(&mut self, a: &ConnSet, b: &ConnSet) -> ConnSet {
        a.intersect(b)
    }
    fn difference(&mut self, a: &ConnSet, b: &ConnSet) -> ConnSet {
        a.difference(b)
    }
}

/// One direction of one pair, tier by tier.
#[derive(Clone, Debug)]
pub struct Walk<S> {
    allowed: S,
    /// Not decided by an earlier tier.
    undecided: S,
    /// Not yet taken by a rule of the current first-match tier.
    in_tier: S,
    /// Passed on by the current first-match tier.
    passed: S,
}

impl<S: Clone + PartialEq> Walk<S> {
    pub fn new<O: ConnOps<Set = S>>(ops: &mut O) -> Self {
        let all = ops.all();
        Walk {
            allowed: ops.none(),
            undecided: all.clone(),
            in_tier: all,
            passed: ops.none(),
        }
    }

    /// A rule of a first-match tier that matches the peer on `conn`. Returns what it
    /// decided (the part of `conn` still open in the tier).
    pub fn rule<O: ConnOps<Set = S>>(&mut self, ops: &mut O, action: Action, conn: &S) -> S {
        let taken = ops.intersect(conn, &self.in_tier);
        self.in_tier = ops.difference(&self.in_tier, &taken);
        match action {
            Action::Allow => self.allowed = ops.union(&self.allowed, &taken),
            Action::Deny => {}
            Action::Pass => self.passed = ops.union(&self.passed, &taken),
        }
        taken
    }

    /// Closes a first-match tier: what it passed on and what no rule took go on.
    pub fn end_tier<O: ConnOps<Set = S>>(&mut self, ops: &mut O) {
        self.undecided = ops.union(&self.in_tier, &self.passed);
        self.in_tier = self.undecided.clone();
        self.passed = ops.none();
    }

    /// Closes a tier that denies at its end (a Calico tier that applies to the subject):
    /// only what it passed on goes on. Returns what the end of the tier denied.
    pub fn end_tier_deny<O: ConnOps<Set = S>>(&mut self, ops: &mut O) -> S {
        let denied = std::mem::replace(&mut self.in_tier, ops.none());
        self.undecided = std::mem::replace(&mut self.passed, ops.none());
        self.in_tier = self.undecided.clone();
        denied
    }

    /// The isolation tier: `allows` is `None` when no policy of the tier selects the
    /// subject (it decides nothing), else the union of their matching rules. Returns
    /// what it allowed.
    pub fn isolation<O: ConnOps<Set = S>>(&mut self, ops: &mut O, allows: Option<&S>) -> Option<S> {
        let allows = allows?;
        let allowed = ops.intersect(&self.undecided, allows);
        self.allowed = ops.union(&self.allowed, &allowed);
        self.undecided = ops.none();
        self.in_tier = ops.none();
        Some(allowed)
    }

    /// What is still undecided (the rest of the walk can only act on this).
    pub fn undecided(&self) -> &S {
        &self.undecided
    }

    /// The allowed connections: what the tiers allowed and what none decided.
    pub fn finish<O: ConnOps<Set = S>>(self, ops: &mut O) -> S {
        ops.union(&self.allowed, &self.undecided)
    }
}

/// The whole walk for one subject and direction. The first-match rules that apply are
/// `0..count`, in evaluation order, `rule(i)` giving each one's tier and action;
/// `conn_of(i)` is what rule `i` matches for the peer (`None`: its peers do not);
/// `isolation` is the isolation tier's allows (`None`: no policy of it selects the
/// subject); `closing` lists the tiers that deny at their end because a policy of theirs
/// selects the subject for the direction ([`super::TierWalk::FirstMatchEndDeny`], with or
/// without rules). `decided(i, taken)` hears what each matching rule decided, and
/// `end_denied(tier, denied)` what the end of a closing tier denied. Returns the allowed
/// connections.
#[allow(clippy::too_many_arguments)] // the walk's inputs, each a closure or a slice
pub fn walk_tiers<O: ConnOps>(
    ops: &mut O,
    count: usize,
    rule: impl Fn(usize) -> (Tier, Action),
    isolation: Option<&O::Set>,
    closing: &[Tier],
    mut conn_of: impl FnMut(&mut O, usize) -> Option<O::Set>,
    mut decided: impl FnMut(usize, &O::Set),
    mut end_denied: impl FnMut(Tier, &O::Set),
) -> O::Set {
    let mut walk = Walk::new(ops);
    let mut isolation_done = false;
    let mut current: Option<Tier> = None;
    // Closing tiers not reached yet, in order; repeats (one per selecting policy) are
    // stepped over. The engine walks millions of pairs with lists it keeps sorted, so a
    // copy is sorted only when the caller's list is not.
    let closing: std::borrow::Cow<[Tier]> = if closing.windows(2).all(|w| w[0] <= w[1]) {
        std::borrow::Cow::Borrowed(closing)
    } else {
        let mut sorted = closing.to_vec();
        crate::sorting::sort(&mut sorted);
        std::borrow::Cow::Owned(sorted)
    };
    let past = |next: usize, t: Tier| next + closing[next..].iter().take_while(|&&x| x == t).count();
    let mut next_closing = 0;
    // Closes the current tier, and every closing tier before `upto` that has no rule.
    let mut advance = |walk: &mut Walk<O::Set>, ops: &mut O, current: Option<Tier>, upto: Option<Tier>| {
        if let Some(t) = current {
            if closing.get(next_closing) == Some(&t) {
                let denied = walk.end_tier_deny(ops);
                end_denied(t, &denied);
                next_closing = past(next_closing, t);
            } else {
                walk.end_tier(ops);
            }
        }
        while let Some(&t) = closing.get(next_closing) {
            if upto.is_some_and(|u| t >= u) {
                break;
            }
            if !isolation_done && t > Tier::NetworkPolicy {
                walk.isolation(ops, isolation);
                isolation_done = true;
            }
            let denied = walk.end_tier_deny(ops);
            end_denied(t, &denied);
            next_closing = past(next_closing, t);
        }
        if !isolation_done && upto.is_none_or(|u| u > Tier::NetworkPolicy) {
            walk.isolation(ops, isolation);
            isolation_done = true;
        }
    };
    for i in 0..count {
        let (tier, action) = rule(i);
        if current != Some(tier) {
            advance(&mut walk, ops, current, Some(tier));
            current = Some(tier);
        }
        if let Some(conn) = conn_of(ops, i) {
            let taken = walk.rule(ops, action, &conn);
            decided(i, &taken);
        }
    }
    advance(&mut walk, ops, current, None);
    walk.finish(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::Protocol;

    fn tcp(lo: u16, hi: u16) -> ConnSet {
        ConnSet::port_range(Protocol::Tcp, lo, hi)
    }

    #[test]
    fn first_match_deny_wins_over_a_later_allow_and_pass_defers_to_the_next_tier() {
        let ops = &mut Plain;
        let mut w = Walk::new(ops);
        // Admin: deny TCP 22, pass TCP 80, allow TCP 1-1000 (22 and 80 are taken already).
        w.rule(ops, Action::Deny, &tcp(22, 22));
        w.rule(ops, Action::Pass, &tcp(80, 80));
        let allowed = w.rule(ops, Action::Allow, &tcp(1, 1000));
        assert!(!allowed.contains(Protocol::Tcp, 22) && !allowed.contains(Protocol::Tcp, 80));
        w.end_tier(ops);
        // NetworkPolicy isolates and allows TCP 22 and 443: 22 was denied above, 80 was
        // passed here and is not among the allows.
        w.isolation(ops, Some(&tcp(22, 22).union(&tcp(443, 443))));
        let result = w.finish(ops);
        assert!(!result.contains(Protocol::Tcp, 22), "denied in Admin");
        assert!(!result.contains(Protocol::Tcp, 80), "passed, then not admitted");
        assert!(result.contains(Protocol::Tcp, 443), "allowed in Admin (1-1000)");
        assert!(result.contains(Protocol::Tcp, 500), "allowed in Admin (1-1000)");
        assert!(!result.contains(Protocol::Tcp, 2000), "isolated by the NetworkPolicy");
        assert!(!result.contains(Protocol::Udp, 53), "isolated by the NetworkPolicy");
    }

    #[test]
    fn without_isolation_the_baseline_decides_and_the_rest_is_allowed() {
        let ops = &mut Plain;
        let mut w = Walk::new(ops);
        w.end_tier(ops); // Admin: nothing matches
        assert_eq!(w.isolation(ops, None), None);
        w.rule(ops, Action::Deny, &ConnSet::protocol(Protocol::Udp));
        w.end_tier(ops);
        let result = w.finish(ops);
        assert!(!result.contains(Protocol::Udp, 53));
        assert!(result.contains(Protocol::Tcp, 53));
    }
}
