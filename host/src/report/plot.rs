//! Learning-curve figures (the paper's Figures 3 and 4): every trial's
//! error per epoch on a log scale, as SVG.
//!
//! Long curves are thinned for drawing by min/max decimation (each bucket
//! of epochs keeps its smallest and largest error), which keeps the
//! envelope of Adam's late oscillations while bounding the file size.

use std::path::Path;

use plotters::prelude::*;

use super::io::{IoError, io_err};

/// Most points drawn per curve.
pub const MAX_POINTS: usize = 1200;

/// Floor for the log axis (errors of exactly 0 are drawn here).
const FLOOR: f64 = 1e-12;

/// Thins `curve` to at most ~`max_points` `(epoch, error)` points,
/// keeping each bucket's extremes in epoch order. Non-finite errors are
/// dropped; values ≤ 0 are clamped to a floor of 1e-12.
pub fn decimate(curve: &[f64], max_points: usize) -> Vec<(u32, f64)> {
    let pts = curve
        .iter()
        .enumerate()
        .filter(|(_, e)| e.is_finite())
        .map(|(i, e)| (i as u32, e.max(FLOOR)));
    let n = curve.len();
    if n <= max_points.max(2) {
        return pts.collect();
    }
    let buckets = (max_points / 2).max(1);
    let size = n.div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets + 2);
    let all: Vec<(u32, f64)> = pts.collect();
    for chunk in all.chunks(size) {
        let lo = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        let hi = chunk.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(&lo), Some(&hi)) = (lo, hi) {
            if lo.0 == hi.0 {
                out.push(lo);
            } else if lo.0 < hi.0 {
                out.extend([lo, hi]);
            } else {
                out.extend([hi, lo]);
            }
        }
    }
    if let Some(&last) = all.last()
        && out.last() != Some(&last)
    {
        out.push(last);
    }
    out
}

/// Draws `curves` (error per epoch, epoch 0 first) on a log-scale error
/// axis with the tolerance `tol` as a dashed line, and writes an SVG to
/// `path`.
pub fn learning_curves(
    path: &Path,
    title: &str,
    y_label: &str,
    curves: &[&[f64]],
    tol: f64,
) -> Result<(), IoError> {
    let x_max = curves.iter().map(|c| c.len()).max().unwrap_or(1).max(2) as u32 - 1;
    let finite = curves
        .iter()
        .flat_map(|c| c.iter())
        .filter(|e| e.is_finite());
    let (mut y_min, mut y_max) = finite.fold((f64::INFINITY, 0.0f64), |(lo, hi), &e| {
        (lo.min(e.max(FLOOR)), hi.max(e))
    });
    if tol.is_finite() && tol > 0.0 {
        y_min = y_min.min(tol);
        y_max = y_max.max(tol);
    }
    if !(y_min.is_finite() && y_max > 0.0) {
        (y_min, y_max) = (1e-3, 1.0);
    }
    let (y_lo, y_hi) = (y_min / 2.0, y_max * 2.0);

    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| io_err(path, e);
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0u32..x_max, (y_lo..y_hi).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_label)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(|e| err(&e))?;
    let n = curves.len().max(1);
    for (i, c) in curves.iter().enumerate() {
        let color = HSLColor(i as f64 / n as f64 * 0.8, 0.7, 0.45).mix(0.55);
        chart
            .draw_series(LineSeries::new(
                decimate(c, MAX_POINTS),
                color.stroke_width(1),
            ))
            .map_err(|e| err(&e))?;
    }
    if tol.is_finite() && tol > 0.0 {
        chart
            .draw_series(DashedLineSeries::new(
                [(0, tol), (x_max, tol)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_extremes_and_ends() {
        let curve: Vec<f64> = (0..10_000).map(|i| 1.0 + (i % 7) as f64).collect();
        let d = decimate(&curve, 100);
        assert!(d.len() <= 102, "{}", d.len());
        assert_eq!(d[0].0, 0);
        assert_eq!(d.last().unwrap().0, 9_999);
        assert!(d.iter().any(|p| p.1 == 7.0) && d.iter().any(|p| p.1 == 1.0));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
        let short = decimate(&[0.5, 0.0, f64::NAN, 0.1], 100);
        assert_eq!(short, vec![(0, 0.5), (1, 1e-12), (3, 0.1)]);
    }
}
