//! The visible part of the picture: zooming and panning as view-box maths, tested
//! natively.

use super::geometry::{num, Point, Rect};

/// The visible part of the picture, in layout coordinates (an SVG `viewBox`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The smallest view that shows this much (so that a tiny graph is not blown up).
const MIN_FIT_W: f64 = 640.0;
const MIN_FIT_H: f64 = 400.0;
/// How far one can zoom in: this many layout units across, at least.
const MIN_VIEW_W: f64 = 120.0;
/// How far one can zoom out, relative to the fitted view.
const MAX_ZOOM_OUT: f64 = 4.0;

impl ViewBox {
    /// The view that shows the whole layout.
    pub fn fit(bounds: Rect) -> ViewBox {
        let w = bounds.w.max(MIN_FIT_W);
        let h = bounds.h.max(MIN_FIT_H);
        let c = bounds.center();
        ViewBox {
            x: c.x - w / 2.0,
            y: c.y - h / 2.0,
            w,
            h,
        }
    }

    pub fn attr(&self) -> String {
        format!("{} {} {} {}", num(self.x), num(self.y), num(self.w), num(self.h))
    }

    /// Pixels per layout unit when shown in a `cw`×`ch` pixel box with the default
    /// `preserveAspectRatio` (`xMidYMid meet`).
    pub fn scale(&self, cw: f64, ch: f64) -> f64 {
        let s = (cw / self.w).min(ch / self.h);
        if s.is_finite() && s > 0.0 {
            s
        } else {
            1.0
        }
    }

    /// The layout point under pixel (`px`, `py`) of a `cw`×`ch` box showing this view.
    pub fn to_user(&self, px: f64, py: f64, cw: f64, ch: f64) -> Point {
        let s = self.scale(cw, ch);
        let ox = (cw - self.w * s) / 2.0;
        let oy = (ch - self.h * s) / 2.0;
        Point::new(self.x + (px - ox) / s, self.y + (py - oy) / s)
    }

    /// Zoomed by `factor` (> 1 zooms in) keeping layout point `at` where it is on the
    /// screen; clamped between a few nodes across and four times the fitted view.
    pub fn zoom_at(&self, factor: f64, at: Point, fit: &ViewBox) -> ViewBox {
        if !(factor.is_finite() && factor > 0.0) {
            return *self;
        }
        let max_w = fit.w * MAX_ZOOM_OUT;
        let min_w = MIN_VIEW_W.min(fit.w);
        let w = (self.w / factor).clamp(min_w, max_w.max(min_w));
        let f = self.w / w;
        let h = self.h / f;
        ViewBox {
            x: at.x - (at.x - self.x) / f,
            y: at.y - (at.y - self.y) / f,
            w,
            h,
        }
    }

    /// Zoomed about its centre.
    pub fn zoom(&self, factor: f64, fit: &ViewBox) -> ViewBox {
        self.zoom_at(factor, Point::new(self.x + self.w / 2.0, self.y + self.h / 2.0), fit)
    }

    /// Moved by (`dx`, `dy`) layout units.
    pub fn moved(&self, dx: f64, dy: f64) -> ViewBox {
        if !(dx.is_finite() && dy.is_finite()) {
            return *self;
        }
        ViewBox {
            x: self.x + dx,
            y: self.y + dy,
            ..*self
        }
    }
}
