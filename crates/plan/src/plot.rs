//! SVG plots with plotters' SVG backend, shared by `qrnn-hw report --plot` (the design space of
//! [`crate::fit::design_space`]) and `qrnn-bench docs` (docs/bench/*.svg). Without plotters'
//! `ttf`/`ab_glyph` features the SVG backend writes text as `<text>` elements (the viewer picks
//! the font), so no system font or fontconfig is needed to draw them. The output is a function of
//! the input alone (no dates, no random ids), so regenerated plots only change when the data do.
//!
//! Readability rules (issue #17), each enforced here rather than left to callers:
//! - every series has its own (colour, marker) pair and a dash style ([`series_style`]): ten
//!   colours of Tableau 10, ten marker shapes, four dash patterns, so series stay apart in
//!   greyscale too;
//! - an axis whose positive values span more than a factor of [`LOG_RATIO`], or whose x values
//!   are a few powers of two, is logarithmic whatever the caller asked;
//! - x values that are a small grid of round numbers (hidden sizes 16/32/64/128) get their ticks
//!   exactly there; otherwise ticks are 1/2/5·10ᵏ apart (linear) or at 1/2/3/5·10ᵏ (log), the densest set
//!   whose labels, at an estimated width, neither overlap nor exceed ten;
//! - labels are short ([`tick_labels`]: "2000", "50k", "0.5"), never "2000.0";
//! - the legend sits below the plot area, never over the data.
//!
//! plotters' own mesh picks log-axis ticks badly and cannot be told where to put them, so the
//! axes, grid and legend are drawn here in pixels on the root drawing area. Text widths are
//! estimated (no font is loaded) per character class, at about the widest of the common
//! sans-serif fonts, so an estimate errs on the side of fewer ticks.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One named series of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// The points, each drawn with the series' marker ([`series_style`]).
    pub points: Vec<(f64, f64)>,
    /// Join the points with a line in the series' dash style (else points only).
    pub line: bool,
}

/// A point drawn apart from the series: a ring around it, its `label` beside it (on the side
/// that covers the fewest data points), and `name` in the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Legend entry.
    pub name: String,
    /// The text written beside the point.
    pub label: String,
    /// Where.
    pub at: (f64, f64),
}

/// A vertical (dashed) line across the whole plot, named in the legend.
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
    /// The series, in legend order (styles from [`series_style`] by position).
    pub series: &'a [Series],
    /// Marked points, drawn over the series.
    pub marks: &'a [Mark],
    /// Vertical lines.
    pub vlines: &'a [VLine],
    /// Logarithmic x axis (points with x ≤ 0 are left out). `false` leaves it to the data: log
    /// when the positive values span more than [`LOG_RATIO`] or are a few powers of two.
    pub log_x: bool,
    /// Logarithmic y axis (points with y ≤ 0 are left out). `false` leaves it to the data: log
    /// when the positive values span more than [`LOG_RATIO`].
    pub log_y: bool,
}

/// Tableau 10 (matplotlib's `tab10`), the series colours in order.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The shape drawn at each point of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
    Plus,
    OpenCircle,
    OpenSquare,
    OpenDiamond,
}

/// The markers in the order series take them.
pub const MARKERS: [Marker; 10] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Cross,
    Marker::Plus,
    Marker::OpenCircle,
    Marker::OpenSquare,
    Marker::OpenDiamond,
];

/// How a series' line is stroked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
    DashDot,
}

impl Dash {
    /// On/off lengths in pixels, starting with "on" (empty: solid).
    fn pattern(self) -> &'static [f64] {
        match self {
            Dash::Solid => &[],
            Dash::Dashed => &[9.0, 5.0],
            Dash::Dotted => &[2.5, 3.5],
            Dash::DashDot => &[9.0, 4.0, 2.5, 4.0],
        }
    }
}

const DASHES: [Dash; 4] = [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::DashDot];

/// How series number `i` is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub color: RGBColor,
    pub marker: Marker,
    pub dash: Dash,
}

/// The style of series number `i`: colour `i mod 10`, marker shifted by one every ten series, so
/// the first 100 series have distinct (colour, marker) pairs.
pub fn series_style(i: usize) -> Style {
    Style {
        color: PALETTE[i % PALETTE.len()],
        marker: MARKERS[(i + i / PALETTE.len()) % MARKERS.len()],
        dash: DASHES[i % DASHES.len()],
    }
}

/// Colour of marked points.
const MARK: RGBColor = RGBColor(200, 0, 0);
/// Colours of the marked points after the first (a ring, then a square ring, in turn).
const MARK_COLORS: [RGBColor; 3] = [MARK, RGBColor(20, 20, 20), RGBColor(148, 103, 189)];

/// The colour of marked point `i`.
fn mark_color(i: usize) -> RGBColor {
    MARK_COLORS[i % MARK_COLORS.len()]
}

/// The ring of marked point `i` around `at` (pixels), of radius `r`: a circle for even `i`, a
/// square for odd `i`, so that two marks differ in shape as well as colour.
fn mark_ring(root: &Area, at: (f64, f64), i: usize, r: i32) -> Result<(), String> {
    let c = mark_color(i).stroke_width(3);
    if i.is_multiple_of(2) {
        root.draw(&Circle::new(px(at), r, c)).map_err(err)
    } else {
        let (x, y) = px(at);
        let corners = vec![
            (x - r, y - r),
            (x + r, y - r),
            (x + r, y + r),
            (x - r, y + r),
            (x - r, y - r),
        ];
        root.draw(&PathElement::new(corners, c)).map_err(err)
    }
}
/// Colour of vertical lines.
const VLINE: RGBColor = RGBColor(80, 80, 80);
const GRID: RGBColor = RGBColor(222, 222, 222);
const GRID_MINOR: RGBColor = RGBColor(240, 240, 240);
const TEXT: RGBColor = RGBColor(30, 30, 30);

/// An axis whose positive values span more than this factor is logarithmic.
pub const LOG_RATIO: f64 = 30.0;
/// Estimated width of a digit, in font sizes (sans-serif digits are 0.55–0.64 em); other
/// characters by class in [`text_w`], each at about the widest of Arial and DejaVu Sans.
const CHAR_EM: f64 = 0.62;
/// The most ticks on an axis.
const MAX_TICKS_X: usize = 10;
const MAX_TICKS_Y: usize = 9;

// Layout, in pixels: the canvas is W wide; the plot area is PLOT_H high.
const W: f64 = 720.0;
const PLOT_H: f64 = 320.0;
const MARGIN: f64 = 12.0;
const TITLE_PX: f64 = 18.0;
const DESC_PX: f64 = 14.0;
const TICK_PX: f64 = 12.0;
const LEGEND_PX: f64 = 12.5;
const MARK_PX: f64 = 12.5;
const RIGHT: f64 = 30.0;
const LEGEND_ROW: f64 = 20.0;
const LEGEND_SAMPLE: f64 = 30.0;

fn text_w(s: &str, px: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            '0'..='9' => CHAR_EM,
            ' ' | '.' | ',' | ':' | ';' | '/' | '(' | ')' | '[' | ']' | '-' | '|' | '!' | '\'' => {
                0.36
            }
            'i' | 'j' | 'l' | 't' | 'f' | 'r' | 'I' => 0.4,
            'm' | 'w' | 'M' | 'W' => 0.9,
            c if c.is_uppercase() => 0.72,
            _ => 0.6,
        })
        .sum::<f64>()
        * px
}

/// A plotters font of `px` pixels: its SVG backend writes `font-size` as the size / 1.24, so the
/// size asked for is a float next to px·1.24 that divides back to `px` exactly where one does
/// (none does for 13 or 15, whose SVG would read "13.000000000000002": hence 12.5 px text).
fn font(px: f64) -> FontDesc<'static> {
    let mut size = px * 1.24;
    for d in [0i64, 1, -1, 2, -2] {
        let s = f64::from_bits((px * 1.24).to_bits().wrapping_add_signed(d));
        if s / 1.24 == px {
            size = s;
            break;
        }
    }
    ("sans-serif", size).into_font()
}

/// A tick value written shortly: integers without ".0", ≥ 10 000 as "50k", ≥ 10⁷ as "20M",
/// fractions with the digits they need ("0.25").
pub fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1e7 {
        format!("{}M", plain(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", plain(v / 1e3))
    } else {
        plain(v)
    }
}

/// The labels of one axis's ticks: as [`format_tick`], except that when any tick reaches 10 000
/// the thousands below it are written in k too ("5k", "10k", not "5000", "10k").
pub fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let k = ticks.iter().any(|t| t.abs() >= 1e4) && !ticks.iter().any(|t| t.abs() >= 1e7);
    ticks
        .iter()
        .map(|&t| {
            if k && t.abs() >= 1e3 {
                format!("{}k", plain(t / 1e3))
            } else {
                format_tick(t)
            }
        })
        .collect()
}

/// `v` with at most 10 significant digits and no trailing zeros.
fn plain(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let digits = (9 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// One axis: its scale, range (in axis units: log10 of the value on a log axis) and ticks.
#[derive(Clone, Debug, PartialEq)]
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    labels: Vec<String>,
    /// Unlabelled grid lines (log axes: the 2…9 multiples a sparse tick set leaves out).
    minor: Vec<f64>,
}

impl Axis {
    fn t(&self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
        }
    }
    /// Where `v` lies, 0 at the low end and 1 at the high end.
    fn frac(&self, v: f64) -> f64 {
        (self.t(v) - self.lo) / (self.hi - self.lo)
    }
}

/// The distinct values when they are a small grid of round numbers (≤ 12 integers, all powers
/// of two or all multiples of a step at least 1/100 of the largest): ticks belong exactly there.
fn grid_of(values: &[f64]) -> Option<Vec<f64>> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    if v.len() < 2
        || v.len() > 12
        || v.iter()
            .any(|x| x.fract() != 0.0 || x.abs() > 1e12 || *x < 0.0)
    {
        return None;
    }
    let n: Vec<u64> = v.iter().map(|&x| x as u64).collect();
    let pow2 = n.iter().all(|x| x.is_power_of_two());
    let gcd = n.iter().fold(0u64, |a, &b| {
        let (mut a, mut b) = (a, b);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    });
    (pow2 || (gcd > 0 && n[n.len() - 1] / gcd <= 100)).then_some(v)
}

fn all_pow2(v: &[f64]) -> bool {
    v.iter()
        .all(|&x| x >= 1.0 && x.fract() == 0.0 && (x as u64).is_power_of_two())
}

/// Do `labels` at `ticks` fit an axis `px` long without overlapping (and are they few enough)?
fn fits(a: &Axis, ticks: &[f64], labels: &[String], px: f64, horizontal: bool) -> bool {
    let max = if horizontal { MAX_TICKS_X } else { MAX_TICKS_Y };
    if ticks.is_empty() || ticks.len() > max {
        return false;
    }
    ticks.windows(2).zip(labels.windows(2)).all(|(t, l)| {
        let d = (a.frac(t[1]) - a.frac(t[0])).abs() * px;
        let need = if horizontal {
            (text_w(&l[0], TICK_PX) + text_w(&l[1], TICK_PX)) / 2.0 + 12.0
        } else {
            TICK_PX + 10.0
        };
        d >= need
    })
}

/// Multiples of a nice step (1, 2, 5 ·10ᵏ) within the axis, the densest that fits.
fn linear_ticks(a: &Axis, lo: f64, hi: f64, px: f64, horizontal: bool) -> Vec<f64> {
    let span = hi - lo;
    let e0 = (span / 100.0).log10().floor() as i32;
    let mut last = Vec::new();
    for e in e0..e0 + 6 {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(e);
            let (k0, k1) = ((lo / step).ceil() as i64, (hi / step).floor() as i64);
            if k1 - k0 > 200 {
                continue;
            }
            let ticks: Vec<f64> = (k0..=k1).map(|k| k as f64 * step).collect();
            if ticks.is_empty() {
                return last;
            }
            if fits(a, &ticks, &tick_labels(&ticks), px, horizontal) {
                return ticks;
            }
            last = ticks;
        }
    }
    last
}

/// On a log axis from 10^lo to 10^hi: m·10ᵏ for the densest mantissa set (1…9, 1/2/3/5, 1/2/5, 1/3, 1),
/// then every 2nd, 3rd, 5th… decade, that fits with two ticks at least; a range too narrow for
/// two of those gets linear ticks.
fn log_ticks(a: &Axis, px: f64, horizontal: bool) -> Vec<f64> {
    let (d0, d1) = (a.lo.floor() as i32, a.hi.ceil() as i32);
    let within = |v: &f64| {
        let t = v.log10();
        t >= a.lo - 1e-9 && t <= a.hi + 1e-9
    };
    let sets: [&[f64]; 5] = [
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        &[1.0, 2.0, 3.0, 5.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 3.0],
        &[1.0],
    ];
    let mut best: Vec<f64> = Vec::new();
    for set in sets {
        let ticks: Vec<f64> = (d0..=d1)
            .flat_map(|d| set.iter().map(move |m| m * 10f64.powi(d)))
            .filter(within)
            .collect();
        if ticks.len() >= 2 && fits(a, &ticks, &tick_labels(&ticks), px, horizontal) {
            return ticks;
        }
        if best.is_empty() && ticks.len() >= 2 {
            best = ticks;
        }
    }
    for stride in [2, 3, 5, 10, 20, 50] {
        let ticks: Vec<f64> = (d0..=d1)
            .filter(|d| d.rem_euclid(stride) == 0)
            .map(|d| 10f64.powi(d))
            .filter(within)
            .collect();
        if ticks.len() >= 2 && fits(a, &ticks, &tick_labels(&ticks), px, horizontal) {
            return ticks;
        }
    }
    if best.is_empty() {
        linear_ticks(a, 10f64.powf(a.lo), 10f64.powf(a.hi), px, horizontal)
    } else {
        best
    }
}

/// Plan an axis `px` long for `values` (every drawn value, already positive where `force_log`),
/// with `grid` the candidate discrete tick values (x axes only).
fn plan_axis(
    values: &[f64],
    grid: Option<Vec<f64>>,
    force_log: bool,
    px: f64,
    horizontal: bool,
) -> Axis {
    let (mut min, mut max) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let log = force_log
        || (min > 0.0
            && (max / min > LOG_RATIO
                || grid
                    .as_deref()
                    .is_some_and(|g| all_pow2(g) && max / min >= 4.0)));
    if max <= min {
        if log {
            (min, max) = (min / 2.0, max * 2.0);
        } else {
            let d = (min.abs() * 0.1).max(1.0);
            (min, max) = (min - d, max + d);
        }
    }
    let (t0, t1) = if log {
        (min.log10(), max.log10())
    } else {
        (min, max)
    };
    let pad = (t1 - t0) * if horizontal { 0.05 } else { 0.07 };
    let (mut lo, hi) = (t0 - pad, t1 + pad);
    if !log && min >= 0.0 && lo < 0.0 {
        lo = 0.0;
    }
    let mut a = Axis {
        log,
        lo,
        hi,
        ticks: Vec::new(),
        labels: Vec::new(),
        minor: Vec::new(),
    };
    let on_grid = grid.filter(|g| fits(&a, g, &tick_labels(g), px, horizontal));
    let on_data = on_grid.is_some();
    a.ticks = match on_grid {
        Some(g) => g,
        None if log => log_ticks(&a, px, horizontal),
        None => linear_ticks(&a, lo, hi, px, horizontal),
    };
    a.labels = tick_labels(&a.ticks);
    // minor lines between decades, unless the ticks are the data's own values (noise there)
    if log && !on_data && a.hi - a.lo <= 4.0 {
        let (d0, d1) = (a.lo.floor() as i32, a.hi.ceil() as i32);
        a.minor = (d0..=d1)
            .flat_map(|d| (1..10).map(move |m| m as f64 * 10f64.powi(d)))
            .filter(|v| {
                let t = v.log10();
                t > a.lo && t < a.hi && !a.ticks.iter().any(|x| (x - v).abs() <= 1e-9 * v)
            })
            .collect();
    }
    a
}

/// A pixel rectangle: left, top, right, bottom.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rect {
    l: f64,
    t: f64,
    r: f64,
    b: f64,
}

impl Rect {
    fn intersects(&self, o: &Rect) -> bool {
        self.l < o.r && o.l < self.r && self.t < o.b && o.t < self.b
    }
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.l && x <= self.r && y >= self.t && y <= self.b
    }
}

/// One legend entry's sample.
#[derive(Clone, Copy, Debug)]
enum Key {
    Series(Style, bool),
    VLine,
    Mark(usize),
}

/// Where everything goes: canvas size, plot area, axes, legend grid.
#[derive(Debug)]
struct Layout {
    w: f64,
    h: f64,
    plot: Rect,
    x: Axis,
    y: Axis,
    legend: Option<Rect>,
    legend_cols: usize,
    legend_col_w: f64,
    x_desc: Desc,
    y_desc: Desc,
}

/// An axis description laid out to fit `len` pixels: one line, else two split before its last
/// " (" or after its first ", " where both halves fit, else at the space nearest the middle; the
/// font shrunk (to 10 px at least) if even that is too long.
#[derive(Clone, Debug, PartialEq)]
struct Desc {
    lines: Vec<String>,
    px: f64,
}

impl Desc {
    fn new(s: &str, len: f64) -> Desc {
        let fit = |lines: Vec<String>| {
            let w = lines.iter().map(|l| text_w(l, DESC_PX)).fold(0.0, f64::max);
            let px = if w <= len {
                DESC_PX
            } else {
                ((DESC_PX * len / w) * 2.0).floor().max(20.0) / 2.0
            };
            Desc { lines, px }
        };
        if text_w(s, DESC_PX) <= len {
            return fit(vec![s.to_string()]);
        }
        let fits = |i: usize| text_w(&s[..i], DESC_PX).max(text_w(&s[i + 1..], DESC_PX)) <= len;
        let mid = s.chars().count() / 2;
        let cut = s
            .rfind(" (")
            .filter(|&i| fits(i))
            .or_else(|| s.find(", ").map(|i| i + 1).filter(|&i| fits(i)))
            .or_else(|| {
                s.char_indices()
                    .filter(|(_, c)| *c == ' ')
                    .map(|(i, _)| i)
                    .min_by_key(|&i| s[..i].chars().count().abs_diff(mid))
            });
        match cut {
            Some(i) => fit(vec![s[..i].to_string(), s[i + 1..].to_string()]),
            None => fit(vec![s.to_string()]),
        }
    }
    /// Pixels across the lines.
    fn depth(&self) -> f64 {
        self.lines.len() as f64 * (self.px + 3.0)
    }
}

fn layout(
    c: &Chart,
    xs: &[f64],
    ys: &[f64],
    grid: Option<Vec<f64>>,
    keys: &[(Key, &str)],
) -> Layout {
    let top = MARGIN + TITLE_PX + 14.0;
    let y = plan_axis(ys, None, c.log_y, PLOT_H, false);
    let y_tick_w = y
        .labels
        .iter()
        .map(|l| text_w(l, TICK_PX))
        .fold(0.0, f64::max);
    let y_desc = Desc::new(c.y_label, PLOT_H);
    let left = (MARGIN + y_desc.depth() + 8.0 + y_tick_w + 9.0).round();
    let plot_w = W - left - RIGHT;
    let x = plan_axis(xs, grid, c.log_x, plot_w, true);
    let plot = Rect {
        l: left,
        t: top,
        r: left + plot_w,
        b: top + PLOT_H,
    };
    let x_desc = Desc::new(c.x_label, plot_w);
    let legend_top = plot.b + 8.0 + TICK_PX + 8.0 + x_desc.depth() + 10.0;
    let (legend, cols, col_w) = if keys.is_empty() {
        (None, 0, 0.0)
    } else {
        let col_w = keys
            .iter()
            .map(|(_, n)| LEGEND_SAMPLE + 8.0 + text_w(n, LEGEND_PX) + 18.0)
            .fold(0.0, f64::max);
        let avail = W - 2.0 * MARGIN - 12.0;
        let mut cols = ((avail / col_w).floor() as usize).clamp(1, keys.len());
        let rows = keys.len().div_ceil(cols);
        cols = keys.len().div_ceil(rows);
        let bw = cols as f64 * col_w + 12.0;
        let l = ((W - bw) / 2.0).max(MARGIN).round();
        let r = Rect {
            l,
            t: legend_top,
            r: l + bw,
            b: legend_top + rows as f64 * LEGEND_ROW + 8.0,
        };
        (Some(r), cols, col_w)
    };
    debug_assert!(
        !legend.is_some_and(|r| r.intersects(&plot)),
        "legend over the data"
    );
    let h = legend.map_or(legend_top, |r| r.b) + MARGIN;
    Layout {
        w: W,
        h: h.round(),
        plot,
        x,
        y,
        legend,
        legend_cols: cols,
        legend_col_w: col_w,
        x_desc,
        y_desc,
    }
}

/// The on-runs of `pts` stroked with `pattern` (on, off, on, … pixels; empty: one solid run).
fn dashes(pts: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    if pattern.is_empty() || pts.len() < 2 {
        return vec![pts.to_vec()];
    }
    let mut out = Vec::new();
    let mut cur: Vec<(f64, f64)> = vec![pts[0]];
    let (mut k, mut on) = (0, true);
    let mut left = pattern[0];
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        let mut t = 0.0;
        while len - t > left {
            t += left;
            let p = (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
            if on {
                cur.push(p);
                out.push(std::mem::take(&mut cur));
            } else {
                cur = vec![p];
            }
            on = !on;
            k = (k + 1) % pattern.len();
            left = pattern[k];
        }
        left -= len - t;
        if on {
            cur.push(b);
        }
    }
    if on && cur.len() >= 2 {
        out.push(cur);
    }
    out
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn px((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn line(
    root: &Area,
    pts: &[(f64, f64)],
    col: RGBColor,
    width: u32,
    dash: Dash,
) -> Result<(), String> {
    for run in dashes(pts, dash.pattern()) {
        let mut p: Vec<(i32, i32)> = run.into_iter().map(px).collect();
        p.dedup();
        if p.len() >= 2 {
            root.draw(&PathElement::new(p, col.stroke_width(width)))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Draw marker `m` centred at `at` (radius about 4.5 px): filled shapes with a white rim (so
/// stacked markers stay apart), open ones white inside.
fn marker(root: &Area, at: (f64, f64), m: Marker, col: RGBColor) -> Result<(), String> {
    let (x, y) = at;
    let poly = |pts: &[(f64, f64)]| -> Vec<(i32, i32)> {
        pts.iter().map(|&(dx, dy)| px((x + dx, y + dy))).collect()
    };
    let closed = |mut v: Vec<(i32, i32)>| {
        v.push(v[0]);
        v
    };
    let filled = |pts: &[(f64, f64)]| -> Result<(), String> {
        root.draw(&Polygon::new(poly(pts), col.filled()))
            .map_err(err)?;
        root.draw(&PathElement::new(closed(poly(pts)), WHITE.stroke_width(1)))
            .map_err(err)
    };
    let open = |pts: &[(f64, f64)]| -> Result<(), String> {
        root.draw(&Polygon::new(poly(pts), WHITE.filled()))
            .map_err(err)?;
        root.draw(&PathElement::new(closed(poly(pts)), col.stroke_width(2)))
            .map_err(err)
    };
    let sq = [(-4.0, -4.0), (4.0, -4.0), (4.0, 4.0), (-4.0, 4.0)];
    let di = [(0.0, -5.5), (5.5, 0.0), (0.0, 5.5), (-5.5, 0.0)];
    match m {
        Marker::Circle => {
            root.draw(&Circle::new(px(at), 5, WHITE.filled()))
                .map_err(err)?;
            root.draw(&Circle::new(px(at), 4, col.filled()))
                .map_err(err)
        }
        Marker::OpenCircle => {
            root.draw(&Circle::new(px(at), 4, WHITE.filled()))
                .map_err(err)?;
            root.draw(&Circle::new(px(at), 4, col.stroke_width(2)))
                .map_err(err)
        }
        Marker::Square => filled(&sq),
        Marker::OpenSquare => open(&sq),
        Marker::Diamond => filled(&di),
        Marker::OpenDiamond => open(&di),
        Marker::TriangleUp => filled(&[(0.0, -5.5), (5.0, 3.5), (-5.0, 3.5)]),
        Marker::TriangleDown => filled(&[(0.0, 5.5), (5.0, -3.5), (-5.0, -3.5)]),
        Marker::Cross | Marker::Plus => {
            let arms: [[(f64, f64); 2]; 2] = if m == Marker::Cross {
                [[(-4.5, -4.5), (4.5, 4.5)], [(-4.5, 4.5), (4.5, -4.5)]]
            } else {
                [[(-5.5, 0.0), (5.5, 0.0)], [(0.0, -5.5), (0.0, 5.5)]]
            };
            for a in arms {
                root.draw(&PathElement::new(poly(&a), col.stroke_width(3)))
                    .map_err(err)?;
            }
            Ok(())
        }
    }
}

fn text(
    root: &Area,
    s: &str,
    at: (f64, f64),
    size: f64,
    col: &RGBColor,
    pos: (HPos, VPos),
) -> Result<(), String> {
    let style = font(size).color(col).pos(Pos::new(pos.0, pos.1));
    root.draw(&Text::new(s.to_string(), px(at), style))
        .map_err(err)
}

/// Draw `c` as SVG text (720 wide; as high as the legend below the plot needs). Fails when no
/// point is drawable (finite, and positive on a log axis).
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
    let vx: Vec<f64> = c
        .vlines
        .iter()
        .map(|v| v.x)
        .filter(|&x| x.is_finite() && (!c.log_x || x > 0.0))
        .collect();
    let xs: Vec<f64> = pts.iter().map(|p| p.0).chain(vx.iter().copied()).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    // ticks at the data's own x values only when the vertical lines sit on them too
    let grid = grid_of(&xs);
    let mut keys: Vec<(Key, &str)> = Vec::new();
    for (i, s) in c.series.iter().enumerate() {
        keys.push((Key::Series(series_style(i), s.line), &s.name));
    }
    for v in c.vlines.iter().filter(|v| vx.contains(&v.x)) {
        keys.push((Key::VLine, &v.name));
    }
    for (i, m) in c.marks.iter().enumerate().filter(|(_, m)| ok(&m.at)) {
        keys.push((Key::Mark(i), &m.name));
    }
    keys.retain(|k| !k.1.is_empty());
    let lay = layout(c, &xs, &ys, grid, &keys);
    let p = lay.plot;
    let (ax, ay) = (&lay.x, &lay.y);
    let to_px = |(x, y): (f64, f64)| {
        (
            p.l + ax.frac(x) * (p.r - p.l),
            p.b - ay.frac(y) * (p.b - p.t),
        )
    };
    let mut out = String::new();
    {
        let root =
            SVGBackend::with_string(&mut out, (lay.w as u32, lay.h as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        // grid: minor lines, then major, then the axes
        for (v, col) in ax
            .minor
            .iter()
            .map(|v| (v, GRID_MINOR))
            .chain(ax.ticks.iter().map(|v| (v, GRID)))
        {
            let x = to_px((*v, 1.0)).0;
            line(&root, &[(x, p.t), (x, p.b)], col, 1, Dash::Solid)?;
        }
        for (v, col) in ay
            .minor
            .iter()
            .map(|v| (v, GRID_MINOR))
            .chain(ay.ticks.iter().map(|v| (v, GRID)))
        {
            let y = p.b - ay.frac(*v) * (p.b - p.t);
            line(&root, &[(p.l, y), (p.r, y)], col, 1, Dash::Solid)?;
        }
        line(
            &root,
            &[(p.l, p.t), (p.l, p.b), (p.r, p.b)],
            BLACK,
            1,
            Dash::Solid,
        )?;
        for v in &vx {
            let x = to_px((*v, 1.0)).0;
            line(&root, &[(x, p.t), (x, p.b)], VLINE, 2, Dash::Dashed)?;
        }
        // series: every line under every marker, and the first series' markers on top (legend
        // order is importance order: a Pareto front over the points it is drawn from)
        let drawn: Vec<Vec<(f64, f64)>> = c
            .series
            .iter()
            .map(|s| s.points.iter().copied().filter(ok).map(to_px).collect())
            .collect();
        for (i, (s, d)) in c.series.iter().zip(&drawn).enumerate() {
            if s.line {
                let st = series_style(i);
                line(&root, d, st.color, 2, st.dash)?;
            }
        }
        // marks' labels, on the side that covers the fewest points and lines, under the markers
        // so that a label never hides a point
        let all: Vec<(f64, f64)> = drawn.iter().flatten().copied().collect();
        for (mi, m) in c.marks.iter().enumerate().filter(|(_, m)| ok(&m.at)) {
            let (x, y) = to_px(m.at);
            let w = text_w(&m.label, MARK_PX);
            let h = MARK_PX;
            let cands = [
                (x + 14.0, y - 14.0 - h),
                (x + 14.0, y + 14.0),
                (x - 14.0 - w, y - 14.0 - h),
                (x - 14.0 - w, y + 14.0),
                (x + 16.0, y - h / 2.0),
                (x - 16.0 - w, y - h / 2.0),
                (x - w / 2.0, y - 16.0 - h),
                (x - w / 2.0, y + 16.0),
                (x + 14.0, y - 34.0 - h),
                (x + 14.0, y + 34.0),
                (x - 14.0 - w, y - 34.0 - h),
                (x - 14.0 - w, y + 34.0),
                (x + 14.0, y - 54.0 - h),
                (x + 14.0, y + 54.0),
                (x - 14.0 - w, y - 54.0 - h),
                (x - 14.0 - w, y + 54.0),
            ];
            let score = |&(l, t): &(f64, f64)| {
                let r = Rect {
                    l: l - 3.0,
                    t: t - 3.0,
                    r: l + w + 3.0,
                    b: t + MARK_PX + 3.0,
                };
                let inside = r.l >= p.l && r.r <= p.r && r.t >= p.t && r.b <= p.b;
                // a marker reaches 6 px from its point
                let near = Rect {
                    l: r.l - 6.0,
                    t: r.t - 6.0,
                    r: r.r + 6.0,
                    b: r.b + 6.0,
                };
                let hit = all.iter().filter(|&&q| near.contains(q)).count()
                    + vx.iter()
                        .filter(|&&v| {
                            let x = to_px((v, 1.0)).0;
                            x >= r.l && x <= r.r
                        })
                        .count();
                // lines through the label count half as much as points under it
                let crossed = c
                    .series
                    .iter()
                    .zip(&drawn)
                    .filter(|(s, _)| s.line)
                    .flat_map(|(_, d)| d.windows(2))
                    .filter(|seg| {
                        let (a, b) = (seg[0], seg[1]);
                        let n = ((b.0 - a.0).hypot(b.1 - a.1) / 3.0).ceil().max(1.0) as usize;
                        (0..=n).any(|k| {
                            let f = k as f64 / n as f64;
                            r.contains((a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f))
                        })
                    })
                    .count();
                2 * hit + crossed + if inside { 0 } else { 1000 }
            };
            let best = cands
                .iter()
                .enumerate()
                .min_by_key(|(i, c)| (score(c), *i))
                .map(|(_, c)| *c)
                .unwrap_or(cands[0]);
            root.draw(&Rectangle::new(
                [
                    px((best.0 - 3.0, best.1 - 2.0)),
                    px((best.0 + w + 3.0, best.1 + MARK_PX + 3.0)),
                ],
                WHITE.mix(0.85).filled(),
            ))
            .map_err(err)?;
            text(
                &root,
                &m.label,
                best,
                MARK_PX,
                &mark_color(mi),
                (HPos::Left, VPos::Top),
            )?;
            // a label set apart gets a leader from the ring to its nearest corner
            let corner = (
                if best.0 > x {
                    best.0 - 2.0
                } else {
                    best.0 + w + 2.0
                },
                if best.1 > y {
                    best.1 - 2.0
                } else {
                    best.1 + h + 2.0
                },
            );
            let d = (corner.0 - x).hypot(corner.1 - y);
            if d > 30.0 {
                let from = (x + (corner.0 - x) * 10.0 / d, y + (corner.1 - y) * 10.0 / d);
                line(&root, &[from, corner], mark_color(mi), 1, Dash::Solid)?;
            }
        }
        for (i, d) in drawn.iter().enumerate().rev() {
            let st = series_style(i);
            for &q in d {
                marker(&root, q, st.marker, st.color)?;
            }
        }
        for (i, m) in c.marks.iter().enumerate().filter(|(_, m)| ok(&m.at)) {
            mark_ring(&root, to_px(m.at), i, 9)?;
        }
        // ticks and their labels
        for (v, l) in ax.ticks.iter().zip(&ax.labels) {
            let x = to_px((*v, 1.0)).0;
            line(&root, &[(x, p.b), (x, p.b + 5.0)], BLACK, 1, Dash::Solid)?;
            text(
                &root,
                l,
                (x, p.b + 8.0),
                TICK_PX,
                &TEXT,
                (HPos::Center, VPos::Top),
            )?;
        }
        for (v, l) in ay.ticks.iter().zip(&ay.labels) {
            let y = p.b - ay.frac(*v) * (p.b - p.t);
            line(&root, &[(p.l - 5.0, y), (p.l, y)], BLACK, 1, Dash::Solid)?;
            text(
                &root,
                l,
                (p.l - 8.0, y),
                TICK_PX,
                &TEXT,
                (HPos::Right, VPos::Center),
            )?;
        }
        // descriptions and title
        let (xd, yd) = (&lay.x_desc, &lay.y_desc);
        for (i, l) in xd.lines.iter().enumerate() {
            let y = p.b + 8.0 + TICK_PX + 8.0 + i as f64 * (xd.px + 3.0);
            text(
                &root,
                l,
                ((p.l + p.r) / 2.0, y),
                xd.px,
                &TEXT,
                (HPos::Center, VPos::Top),
            )?;
        }
        // rotated a quarter turn back: "down" in the text's frame is to the right on the page
        let ystyle = font(yd.px)
            .transform(FontTransform::Rotate270)
            .color(&TEXT)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, l) in yd.lines.iter().enumerate() {
            let x = MARGIN + i as f64 * (yd.px + 3.0);
            root.draw(&Text::new(
                l.clone(),
                px((x, (p.t + p.b) / 2.0)),
                ystyle.clone(),
            ))
            .map_err(err)?;
        }
        text(
            &root,
            c.title,
            (lay.w / 2.0, MARGIN),
            TITLE_PX,
            &BLACK,
            (HPos::Center, VPos::Top),
        )?;
        // legend, below the plot area
        if let Some(r) = lay.legend {
            root.draw(&Rectangle::new(
                [px((r.l, r.t)), px((r.r, r.b))],
                RGBColor(160, 160, 160).stroke_width(1),
            ))
            .map_err(err)?;
            for (i, (key, name)) in keys.iter().enumerate() {
                let (row, col) = (i / lay.legend_cols, i % lay.legend_cols);
                let x = r.l + 6.0 + col as f64 * lay.legend_col_w;
                let y = r.t + 4.0 + row as f64 * LEGEND_ROW + LEGEND_ROW / 2.0;
                let mid = x + LEGEND_SAMPLE / 2.0;
                match *key {
                    Key::Series(st, joined) => {
                        if joined {
                            line(
                                &root,
                                &[(x, y), (x + LEGEND_SAMPLE, y)],
                                st.color,
                                2,
                                st.dash,
                            )?;
                        }
                        marker(&root, (mid, y), st.marker, st.color)?;
                    }
                    Key::VLine => line(
                        &root,
                        &[(mid, y - 8.0), (mid, y + 8.0)],
                        VLINE,
                        2,
                        Dash::Dashed,
                    )?,
                    Key::Mark(i) => mark_ring(&root, (mid, y), i, 6)?,
                }
                text(
                    &root,
                    name,
                    (x + LEGEND_SAMPLE + 8.0, y),
                    LEGEND_PX,
                    &TEXT,
                    (HPos::Left, VPos::Center),
                )?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// A line plot of `series` as SVG text; `log_y` forces a log y axis.
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

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
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
            assert!(!t.contains(".0<"), "a label ends in .0: {log_x} {log_y}");
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

    #[test]
    fn every_series_of_many_has_its_own_colour_and_marker() {
        let mut pairs: Vec<(RGBColor, Marker)> = Vec::new();
        for i in 0..100 {
            let st = series_style(i);
            assert!(
                !pairs.contains(&(st.color, st.marker)),
                "series {i} repeats a (colour, marker) pair"
            );
            pairs.push((st.color, st.marker));
        }
        // the first ten differ in colour and in marker alone, each of them
        let mut c: Vec<_> = (0..10).map(|i| hex(series_style(i).color)).collect();
        let mut m: Vec<_> = (0..10).map(|i| series_style(i).marker).collect();
        c.sort();
        c.dedup();
        m.sort();
        m.dedup();
        assert_eq!((c.len(), m.len()), (10, 10));
        // and an eight-series plot uses eight colours
        let series: Vec<Series> = (0..8)
            .map(|i| Series {
                name: format!("s{i}"),
                points: vec![(16.0, i as f64), (32.0, i as f64 + 1.0)],
                line: true,
            })
            .collect();
        let t = line_svg("t", "x", "y", &series, false).unwrap();
        for i in 0..8 {
            let h = hex(series_style(i).color);
            assert!(t.contains(&h), "colour of series {i} ({h}) not drawn");
        }
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(format_tick(2000.0), "2000");
        assert_eq!(format_tick(50000.0), "50k");
        assert_eq!(format_tick(125000.0), "125k");
        assert_eq!(format_tick(16.0), "16");
        assert_eq!(format_tick(0.5), "0.5");
        assert_eq!(format_tick(0.1 + 0.2), "0.3");
        assert_eq!(format_tick(2.5e7), "25M");
        assert_eq!(format_tick(-0.0), "0");
        assert_eq!(
            tick_labels(&[2000.0, 5000.0, 10000.0, 20000.0, 500.0]),
            ["2k", "5k", "10k", "20k", "500"]
        );
        assert_eq!(tick_labels(&[2000.0, 4000.0]), ["2000", "4000"]);
    }

    #[test]
    fn discrete_x_values_are_the_ticks() {
        let xs = [16.0, 32.0, 64.0, 128.0, 16.0, 128.0];
        let a = plan_axis(&xs, grid_of(&xs), false, 600.0, true);
        assert!(a.log, "powers of two spanning 8x: log2 axis");
        assert_eq!(a.ticks, [16.0, 32.0, 64.0, 128.0]);
        assert_eq!(a.labels, ["16", "32", "64", "128"]);
        // a linear grid keeps a linear axis
        let xs = [10.0, 20.0, 30.0, 40.0];
        let a = plan_axis(&xs, grid_of(&xs), false, 600.0, true);
        assert!(!a.log);
        assert_eq!(a.ticks, xs);
        // many distinct measured values are no grid
        let xs: Vec<f64> = (0..40).map(|i| 1000.0 + 37.0 * i as f64).collect();
        assert_eq!(grid_of(&xs), None);
        assert_eq!(grid_of(&[4752.0, 5031.0]), None);
    }

    #[test]
    fn wide_ranges_go_log_with_labels_below_ten_thousand() {
        let xs = [2000.0, 4752.0, 9000.0, 30000.0, 110000.0];
        let a = plan_axis(&xs, grid_of(&xs), false, 600.0, true);
        assert!(a.log);
        assert!(
            a.ticks.iter().filter(|&&t| t < 1e4).count() >= 2,
            "{:?}",
            a.ticks
        );
        assert!(a.labels.iter().all(|l| !l.contains('.')), "{:?}", a.labels);
        // a narrow positive range stays linear
        let a = plan_axis(&[1900.0, 12000.0], None, false, PLOT_H, false);
        assert!(!a.log);
        assert!(a.ticks.len() >= 3, "{:?}", a.ticks);
    }

    #[test]
    fn tick_labels_never_overlap() {
        // many widths and ranges, linear and log: adjacent labels keep a gap
        for (lo, hi) in [
            (0.0, 130000.0),
            (1.0, 1e6),
            (12.0, 80.0),
            (0.5, 3.0),
            (1500.0, 1.1e5),
        ] {
            for w in [200.0, 400.0, 640.0] {
                let a = plan_axis(&[lo, hi], None, false, w, true);
                assert!(a.ticks.len() >= 2, "{lo}..{hi} at {w}: {:?}", a.ticks);
                for (t, l) in a.ticks.windows(2).zip(a.labels.windows(2)) {
                    let d = (a.frac(t[1]) - a.frac(t[0])) * w;
                    let need = (text_w(&l[0], TICK_PX) + text_w(&l[1], TICK_PX)) / 2.0;
                    assert!(d > need, "{lo}..{hi} at {w}: {:?} overlap", a.labels);
                }
            }
        }
    }

    #[test]
    fn legend_is_outside_the_plot_area() {
        let series: Vec<Series> = (0..8)
            .map(|i| Series {
                name: format!("series with a long name {i}"),
                points: vec![(1.0, 1.0), (2.0, 3.0)],
                line: true,
            })
            .collect();
        let keys: Vec<(Key, &str)> = series
            .iter()
            .enumerate()
            .map(|(i, s)| (Key::Series(series_style(i), true), s.name.as_str()))
            .collect();
        let c = Chart {
            series: &series,
            ..Chart::default()
        };
        let lay = layout(&c, &[1.0, 2.0], &[1.0, 3.0], None, &keys);
        let lg = lay.legend.unwrap();
        assert!(!lg.intersects(&lay.plot), "{lg:?} over {:?}", lay.plot);
        assert!(lg.t > lay.plot.b + TICK_PX, "legend over the x tick labels");
        assert!(lg.b < lay.h && lg.r <= lay.w && lg.l >= 0.0);
        let rows = keys.len().div_ceil(lay.legend_cols);
        assert!(lg.b - lg.t >= rows as f64 * LEGEND_ROW);
    }

    #[test]
    fn dashes_cover_the_line_in_pieces() {
        let runs = dashes(&[(0.0, 0.0), (100.0, 0.0)], Dash::Dashed.pattern());
        assert_eq!(runs.len(), 8); // 14-pixel periods, 9 on: 0–9, 14–23, …, 98–100
        assert!(runs.iter().all(|r| r.len() >= 2));
        assert_eq!(dashes(&[(0.0, 0.0), (5.0, 5.0)], &[]).len(), 1);
    }
}
