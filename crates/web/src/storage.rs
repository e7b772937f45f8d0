//! What the playground keeps in the browser, so that no work is lost:
//!
//! - **this tab's work** (`sessionStorage`, [`TAB_WORK`]): the files, written once typing
//!   pauses and when the page is hidden or left (`hooks::use_autosave`). A reload of the tab brings them back; another tab never overwrites them
//!   (each tab has its own session storage), so a share link opened in a second tab
//!   leaves the first tab's work alone.
//! - **this tab's history** ([`TAB_HISTORY`]): undo and redo steps and the checkpoint's
//!   connections, so a reload keeps Undo and the "since checkpoint" baseline.
//! - **the last work of any tab** (`localStorage`, [`LAST_WORK`]): what a new tab opens.
//! - **versions** (`localStorage`, one key per scenario under [`VERSIONS`]): the last
//!   [`MAX_VERSIONS`] states of each scenario, recorded while typing (at most one per
//!   [`COALESCE_MS`]) and always before something replaces the work (opening files, a
//!   built-in scenario, a share link, a version).
//!
//! Every write reports [`StorageError::Full`] or [`StorageError::Disabled`] instead of
//! failing silently; the app shows [`StorageError::message`]. When storage is full the
//! oldest versions of other scenarios are given up first.
//!
//! Texts repeat from one state to the next (an edit changes one file), so a list of
//! states is stored as a table of distinct texts plus references into it ([`Packed`]).
//!
//! Outside a browser (native unit tests) the two storage areas are in-memory maps with an
//! optional quota, so everything here is tested natively.

use crate::saved::{File, Saved};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// This tab's files (session storage).
pub const TAB_WORK: &str = "netplay.tab.work.v1";
/// This tab's undo/redo and checkpoint (session storage).
pub const TAB_HISTORY: &str = "netplay.tab.history.v1";
/// The last work of any tab (local storage): what a new tab opens.
pub const LAST_WORK: &str = "netplay.work.v2";
/// Before v2 every tab wrote its work here; still read once.
const OLD_LAST_WORK: &str = "netplay.scenario.v1";
/// Prefix of the per-scenario version lists (local storage), and the key of their index.
pub const VERSIONS: &str = "netplay.versions.v1";
/// Versions kept per scenario.
pub const MAX_VERSIONS: usize = 20;
/// While typing, a new version at most this often (the latest is updated in between).
pub const COALESCE_MS: f64 = 10_000.0;
/// Undo steps kept across a reload (the newest ones).
const MAX_TAB_STEPS: usize = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// The browser refused the write: the quota is used up.
    Full,
    /// The browser does not let the page store anything (private mode, disabled storage).
    Disabled,
}

impl StorageError {
    pub fn message(self) -> &'static str {
        match self {
            StorageError::Full => "Browser storage is full: netplay could not save your latest change here. Export a bundle (Ctrl+S) to keep it, or delete old versions in History.",
            StorageError::Disabled => "This browser does not let netplay store anything (private browsing, or storage is disabled): your work is not kept if you close or reload the page. Export a bundle (Ctrl+S) to keep it.",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Per tab, survives a reload.
    Session,
    /// Shared by all tabs of the origin, survives closing the browser.
    Local,
}

// ---------------------------------------------------------------------------------------
// The two storage areas.

#[cfg(target_arch = "wasm32")]
mod area {
    use super::{Area, StorageError};
    use wasm_bindgen::JsCast;

    fn storage(area: Area) -> Result<web_sys::Storage, StorageError> {
        let window = web_sys::window().ok_or(StorageError::Disabled)?;
        let s = match area {
            Area::Session => window.session_storage(),
            Area::Local => window.local_storage(),
        };
        s.ok().flatten().ok_or(StorageError::Disabled)
    }

    pub fn get(area: Area, key: &str) -> Result<Option<String>, StorageError> {
        storage(area)?.get_item(key).map_err(|_| StorageError::Disabled)
    }

    pub fn set(area: Area, key: &str, value: &str) -> Result<(), StorageError> {
        storage(area)?.set_item(key, value).map_err(|e| {
            let quota = e
                .dyn_ref::<web_sys::DomException>()
                .is_some_and(|d| d.name() == "QuotaExceededError" || d.code() == 22);
            if quota {
                StorageError::Full
            } else {
                StorageError::Disabled
            }
        })
    }

    pub fn remove(area: Area, key: &str) {
        if let Ok(s) = storage(area) {
            let _ = s.remove_item(key);
        }
    }
}

/// In-memory storage for native tests, with an optional quota in bytes per area.
#[cfg(not(target_arch = "wasm32"))]
pub mod area {
    use super::{Area, StorageError};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        static MAPS: RefCell<[BTreeMap<String, String>; 2]> = RefCell::default();
        static QUOTA: RefCell<Option<usize>> = const { RefCell::new(None) };
        static DISABLED: RefCell<bool> = const { RefCell::new(false) };
    }

    fn index(area: Area) -> usize {
        match area {
            Area::Session => 0,
            Area::Local => 1,
        }
    }

    /// Test hooks: empty both areas, set a quota, disable storage.
    pub fn reset(quota: Option<usize>, disabled: bool) {
        MAPS.with(|m| *m.borrow_mut() = Default::default());
        QUOTA.with(|q| *q.borrow_mut() = quota);
        DISABLED.with(|d| *d.borrow_mut() = disabled);
    }

    pub fn keys(area: Area) -> Vec<String> {
        MAPS.with(|m| m.borrow()[index(area)].keys().cloned().collect())
    }

    pub fn get(area: Area, key: &str) -> Result<Option<String>, StorageError> {
        if DISABLED.with(|d| *d.borrow()) {
            return Err(StorageError::Disabled);
        }
        Ok(MAPS.with(|m| m.borrow()[index(area)].get(key).cloned()))
    }

    pub fn set(area: Area, key: &str, value: &str) -> Result<(), StorageError> {
        if DISABLED.with(|d| *d.borrow()) {
            return Err(StorageError::Disabled);
        }
        MAPS.with(|m| {
            let mut maps = m.borrow_mut();
            let map = &mut maps[index(area)];
            let used: usize = map
                .iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(k, v)| k.len() + v.len())
                .sum();
            if QUOTA.with(|q| q.borrow().is_some_and(|q| used + key.len() + value.len() > q)) {
                return Err(StorageError::Full);
            }
            map.insert(key.to_string(), value.to_string());
            Ok(())
        })
    }

    pub fn remove(area: Area, key: &str) {
        MAPS.with(|m| {
            m.borrow_mut()[index(area)].remove(key);
        });
    }
}

/// Whether the browser lets the page store anything (checked once at start).
pub fn probe() -> Result<(), StorageError> {
    const KEY: &str = "netplay.probe";
    area::set(Area::Local, KEY, "1")?;
    area::remove(Area::Local, KEY);
    Ok(())
}

const START_HERE: &str = "netplay.start-here.dismissed";

/// Whether the user dismissed the "start here" note (kept across visits).
pub fn start_here_dismissed() -> bool {
    area::get(Area::Local, START_HERE).ok().flatten().is_some()
}

pub fn dismiss_start_here() -> Result<(), StorageError> {
    area::set(Area::Local, START_HERE, "1")
}

// ---------------------------------------------------------------------------------------
// Lessons.

/// Prefix of each lesson's progress (local storage): `netplay.lesson.v1:<lesson key>`.
pub const LESSON_PROGRESS: &str = "netplay.lesson.v1";
/// The lesson this tab is on (session storage).
pub const TAB_LESSON: &str = "netplay.tab.lesson.v1";

/// A lesson's saved progress, if any.
pub fn load_lesson_progress<T: for<'de> Deserialize<'de>>(key: &str) -> Option<T> {
    read_json(Area::Local, &format!("{LESSON_PROGRESS}:{key}"))
}

pub fn save_lesson_progress<T: Serialize>(key: &str, progress: &T) -> Result<(), StorageError> {
    write_json(Area::Local, &format!("{LESSON_PROGRESS}:{key}"), progress)
}

/// The lesson this tab was on before a reload.
pub fn load_tab_lesson<T: for<'de> Deserialize<'de>>() -> Option<T> {
    read_json(Area::Session, TAB_LESSON)
}

/// Remembers the lesson this tab is on (`None`: no lesson).
pub fn save_tab_lesson<T: Serialize>(source: Option<&T>) -> Result<(), StorageError> {
    match source {
        Some(s) => write_json(Area::Session, TAB_LESSON, s),
        None => {
            area::remove(Area::Session, TAB_LESSON);
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Lists of states, packed.

/// One stored state of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub name: String,
    pub files: Vec<File>,
    pub active: usize,
    /// Wall-clock time (milliseconds since 1970) when it was recorded.
    pub time: f64,
}

impl Version {
    pub fn saved(&self) -> Saved {
        Saved {
            name: self.name.clone(),
            files: self.files.clone(),
            active: self.active,
        }
    }
}

/// States sharing one table of distinct texts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Packed {
    texts: Vec<String>,
    states: Vec<PackedState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct PackedState {
    name: String,
    /// (file name, index into `texts`).
    files: Vec<(String, usize)>,
    active: usize,
    time: f64,
}

impl Packed {
    pub fn pack(versions: &[Version]) -> Packed {
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        let mut texts: Vec<String> = Vec::new();
        let states = versions
            .iter()
            .map(|v| PackedState {
                name: v.name.clone(),
                files: v
                    .files
                    .iter()
                    .map(|f| {
                        let i = *index.entry(f.text.as_str()).or_insert_with(|| {
                            texts.push(f.text.clone());
                            texts.len() - 1
                        });
                        (f.name.clone(), i)
                    })
                    .collect(),
                active: v.active,
                time: v.time,
            })
            .collect();
        Packed { texts, states }
    }

    /// The states; a reference outside the table (a damaged entry) reads as an empty text.
    pub fn unpack(&self) -> Vec<Version> {
        self.states
            .iter()
            .map(|s| Version {
                name: s.name.clone(),
                files: s
                    .files
                    .iter()
                    .map(|(n, i)| File::new(n.clone(), self.texts.get(*i).cloned().unwrap_or_default()))
                    .collect(),
                active: s.active,
                time: s.time,
            })
            .collect()
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(area: Area, key: &str) -> Option<T> {
    let text = area::get(area, key).ok()??;
    serde_json::from_str(&text).ok()
}

fn write_json<T: Serialize>(area: Area, key: &str, value: &T) -> Result<(), StorageError> {
    let text = serde_json::to_string(value).map_err(|_| StorageError::Disabled)?;
    area::set(area, key, &text)
}

// ---------------------------------------------------------------------------------------
// This tab, and the last work.

/// This tab's files, after a reload.
pub fn load_tab_work() -> Option<Saved> {
    read_json(Area::Session, TAB_WORK)
}

/// The last work of any tab (what a new tab opens).
pub fn load_last_work() -> Option<Saved> {
    read_json(Area::Local, LAST_WORK).or_else(|| read_json(Area::Local, OLD_LAST_WORK))
}

/// Saves the work of this tab, and as the last work for new tabs. On a full storage, old
/// versions of other scenarios make room first.
pub fn save_work(saved: &Saved) -> Result<(), StorageError> {
    let text = serde_json::to_string(saved).map_err(|_| StorageError::Disabled)?;
    let tab = area::set(Area::Session, TAB_WORK, &text);
    let mut last = area::set(Area::Local, LAST_WORK, &text);
    if last == Err(StorageError::Full) && make_room(&saved.name) {
        last = area::set(Area::Local, LAST_WORK, &text);
    }
    tab.and(last)
}

/// Undo, redo and the checkpoint of this tab, as kept across a reload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TabHistory {
    pub undo: Vec<Version>,
    pub redo: Vec<Version>,
    /// The checkpoint's connections as (src, dst, conn).
    pub checkpoint: Vec<(String, String, String)>,
}

#[derive(Serialize, Deserialize)]
struct StoredTabHistory {
    undo: Packed,
    /// How many of `undo`'s states (the first ones) are undo steps; the rest are redo.
    undo_len: usize,
    checkpoint: Vec<(String, String, String)>,
}

pub fn load_tab_history() -> Option<TabHistory> {
    let stored: StoredTabHistory = read_json(Area::Session, TAB_HISTORY)?;
    let mut all = stored.undo.unpack();
    let redo = all.split_off(stored.undo_len.min(all.len()));
    Some(TabHistory {
        undo: all,
        redo,
        checkpoint: stored.checkpoint,
    })
}

/// Saves this tab's undo/redo (the newest steps, and fewer when storage is short) and
/// checkpoint.
pub fn save_tab_history(h: &TabHistory) -> Result<(), StorageError> {
    let mut keep = MAX_TAB_STEPS;
    loop {
        let undo = &h.undo[h.undo.len().saturating_sub(keep)..];
        let redo = &h.redo[h.redo.len().saturating_sub(keep)..];
        let all: Vec<Version> = undo.iter().chain(redo).cloned().collect();
        let stored = StoredTabHistory {
            undo: Packed::pack(&all),
            undo_len: undo.len(),
            checkpoint: h.checkpoint.clone(),
        };
        match write_json(Area::Session, TAB_HISTORY, &stored) {
            Err(StorageError::Full) if keep > 0 => keep /= 2,
            other => return other,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Versions per scenario.

fn versions_key(name: &str) -> String {
    format!("{VERSIONS}:{name}")
}

/// The index: scenario name → time of its newest version.
fn index() -> BTreeMap<String, f64> {
    read_json(Area::Local, VERSIONS).unwrap_or_default()
}

/// The stored versions of a scenario, oldest first.
pub fn versions(name: &str) -> Vec<Version> {
    read_json::<Packed>(Area::Local, &versions_key(name))
        .map(|p| p.unpack())
        .unwrap_or_default()
}

/// Scenarios with stored versions, newest first: (name, time of the newest version).
pub fn scenarios_with_versions() -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = index().into_iter().collect();
    netplay_core::sorting::sort_by(&mut all, |a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all
}

/// Records a state of a scenario. `coalesce`: while typing, a state less than
/// [`COALESCE_MS`] after the newest version replaces it instead of adding one. A state
/// equal to the newest version is not recorded again.
pub fn record_version(saved: &Saved, time: f64, coalesce: bool) -> Result<(), StorageError> {
    let mut list = versions(&saved.name);
    if list.last().is_some_and(|v| v.files == saved.files) {
        return Ok(());
    }
    let version = Version {
        name: saved.name.clone(),
        files: saved.files.clone(),
        active: saved.active,
        time,
    };
    match list.last_mut() {
        Some(last) if coalesce && time - last.time < COALESCE_MS && time >= last.time => *last = version,
        _ => list.push(version),
    }
    if list.len() > MAX_VERSIONS {
        list.drain(..list.len() - MAX_VERSIONS);
    }
    write_versions(&saved.name, &list)
}

fn write_versions(name: &str, list: &[Version]) -> Result<(), StorageError> {
    let key = versions_key(name);
    let packed = Packed::pack(list);
    let mut result = write_json(Area::Local, &key, &packed);
    if result == Err(StorageError::Full) && make_room(name) {
        result = write_json(Area::Local, &key, &packed);
    }
    // Still full: keep fewer of this scenario's own versions rather than none.
    let mut kept = list.len();
    while result == Err(StorageError::Full) && kept > 1 {
        kept /= 2;
        result = write_json(Area::Local, &key, &Packed::pack(&list[list.len() - kept..]));
    }
    result?;
    let mut idx = index();
    idx.insert(name.to_string(), list.last().map_or(0.0, |v| v.time));
    write_json(Area::Local, VERSIONS, &idx)
}

/// Deletes one version of a scenario (by its time).
pub fn delete_version(name: &str, time: f64) -> Result<(), StorageError> {
    let mut list = versions(name);
    list.retain(|v| v.time != time);
    if list.is_empty() {
        area::remove(Area::Local, &versions_key(name));
        let mut idx = index();
        idx.remove(name);
        return write_json(Area::Local, VERSIONS, &idx);
    }
    write_versions(name, &list)
}

/// Frees space by removing the versions of the scenario whose newest version is oldest
/// (never `keep`'s). Returns whether anything was removed.
fn make_room(keep: &str) -> bool {
    let mut idx = index();
    let Some(oldest) = idx
        .iter()
        .filter(|(n, _)| n.as_str() != keep)
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(n, _)| n.clone())
    else {
        return false;
    };
    area::remove(Area::Local, &versions_key(&oldest));
    idx.remove(&oldest);
    let _ = write_json(Area::Local, VERSIONS, &idx);
    true
}

// Native only: they drive the in-memory areas (the browser's are the e2e tests' job).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn saved(name: &str, text: &str) -> Saved {
        Saved {
            name: name.into(),
            files: vec![File::new("a.yaml", text), File::new("b.yaml", "shared text")],
            active: 1,
        }
    }

    #[test]
    fn packing_shares_equal_texts_and_round_trips() {
        let versions: Vec<Version> = (0..5)
            .map(|i| Version {
                name: "s".into(),
                files: saved("s", &format!("text {i}")).files,
                active: 1,
                time: i as f64,
            })
            .collect();
        let packed = Packed::pack(&versions);
        assert_eq!(packed.texts.len(), 6, "five edited texts plus one shared");
        assert_eq!(packed.unpack(), versions);
    }

    #[test]
    fn versions_are_capped_coalesced_and_survive_in_storage() {
        area::reset(None, false);
        for i in 0..25 {
            record_version(&saved("shop", &format!("v{i}")), i as f64 * 60_000.0, true).unwrap();
        }
        let list = versions("shop");
        assert_eq!(list.len(), MAX_VERSIONS);
        assert_eq!(list.last().unwrap().files[0].text, "v24");
        assert_eq!(list[0].files[0].text, "v5");
        // Typing within the coalescing window replaces the newest version.
        record_version(&saved("shop", "v25"), 24.0 * 60_000.0 + 500.0, true).unwrap();
        assert_eq!(versions("shop").len(), MAX_VERSIONS);
        assert_eq!(versions("shop").last().unwrap().files[0].text, "v25");
        // Before a replacing action, always a new one; the same state never twice.
        record_version(&saved("shop", "v26"), 24.0 * 60_000.0 + 600.0, false).unwrap();
        record_version(&saved("shop", "v26"), 24.0 * 60_000.0 + 700.0, false).unwrap();
        let texts: Vec<String> = versions("shop").iter().map(|v| v.files[0].text.clone()).collect();
        assert_eq!(&texts[texts.len() - 2..], ["v25", "v26"]);
        assert_eq!(scenarios_with_versions()[0].0, "shop");
        delete_version("shop", 24.0 * 60_000.0 + 600.0).unwrap();
        assert_eq!(versions("shop").last().unwrap().files[0].text, "v25");
    }

    #[test]
    fn a_full_storage_gives_up_other_scenarios_first_and_then_says_so() {
        area::reset(Some(4_000), false);
        let big = "x".repeat(1_500);
        record_version(&saved("old", &big), 1.0, false).unwrap();
        record_version(&saved("new", &format!("{big}y")), 2.0, false).unwrap();
        // A third scenario does not fit beside both: the oldest scenario's versions go.
        record_version(&saved("third", &format!("{big}z")), 3.0, false).unwrap();
        assert!(versions("old").is_empty());
        assert_eq!(versions("third").len(), 1);
        // Nothing fits at all: a clear error, never a panic.
        let huge = "h".repeat(10_000);
        assert_eq!(
            record_version(&saved("third", &huge), 4.0, false),
            Err(StorageError::Full)
        );
        assert_eq!(save_work(&saved("third", &huge)), Err(StorageError::Full));
    }

    #[test]
    fn disabled_storage_is_reported_not_ignored() {
        area::reset(None, true);
        assert_eq!(probe(), Err(StorageError::Disabled));
        assert_eq!(save_work(&saved("s", "t")), Err(StorageError::Disabled));
        assert!(load_last_work().is_none());
        assert!(StorageError::Disabled.message().contains("Export a bundle"));
        area::reset(None, false);
    }

    #[test]
    fn tab_history_round_trips_and_shrinks_when_short_of_space() {
        area::reset(None, false);
        let step = |i: usize| Version {
            name: "s".into(),
            files: vec![File::new("a.yaml", format!("step {i}"))],
            active: 0,
            time: 0.0,
        };
        let h = TabHistory {
            undo: (0..3).map(step).collect(),
            redo: vec![step(9)],
            checkpoint: vec![("a".into(), "b".into(), "TCP 80".into())],
        };
        save_tab_history(&h).unwrap();
        assert_eq!(load_tab_history(), Some(h.clone()));
        let long = TabHistory {
            undo: (0..200).map(step).collect(),
            ..h
        };
        save_tab_history(&long).unwrap();
        let back = load_tab_history().unwrap();
        assert_eq!(back.undo.len(), MAX_TAB_STEPS);
        assert_eq!(back.undo.last(), long.undo.last());
    }
}
