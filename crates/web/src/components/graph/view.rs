//! The graph's zoom and pan: the user's view box (a reducer, so a resize or a new layout
//! falls back to the fitted view) and the state of a drag.

use crate::layout::ViewBox;
use std::rc::Rc;
use yew::Reducible;

/// The user's zoom and pan. `None` (or a view made for another layout) means fitted.
#[derive(Default)]
pub struct ViewState {
    /// The fitted view the user's view was derived from.
    fit_for: Option<ViewBox>,
    view: Option<ViewBox>,
}

impl ViewState {
    pub fn current(&self, fit: &ViewBox) -> ViewBox {
        match (self.fit_for, self.view) {
            (Some(f), Some(v)) if f == *fit => v,
            _ => *fit,
        }
    }

    fn with(fit: ViewBox, view: ViewBox) -> Rc<ViewState> {
        Rc::new(ViewState {
            fit_for: Some(fit),
            view: Some(view),
        })
    }
}

pub enum ViewAction {
    Fit,
    /// Zoom about the centre.
    Zoom {
        fit: ViewBox,
        factor: f64,
    },
    /// Zoom about pixel (`px`, `py`) of the `cw`×`ch` drawing.
    ZoomAt {
        fit: ViewBox,
        factor: f64,
        px: f64,
        py: f64,
        cw: f64,
        ch: f64,
    },
    Set {
        fit: ViewBox,
        view: ViewBox,
    },
}

impl Reducible for ViewState {
    type Action = ViewAction;

    fn reduce(self: Rc<Self>, action: ViewAction) -> Rc<Self> {
        match action {
            ViewAction::Fit => Rc::new(ViewState::default()),
            ViewAction::Zoom { fit, factor } => ViewState::with(fit, self.current(&fit).zoom(factor, &fit)),
            ViewAction::ZoomAt {
                fit,
                factor,
                px,
                py,
                cw,
                ch,
            } => {
                let cur = self.current(&fit);
                ViewState::with(fit, cur.zoom_at(factor, cur.to_user(px, py, cw, ch), &fit))
            }
            ViewAction::Set { fit, view } => ViewState::with(fit, view),
        }
    }
}

/// A pan in progress.
pub struct Drag {
    pub pointer: i32,
    pub x: f64,
    pub y: f64,
    pub start: ViewBox,
    /// Pixels per layout unit.
    pub scale: f64,
    pub moved: bool,
}

#[derive(Default)]
pub struct PointerState {
    pub drag: Option<Drag>,
    /// The last pointer-up ended a pan: the click that follows is not a selection.
    pub just_panned: bool,
}
