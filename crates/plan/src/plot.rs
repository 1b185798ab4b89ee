//! SVG plots with plotters' SVG backend, shared by `qrnn-hw report --plot` (the design space of
//! [`crate::fit::design_space`]) and `qrnn-bench docs` (docs/bench/*.svg). Without plotters'
//! `ttf`/`ab_glyph` features the SVG backend writes text as `<text>` elements (the viewer picks
//! the font), so no system font or fontconfig is needed to draw them. The output is a function of
//! the input alone (no dates, no random ids), so regenerated plots only change when the data do.

use plotters::prelude::*;

/// One named series of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// The points, drawn as filled circles.
    pub points: Vec<(f64, f64)>,
    /// Join the points with a line (else points only).
    pub line: bool,
}

/// A point drawn apart from the series: a ring around it, its `label` beside it, and `name` in
/// the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Legend entry.
    pub name: String,
    /// The text written beside the point.
    pub label: String,
    /// Where.
    pub at: (f64, f64),
}

/// A vertical line across the whole plot, named in the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct VLine {
    /// Legend entry.
    pub name: String,
    /// Where.
    pub x: f64,
}

/// A plot: series, marked points and vertical lines on linear or logarithmic axes.
#[derive(Clone, Debug, Default)]
pub struct Chart<'a> {
    /// Caption.
    pub title: &'a str,
    /// X axis description.
    pub x_label: &'a str,
    /// Y axis description.
    pub y_label: &'a str,
    /// The series, in legend order (colours cycle through a fixed palette).
    pub series: &'a [Series],
    /// Marked points, drawn over the series.
    pub marks: &'a [Mark],
    /// Vertical lines.
    pub vlines: &'a [VLine],
    /// Logarithmic x axis (points with x ≤ 0 are left out).
    pub log_x: bool,
    /// Logarithmic y axis (points with y ≤ 0 are left out).
    pub log_y: bool,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Colour of marked points.
const MARK: RGBColor = RGBColor(214, 39, 40);
/// Colour of vertical lines.
const VLINE: RGBColor = RGBColor(110, 110, 110);

/// A line plot of `series` as SVG text; `log_y` uses a log y axis.
pub fn line_svg(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<String, String> {
    svg(&Chart {
        title,
        x_label,
        y_label,
        series,
        log_y,
        ..Chart::default()
    })
}

/// Draw `c` as SVG text (720×440). Fails when no point is drawable (finite, and positive on a
/// log axis).
pub fn svg(c: &Chart) -> Result<String, String> {
    let ok = |p: &(f64, f64)| {
        p.0.is_finite() && p.1.is_finite() && (!c.log_x || p.0 > 0.0) && (!c.log_y || p.1 > 0.0)
    };
    let pts: Vec<(f64, f64)> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .chain(c.marks.iter().map(|m| m.at))
        .filter(ok)
        .collect();
    if pts.is_empty() {
        return Err("no points to plot".into());
    }
    let (mut x0, mut x1, mut y0, mut y1) = pts.iter().fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(a, b, c, d), p| (a.min(p.0), b.max(p.0), c.min(p.1), d.max(p.1)),
    );
    for v in c.vlines {
        if v.x.is_finite() && (!c.log_x || v.x > 0.0) {
            x0 = x0.min(v.x);
            x1 = x1.max(v.x);
        }
    }
    if x1 <= x0 {
        x0 -= if c.log_x { x0 / 2.0 } else { 1.0 };
        x1 += 1.0;
    }
    if c.log_y {
        y0 /= 1.5;
        y1 *= 1.5;
    } else {
        let pad = ((y1 - y0) * 0.1).max(y1.abs() * 0.05).max(1e-9);
        y0 = (y0 - pad).max(0.0);
        y1 += pad;
    }
    let xr = if c.log_x {
        (x0 / 1.15)..(x1 * 1.15)
    } else {
        (x0 - (x1 - x0) * 0.05)..(x1 + (x1 - x0) * 0.05)
    };
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (720, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let mut b = ChartBuilder::on(&root);
        b.caption(c.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70);
        macro_rules! draw {
            ($chart:expr) => {{
                let mut chart = $chart;
                let mut mesh = chart.configure_mesh();
                mesh.x_desc(c.x_label).y_desc(c.y_label);
                // a log axis's ticks are round numbers: print them without ".0"
                let whole = |v: &f64| format!("{v:.0}");
                if c.log_x {
                    mesh.x_label_formatter(&whole);
                }
                mesh.draw().map_err(|x| e(&x))?;
                for (i, s) in c.series.iter().enumerate() {
                    let col = COLORS[i % COLORS.len()];
                    let p: Vec<(f64, f64)> = s.points.iter().copied().filter(ok).collect();
                    let w = if s.line { 2 } else { 0 };
                    chart
                        .draw_series(LineSeries::new(
                            if s.line { p.clone() } else { Vec::new() },
                            col.stroke_width(w),
                        ))
                        .map_err(|x| e(&x))?
                        .label(s.name.clone())
                        .legend(move |(x, y)| Circle::new((x + 9, y), 4, col.filled()));
                    chart
                        .draw_series(p.iter().map(|&q| Circle::new(q, 4, col.filled())))
                        .map_err(|x| e(&x))?;
                }
                for v in c.vlines.iter().filter(|v| ok(&(v.x, y0))) {
                    chart
                        .draw_series(LineSeries::new(
                            vec![(v.x, y0), (v.x, y1)],
                            VLINE.stroke_width(2),
                        ))
                        .map_err(|x| e(&x))?
                        .label(v.name.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(
                                vec![(x + 9, y - 6), (x + 9, y + 6)],
                                VLINE.stroke_width(2),
                            )
                        });
                }
                for m in c.marks.iter().filter(|m| ok(&m.at)) {
                    let label = m.label.clone();
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at(m.at)
                                + Circle::new((0, 0), 8, MARK.stroke_width(3))
                                + Circle::new((0, 0), 4, MARK.filled())
                                + Text::new(
                                    label,
                                    (12, -20),
                                    ("sans-serif", 15).into_font().color(&MARK),
                                ),
                        ))
                        .map_err(|x| e(&x))?
                        .label(m.name.clone())
                        .legend(move |(x, y)| Circle::new((x + 9, y), 6, MARK.stroke_width(3)));
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .position(SeriesLabelPosition::UpperLeft)
                    .draw()
                    .map_err(|x| e(&x))?;
            }};
        }
        match (c.log_x, c.log_y) {
            (false, false) => draw!(b.build_cartesian_2d(xr, y0..y1).map_err(|x| e(&x))?),
            (false, true) => draw!(b
                .build_cartesian_2d(xr, (y0..y1).log_scale())
                .map_err(|x| e(&x))?),
            (true, false) => draw!(b
                .build_cartesian_2d(xr.log_scale(), y0..y1)
                .map_err(|x| e(&x))?),
            (true, true) => draw!(b
                .build_cartesian_2d(xr.log_scale(), (y0..y1).log_scale())
                .map_err(|x| e(&x))?),
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(points: Vec<(f64, f64)>) -> Vec<Series> {
        vec![Series {
            name: "a".into(),
            points,
            line: true,
        }]
    }

    #[test]
    fn draws_marks_and_lines_on_every_axis_kind() {
        let series = s(vec![(100.0, 50.0), (200.0, 20.0), (400.0, 10.0)]);
        let marks = [Mark {
            name: "fit".into(),
            label: "chosen 2x4".into(),
            at: (200.0, 20.0),
        }];
        let vlines = [VLine {
            name: "budget".into(),
            x: 500.0,
        }];
        for (log_x, log_y) in [(false, false), (false, true), (true, false), (true, true)] {
            let t = svg(&Chart {
                title: "t",
                x_label: "x",
                y_label: "y",
                series: &series,
                marks: &marks,
                vlines: &vlines,
                log_x,
                log_y,
            })
            .unwrap();
            assert!(t.starts_with("<svg"), "{}", &t[..40]);
            assert!(
                t.contains("chosen 2x4") && t.contains("budget"),
                "{log_x} {log_y}"
            );
            assert!(t.trim_end().ends_with("</svg>"));
        }
        // deterministic
        let a = line_svg("t", "x", "y", &series, true).unwrap();
        assert_eq!(a, line_svg("t", "x", "y", &series, true).unwrap());
    }

    #[test]
    fn nothing_to_draw_is_an_error() {
        assert!(line_svg("t", "x", "y", &s(vec![]), false).is_err());
        assert!(line_svg("t", "x", "y", &s(vec![(1.0, 0.0)]), true).is_err());
    }
}
