//! The figures of `hinf saddle` (SVG): a function on a grid as a heat
//! map with paths and marks over it (Fig. 1, the error-surface slices),
//! and curves on a linear or log axis (spectra, span fractions, gains).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::io::{IoError, io_err};
use crate::study::Grid;

/// A named polyline in a figure.
pub struct Curve<'a> {
    /// Its legend.
    pub name: &'a str,
    /// Its points.
    pub points: Vec<(f64, f64)>,
}

/// A figure's title and axis labels.
pub struct Labels<'a> {
    /// The caption.
    pub title: &'a str,
    /// The x axis.
    pub x: &'a str,
    /// The y axis.
    pub y: &'a str,
}

/// Size of every figure.
const SIZE: (u32, u32) = (900, 700);

/// The colour of curve `i` (seven, then again).
pub fn palette(i: usize) -> RGBColor {
    let hues = [
        RGBColor(214, 39, 40),
        RGBColor(31, 119, 180),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(23, 190, 207),
    ];
    hues[i % hues.len()]
}

/// A viridis-like colour for t in [0, 1].
fn heat(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: f64, b: f64| (a + f * (b - a)).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Draws `grid` as a heat map (colour scale from its range, noted in the
/// caption) with `curves` over it, each starting at a circle, and writes
/// an SVG to `path`.
pub fn heat_map(
    path: &Path,
    labels: &Labels<'_>,
    grid: &Grid,
    curves: &[Curve<'_>],
) -> Result<(), IoError> {
    let err = |e: &dyn std::fmt::Display| io_err(path, e);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (lo, hi) = grid.range();
    let title = format!("{} (colour: {lo:.3} dark … {hi:.3} light)", labels.title);
    let (x0, x1) = (grid.xs[0], *grid.xs.last().unwrap_or(&1.0));
    let (y0, y1) = (grid.ys[0], *grid.ys.last().unwrap_or(&1.0));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .draw()
        .map_err(|e| err(&e))?;
    let cells = cells(grid, lo, hi);
    chart.draw_series(cells).map_err(|e| err(&e))?;
    for (i, c) in curves.iter().enumerate() {
        let color = palette(i);
        chart
            .draw_series(LineSeries::new(c.points.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(c.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        if let Some(&start) = c.points.first() {
            chart
                .draw_series([Circle::new(start, 4, color.filled())])
                .map_err(|e| err(&e))?;
        }
    }
    if !curves.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// One rectangle per grid point, coloured by its value.
fn cells(grid: &Grid, lo: f64, hi: f64) -> Vec<Rectangle<(f64, f64)>> {
    let (nx, ny) = (grid.xs.len(), grid.ys.len());
    let half = |v: &[f64], i: usize| {
        let a = if i > 0 { 0.5 * (v[i] + v[i - 1]) } else { v[0] };
        let b = if i + 1 < v.len() {
            0.5 * (v[i] + v[i + 1])
        } else {
            v[i]
        };
        (a, b)
    };
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let mut out = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 0..nx {
            let (xa, xb) = half(&grid.xs, i);
            let (ya, yb) = half(&grid.ys, j);
            let c = heat((grid.values[j * nx + i] - lo) / span);
            out.push(Rectangle::new([(xa, ya), (xb, yb)], c.filled()));
        }
    }
    out
}

/// Draws `curves` on a linear y axis from `y_range` (or a log axis if
/// `log`), and writes an SVG to `path`.
pub fn curves(
    path: &Path,
    labels: &Labels<'_>,
    curves: &[Curve<'_>],
    log: bool,
    y_range: Option<(f64, f64)>,
) -> Result<(), IoError> {
    let err = |e: &dyn std::fmt::Display| io_err(path, e);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let finite = curves
        .iter()
        .flat_map(|c| c.points.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite() && (!log || p.1 > 0.0));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in finite {
        (x0, x1, y0, y1) = (x0.min(p.0), x1.max(p.0), y0.min(p.1), y1.max(p.1));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 1e-3, 1.0);
    }
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    if log {
        let (lo, hi) = (y0 / 2.0, y1 * 2.0);
        draw_curves(&root, labels, curves, x0..x1, (lo..hi).log_scale(), path)?;
    } else {
        let (lo, hi) = y_range.unwrap_or((y0, if y1 > y0 { y1 } else { y0 + 1.0 }));
        draw_curves(&root, labels, curves, x0..x1, lo..hi, path)?;
    }
    root.present().map_err(|e| err(&e))
}

fn draw_curves<Y>(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    labels: &Labels<'_>,
    curves: &[Curve<'_>],
    xs: std::ops::Range<f64>,
    ys: Y,
    path: &Path,
) -> Result<(), IoError>
where
    Y: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    Y::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let err = |e: &dyn std::fmt::Display| io_err(path, e);
    let mut chart = ChartBuilder::on(root)
        .caption(labels.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(xs, ys)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .draw()
        .map_err(|e| err(&e))?;
    for (i, c) in curves.iter().enumerate() {
        let color = palette(i);
        let pts: Vec<(f64, f64)> = c
            .points
            .iter()
            .copied()
            .filter(|p| p.1.is_finite())
            .collect();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(c.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))
}
