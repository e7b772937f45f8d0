//! The views. Small components that take data and callbacks.

pub mod clusters;
pub mod editor;
pub mod explain;
pub mod graph;
pub mod matrix;
pub mod mesh;
pub mod plan;
