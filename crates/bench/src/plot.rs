//! SVG line plots with plotters' SVG backend. Without plotters' `ttf`/`ab_glyph` features the SVG
//! backend writes text as `<text>` elements (the viewer picks the font), so no system font or
//! fontconfig is needed to draw them.

use plotters::prelude::*;
use std::path::Path;

/// One named series of (x, y) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Join the points with a line (else points only).
    pub line: bool,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Draw `series` into an SVG file at `path`; `log_y` uses a log y axis.
pub fn line_plot(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), String> {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|p| p.0.is_finite() && p.1.is_finite() && (!log_y || p.1 > 0.0))
        .collect();
    if pts.is_empty() {
        return Err(format!("{}: no points to plot", path.display()));
    }
    let (mut x0, mut x1, mut y0, mut y1) = pts.iter().fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(a, b, c, d), p| (a.min(p.0), b.max(p.0), c.min(p.1), d.max(p.1)),
    );
    if x1 <= x0 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    if log_y {
        y0 /= 1.5;
        y1 *= 1.5;
    } else {
        let pad = ((y1 - y0) * 0.1).max(y1.abs() * 0.05).max(1e-9);
        y0 = (y0 - pad).max(0.0);
        y1 += pad;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let xr = (x0 - (x1 - x0) * 0.05)..(x1 + (x1 - x0) * 0.05);
        let mut b = ChartBuilder::on(&root);
        b.caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70);
        macro_rules! draw {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .y_desc(y_label)
                    .draw()
                    .map_err(|e| e.to_string())?;
                for (i, s) in series.iter().enumerate() {
                    let c = COLORS[i % COLORS.len()];
                    let p: Vec<(f64, f64)> = s
                        .points
                        .iter()
                        .copied()
                        .filter(|p| !log_y || p.1 > 0.0)
                        .collect();
                    let w = if s.line { 2 } else { 0 };
                    chart
                        .draw_series(LineSeries::new(
                            if s.line { p.clone() } else { Vec::new() },
                            c.stroke_width(w),
                        ))
                        .map_err(|e| e.to_string())?
                        .label(s.name.clone())
                        .legend(move |(x, y)| Circle::new((x + 9, y), 4, c.filled()));
                    chart
                        .draw_series(p.iter().map(|&q| Circle::new(q, 4, c.filled())))
                        .map_err(|e| e.to_string())?;
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .position(SeriesLabelPosition::UpperLeft)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }};
        }
        if log_y {
            draw!(b
                .build_cartesian_2d(xr, (y0..y1).log_scale())
                .map_err(|e| e.to_string())?);
        } else {
            draw!(b
                .build_cartesian_2d(xr, y0..y1)
                .map_err(|e| e.to_string())?);
        }
        root.present().map_err(|e| e.to_string())?;
    }
    crate::util::write_text(path, &svg)
}
