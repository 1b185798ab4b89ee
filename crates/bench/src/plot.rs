//! SVG plots for docs/bench/: the drawing lives in `qrnn_plan::plot` (shared with
//! `qrnn-hw report --plot`); this writes them atomically.

pub use qrnn_plan::plot::{Chart, Mark, Series, VLine};
use std::path::Path;

/// Draw `series` into an SVG file at `path`; `log_y` uses a log y axis.
pub fn line_plot(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), String> {
    let svg = qrnn_plan::plot::line_svg(title, x_label, y_label, series, log_y)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    crate::util::write_text(path, &svg)
}

/// Draw `chart` into an SVG file at `path`.
pub fn chart(path: &Path, chart: &Chart) -> Result<(), String> {
    let svg = qrnn_plan::plot::svg(chart).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::util::write_text(path, &svg)
}
