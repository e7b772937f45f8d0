//! The editor's `<textarea>`, kept by hand rather than through Yew's `value`: Yew would
//! copy the whole text into the DOM on every render, and a long file is shown as a window
//! of its lines ([`super::window`]). The whole text lives here and in the state; the
//! textarea holds lines `start..end`, and CSS margins (`--win-top`, `--win-bottom` on the
//! scroller) stand in for the lines above and below, so the scroll height, the line
//! positions and the gutter stay true. The window moves when the view scrolls near its
//! end, when the selection does (keys), and after an edit that made it large; the
//! selection is kept in whole-text terms across moves. Ctrl+A shows the whole text, so
//! copying, cutting and typing over it are the browser's own.

use super::window::{self, Span};
use super::LINE_HEIGHT;
use crate::state::Jump;
use std::cell::{Ref, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

/// The textarea's padding above its first line, in pixels (style.css, `textarea.code`).
const PAD_TOP: f64 = 8.0;

/// A selection in whole-text terms: UTF-16 offsets and the 0-based lines they are on.
#[derive(Clone, Copy, Debug)]
struct Selection {
    start: u32,
    end: u32,
    first: usize,
    last: usize,
}

/// What the textarea shows of which text.
struct Win {
    text: String,
    at: Span,
    /// UTF-16 units before the window (the DOM's offsets in the textarea start there).
    head16: u32,
    total: usize,
    /// The selection when the window moved away from it (scrolling): the next key brings
    /// it back, as a browser scrolls back to the caret.
    parked: Option<Selection>,
    /// A mouse button is down in the editor: a drag selection must not see the text move.
    pressed: bool,
    /// Ctrl+A on a long file: the whole text counts as selected (the window's lines show
    /// it), since selecting a whole long text in a textarea takes Chromium seconds.
    all: bool,
    /// The last jump (from the Problems list) acted on.
    jumped: Option<Jump>,
    /// The rows and margins last set (start, end, total): set again only when they change,
    /// since each setting makes the browser recompute the editor's style.
    placed: Option<(usize, usize, usize)>,
    /// The window moved: the gutter is drawn again once the state is no longer borrowed.
    moved: bool,
}

impl Default for Win {
    fn default() -> Self {
        Win {
            text: String::new(),
            at: Span {
                start: 0,
                end: 1,
                head: 0,
                tail: 0,
            },
            head16: 0,
            total: 1,
            parked: None,
            pressed: false,
            all: false,
            jumped: None,
            placed: None,
            moved: false,
        }
    }
}

/// The editor's text: the refs to give the textarea and its scroller, the window's lines
/// for the gutter, and the handlers. Shared (`Rc`) by the editor's handlers.
pub struct TextWindow {
    pub textarea: NodeRef,
    pub scroller: NodeRef,
    /// Lines `start..end` (0-based) of `total` are in the textarea.
    pub start: usize,
    pub end: usize,
    pub total: usize,
    win: Rc<RefCell<Win>>,
    redraw: UseForceUpdateHandle,
    on_edit: Callback<String>,
}

/// The editor's text, `text`, with its window; `jump` is a line to show when the Problems
/// list asked for one in this file. One effect does both after each render: a text that is
/// not the one shown (another file, undo, a load) replaces it at the same place in the
/// view, then a new jump is made.
#[hook]
pub fn use_text_window(text: &str, jump: Option<Jump>, active: usize, on_edit: &Callback<String>) -> Rc<TextWindow> {
    let win = use_mut_ref(Win::default);
    let (start, end, total, changed) = {
        let w = win.borrow();
        (w.at.start, w.at.end, w.total, w.text != text)
    };
    let tw = Rc::new(TextWindow {
        textarea: use_node_ref(),
        scroller: use_node_ref(),
        start,
        end,
        total,
        win,
        redraw: use_force_update(),
        on_edit: on_edit.clone(),
    });
    let incoming = changed.then(|| text.to_string());
    {
        let tw = tw.clone();
        use_effect(move || {
            let Some((t, s)) = tw.parts() else { return };
            if let Some(text) = incoming {
                tw.replace(text);
            } else if tw.win.borrow().placed.is_none() {
                place(&mut tw.win.borrow_mut(), &t, &s);
            }
            let new = jump != std::mem::replace(&mut tw.win.borrow_mut().jumped, jump);
            if let Some(j) = jump.filter(|j| new && j.file == active) {
                tw.jump(j.line);
            }
        });
    }
    tw
}

/// Sets the textarea's rows and the margins that stand for the lines outside it.
fn place(w: &mut Win, t: &HtmlTextAreaElement, scroller: &HtmlElement) {
    let now = Some((w.at.start, w.at.end, w.total));
    if std::mem::replace(&mut w.placed, now) == now {
        return;
    }
    let _ = t.set_attribute("rows", &(w.at.end - w.at.start + 1).to_string());
    let style = scroller.style();
    let px = |lines: usize| format!("{}px", lines * LINE_HEIGHT as usize);
    let _ = style.set_property("--win-top", &px(w.at.start));
    let _ = style.set_property("--win-bottom", &px(w.total.saturating_sub(w.at.end)));
    if w.at.start > 0 || w.at.end < w.total {
        let _ = t.set_attribute("data-window", &format!("{} {} {}", w.at.start + 1, w.at.end, w.total));
    } else {
        let _ = t.remove_attribute("data-window");
    }
}

/// Shows lines around `first..=last` (the whole text when it is short); selects `sel`
/// when it is in them, and otherwise remembers it.
fn show(w: &mut Win, t: &HtmlTextAreaElement, s: &HtmlElement, first: usize, last: usize, sel: Option<Selection>) {
    let (start, end) = window::around(first, last, w.total);
    w.at = window::span(&w.text, start, end);
    w.head16 = window::utf16_len(w.text.get(..w.at.head).unwrap_or(""));
    let shown = w.text.get(w.at.head..w.at.tail).unwrap_or("");
    t.set_value(shown);
    let len = window::utf16_len(shown);
    place(w, t, s);
    w.parked = None;
    if w.all {
        t.select();
    } else if let Some(sel) = sel {
        let local = |at: u32| at.checked_sub(w.head16).filter(|&l| l <= len);
        match (local(sel.start), local(sel.end)) {
            (Some(a), Some(b)) => {
                let _ = t.set_selection_range(a, b);
            }
            _ => w.parked = Some(sel),
        }
    }
    w.moved = true;
}

/// Scrolls the view the least that shows 0-based line `n`, and the textarea's own
/// scroll back to its top (it holds all its lines; a paste into it before the window was
/// set again can have scrolled it).
fn reveal(t: &HtmlTextAreaElement, s: &HtmlElement, n: usize) {
    if t.scroll_top() != 0 {
        t.set_scroll_top(0);
    }
    let top = PAD_TOP + n as f64 * LINE_HEIGHT;
    let (from, height) = (s.scroll_top() as f64, s.client_height() as f64);
    if top < from {
        s.set_scroll_top(top as i32);
    } else if top + LINE_HEIGHT + PAD_TOP > from + height {
        s.set_scroll_top((top + LINE_HEIGHT + PAD_TOP - height).ceil() as i32);
    }
}

/// The textarea's selection in whole-text terms.
fn selection(w: &Win, t: &HtmlTextAreaElement) -> Selection {
    let value = t.value();
    let a = t.selection_start().ok().flatten().unwrap_or(0);
    let b = t.selection_end().ok().flatten().unwrap_or(a);
    Selection {
        start: w.head16 + a,
        end: w.head16 + b,
        first: w.at.start + window::line_of_utf16(&value, a),
        last: w.at.start + window::line_of_utf16(&value, b),
    }
}

/// The lines of the scroller's view.
fn view(s: &HtmlElement) -> (usize, usize) {
    let first = ((s.scroll_top() as f64 - PAD_TOP) / LINE_HEIGHT).max(0.0) as usize;
    (first, first + (s.client_height() as f64 / LINE_HEIGHT) as usize + 1)
}

impl TextWindow {
    /// The textarea and its scroller, when they are in the DOM.
    fn parts(&self) -> Option<(HtmlTextAreaElement, HtmlElement)> {
        Some((self.textarea.cast()?, self.scroller.cast()?))
    }

    /// Redraws the gutter if the window moved (after the state's borrow: a render reads it).
    fn done(&self) {
        if std::mem::take(&mut self.win.borrow_mut().moved) {
            self.redraw.force_update();
        }
    }

    /// The whole text and the 0-based line of the caret in it (for the field hint).
    pub fn at_caret(&self) -> Option<(Ref<'_, str>, usize)> {
        let (t, _) = self.parts()?;
        let w = self.win.borrow();
        let caret = t.selection_start().ok().flatten().unwrap_or(0);
        let line = w.at.start + window::line_of_utf16(&t.value(), caret);
        Some((Ref::map(w, |w| w.text.as_str()), line))
    }

    /// Another text: shown where the view is, keeping the selection's offsets.
    fn replace(&self, text: String) {
        let Some((t, s)) = self.parts() else { return };
        let mut w = self.win.borrow_mut();
        let sel = selection(&w, &t);
        w.total = window::line_count(&text);
        w.text = text;
        let (first, last) = view(&s);
        let last_line = w.total - 1;
        let sel = (sel.first <= last_line).then_some(sel);
        show(&mut w, &t, &s, first.min(last_line), last.min(last_line), sel);
        // Offsets into another text are no place to come back to.
        w.parked = None;
        drop(w);
        self.done();
    }

    /// The textarea's text changed (typing, a paste, an indent): the whole text changes
    /// with it, and the window follows the caret when the edit took it far.
    pub fn edited(&self, composing: bool) {
        let Some((t, s)) = self.parts() else { return };
        let mut w = self.win.borrow_mut();
        let value = t.value();
        let whole = std::mem::take(&mut w.all);
        if whole {
            // What was typed or pasted over the whole text is the whole text.
            w.total = window::line_count(&value);
            w.at = window::span(&value, 0, w.total);
            w.text = value;
            w.head16 = 0;
        } else {
            let (text, at) = window::splice(&w.text, w.at, &value);
            w.total = w.total + (at.end - at.start) - (w.at.end - w.at.start);
            w.text = text;
            w.at = at;
        }
        let at = w.at;
        w.parked = None;
        place(&mut w, &t, &s);
        let sel = selection(&w, &t);
        if !composing && (whole || !window::fits(at.start, at.end, sel.first, sel.last, w.total)) {
            show(&mut w, &t, &s, sel.first, sel.last, Some(sel));
            // The browser shows the caret after an edit, but measured where it was before
            // the window moved (or in a textarea briefly holding a whole paste).
            reveal(&t, &s, sel.last);
        }
        let text = w.text.clone();
        drop(w);
        self.done();
        self.on_edit.emit(text);
    }

    /// Before a key acts: Ctrl+A selects the whole text and Ctrl+Home / Ctrl+End go to
    /// its ends (with Shift, select to them); any other key first brings back a selection
    /// the view scrolled away from, or moves the window when the selection is near its end.
    pub fn key(&self, e: &KeyboardEvent) {
        let key = e.key();
        if e.is_composing() || matches!(key.as_str(), "Shift" | "Control" | "Alt" | "Meta") {
            return;
        }
        let Some((t, s)) = self.parts() else { return };
        let mut w = self.win.borrow_mut();
        let cmd = (e.ctrl_key() || e.meta_key()) && !e.alt_key();
        let last = w.total - 1;
        let end16 = window::utf16_len(&w.text);
        let sel = w.parked.unwrap_or_else(|| selection(&w, &t));
        let shift = e.shift_key();
        let top = Selection {
            start: 0,
            end: 0,
            first: 0,
            last: 0,
        };
        let bottom = Selection {
            start: end16,
            end: end16,
            first: last,
            last,
        };
        let to = match (cmd, key.as_str()) {
            (true, "a" | "A") if !shift => Some(Selection {
                end: end16,
                last,
                ..top
            }),
            (true, "Home") if shift => Some(Selection {
                end: sel.end,
                last: sel.last,
                ..top
            }),
            (true, "End") if shift => Some(Selection {
                start: sel.start,
                first: sel.first,
                ..bottom
            }),
            (true, "Home") => Some(top),
            (true, "End") => Some(bottom),
            _ => None,
        };
        if key.starts_with("Arrow") || key.starts_with("Page") || key == "Home" || key == "End" {
            w.all = false;
        }
        if to.is_some() && matches!(key.as_str(), "a" | "A") && w.total > window::WINDOW_FROM {
            e.prevent_default();
            w.all = true;
            t.select();
        } else if let Some(to) = to {
            e.prevent_default();
            show(&mut w, &t, &s, to.first, to.last, Some(to));
            match key.as_str() {
                "Home" => s.set_scroll_top(0),
                "End" => s.set_scroll_top(s.scroll_height()),
                _ => {}
            }
        } else if w.parked.is_some() || !window::fits(w.at.start, w.at.end, sel.first, sel.last, w.total) {
            show(&mut w, &t, &s, sel.first, sel.last, Some(sel));
        }
        w.pressed = false;
        drop(w);
        self.done();
    }

    /// The view scrolled: the window follows it. While a mouse button is down (a drag
    /// selection) only when the view has left the window, so the text does not move
    /// under the drag.
    pub fn scrolled(&self) {
        let Some((t, s)) = self.parts() else { return };
        let mut w = self.win.borrow_mut();
        let (first, last) = view(&s);
        let last = last.min(w.total - 1);
        let first = first.min(last);
        let away = last < w.at.start || first >= w.at.end;
        if (w.pressed && !away) || window::fits(w.at.start, w.at.end, first, last, w.total) {
            return;
        }
        let sel = w.parked.unwrap_or_else(|| selection(&w, &t));
        show(&mut w, &t, &s, first, last, Some(sel));
        drop(w);
        self.done();
    }

    /// A mouse button went down in the textarea (`true`), or a click ended in the editor.
    pub fn press(&self, down: bool) {
        let mut w = self.win.borrow_mut();
        w.pressed = down;
        w.parked = None;
        w.all &= !down;
    }

    /// Copy or cut while the whole text is selected (Ctrl+A on a long file): the
    /// clipboard gets the whole text, and a cut empties it.
    pub fn clipboard(&self, e: &Event) {
        let all = self.win.borrow().all;
        let Some(data) = e
            .dyn_ref::<web_sys::ClipboardEvent>()
            .and_then(|c| c.clipboard_data())
            .filter(|_| all)
        else {
            return;
        };
        e.prevent_default();
        let _ = data.set_data("text/plain", &self.win.borrow().text);
        if e.type_() == "cut" {
            if let Some((t, _)) = self.parts() {
                t.set_value("");
                self.edited(false);
            }
        }
    }

    /// Selects 1-based line `line` and scrolls it near the top of the view.
    fn jump(&self, line: u32) {
        let Some((t, s)) = self.parts() else { return };
        let mut w = self.win.borrow_mut();
        let n = (line.max(1) as usize - 1).min(w.total - 1);
        show(&mut w, &t, &s, n, n, None);
        let (a, b) = window::utf16_line_range(&t.value(), n - w.at.start);
        let _ = t.focus();
        let _ = t.set_selection_range(a, b);
        s.set_scroll_top(((n as f64 - 3.0) * LINE_HEIGHT).max(0.0) as i32);
        drop(w);
        self.done();
    }
}
