//! The files of `hinf sweep`: `sweep.csv`, `sweep_trials.csv`, `sweep.md`
//! and `sweep.svg`, their settings columns read from the one table of
//! settings ([`crate::settings::SETTINGS`]).

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use super::files::{csv_text, opt, opt_u};
use super::io::{IoError, create_dir, io_err, move_aside, write_json, write_text};
use crate::run::{ExperimentResult, SweepRow, SweepSummary};
use crate::settings::{Choice, SETTINGS, TrialSpec, sweep_settings};

/// The columns of `sweep.csv` after `config` and the settings columns.
const RESULT_COLUMNS: &str = "trials,converged,failure_rate,stuck,saturated,diverged,slow,mean_failure_epoch,mean,std,median,min,max,seconds";

/// The header of `sweep.csv`: `config`, one column per setting that has
/// one in [`SETTINGS`], then the results.
pub fn sweep_header() -> String {
    let mut h = String::from("config");
    for s in SETTINGS.iter().filter(|s| s.csv) {
        h.push(',');
        h += &s.column();
    }
    h.push(',');
    h += RESULT_COLUMNS;
    h
}

fn csv_opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v}"))
}

/// `sweep.csv`.
pub fn sweep_csv(rows: &[SweepRow]) -> String {
    let mut s = sweep_header();
    s.push('\n');
    for r in rows {
        let m = &r.summary;
        let _ = write!(s, "{}", r.config);
        for setting in SETTINGS.iter().filter(|x| x.csv) {
            let _ = write!(s, ",{}", (setting.value)(&m.settings));
        }
        let f = |k: &str| r.failures.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            ",{},{},{},{},{},{},{},{},{},{},{},{},{},{:.3}",
            m.trials,
            m.converged,
            r.summary.not_converged as f64 / m.trials.max(1) as f64,
            f("stuck"),
            f("saturated"),
            f("diverged"),
            f("slow"),
            csv_opt(r.mean_failure_epoch),
            csv_opt(m.mean_epochs),
            csv_opt(m.std_epochs),
            csv_opt(m.median_epochs),
            m.min_epochs.map_or(String::new(), |x| x.to_string()),
            m.max_epochs.map_or(String::new(), |x| x.to_string()),
            m.seconds
        );
    }
    s
}

/// The columns of `sweep_trials.csv`.
pub const SWEEP_TRIALS_HEADER: &str = "config,method,layers,eps0,trial,seed,epochs,converged,final_error,class,class_epoch,out0,out1,out2,out3,jacobian_norm,seconds,failure";

/// `sweep_trials.csv`.
pub fn sweep_trials_csv<'a>(
    results: impl IntoIterator<Item = (usize, &'a ExperimentResult)>,
) -> String {
    let mut s = String::from(SWEEP_TRIALS_HEADER);
    s.push('\n');
    for (config, r) in results {
        for t in &r.trials {
            let out = |k: usize| {
                t.final_outputs
                    .get(k)
                    .map_or(String::new(), |v| format!("{v:.4}"))
            };
            let failure = csv_text(t.failure.as_deref());
            let _ = writeln!(
                s,
                "{config},{},{},{},{},{},{},{},{:e},{},{},{},{},{},{},{:.3e},{:.4},{failure}",
                r.summary.method.name(),
                r.summary.layers,
                r.spec.trial.eps0,
                t.trial,
                t.seed,
                t.epochs,
                t.converged,
                t.final_error,
                t.class.map_or("", |c| c.name()),
                t.class_epoch.map_or(String::new(), |e| e.to_string()),
                out(0),
                out(1),
                out(2),
                out(3),
                t.jacobian_norm,
                t.seconds,
            );
        }
    }
    s
}

/// The settings (CLI names) that vary across `specs`, in a fixed order.
fn varying(specs: &[&TrialSpec]) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    let all: Vec<Vec<(&'static str, String)>> = specs.iter().map(|s| sweep_settings(s)).collect();
    if let Some(first) = all.first() {
        for (i, (k, _)) in first.iter().enumerate() {
            if all
                .iter()
                .any(|a| a.get(i).map(|x| &x.1) != first.get(i).map(|x| &x.1))
            {
                keys.push(k);
            }
        }
    }
    keys
}

/// The settings columns of `sweep.md`: method, layers, ε0 and those that
/// vary, in table order.
fn columns(rows: &[SweepRow]) -> Vec<&'static str> {
    let specs: Vec<&TrialSpec> = rows.iter().map(|r| &r.summary.settings).collect();
    let mut keys = varying(&specs);
    for k in ["method", "layers", "eps0"] {
        if !keys.contains(&k) {
            keys.insert(0, k);
        }
    }
    let order: Vec<&str> = SETTINGS
        .iter()
        .filter(|s| s.sweep)
        .map(|s| s.name)
        .collect();
    keys.sort_by_key(|k| order.iter().position(|o| o == k));
    keys
}

const CLASSES_NOTE: &str = "Failure classes (see `host/src/learn/classify.rs`): stuck = outputs constant (spread < 0.05) inside (0.05, 0.95); \
    saturated = all outputs within 0.05 of 0 or 1 with a pattern wrong; diverged = rejected non-finite update; \
    slow = none of these at the epoch cap. \"onset\" = mean epoch from which the stuck/saturated state held to the end \
    (diverged: the epoch of the failure). Epoch statistics are over converged trials.\n\n";

/// `sweep.md`.
pub fn markdown(rows: &[SweepRow], command: &str, seconds: f64, planned: usize) -> String {
    let keys = columns(rows);
    let mut s = String::from("# hinf sweep\n\n");
    let _ = writeln!(s, "Command: `{command}`\n");
    let _ = writeln!(
        s,
        "{} of {} configuration(s) done; wall time {:.1} s.\n",
        rows.len(),
        planned,
        seconds
    );
    if let Some(r) = rows.first() {
        let fixed: Vec<String> = sweep_settings(&r.summary.settings)
            .into_iter()
            // A setting the runs do not have (R without a window) is left out.
            .filter(|(k, v)| !keys.contains(k) && v != "-")
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        let _ = writeln!(
            s,
            "Fixed: {}; trials = {}, max-epochs = {}, seed = {}.\n",
            fixed.join(", "),
            r.summary.trials,
            r.summary.settings.max_epochs,
            r.summary.seed
        );
    }
    s += CLASSES_NOTE;
    s += "| # |";
    for k in &keys {
        let _ = write!(s, " {k} |");
    }
    s += " converged | stuck | saturated | diverged | slow | onset | mean | std | median | max | s |\n|---|";
    s += &"---|".repeat(keys.len());
    s += "---|---|---|---|---|---|---|---|---|---|---|\n";
    for r in rows {
        s += &table_row(r, &keys);
    }
    s += "\n![mean epochs and failure rate against ε0](sweep.svg)\n";
    s
}

/// One configuration's row of `sweep.md`.
fn table_row(r: &SweepRow, keys: &[&str]) -> String {
    let m = &r.summary;
    let all = sweep_settings(&m.settings);
    let mut s = format!("| {} |", r.config);
    for k in keys {
        let v = all
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str());
        let _ = write!(s, " {v} |");
    }
    let f = |k: &str| r.failures.get(k).copied().unwrap_or(0);
    let _ = writeln!(
        s,
        " {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
        m.converged,
        m.trials,
        f("stuck"),
        f("saturated"),
        f("diverged"),
        f("slow"),
        opt(r.mean_failure_epoch, 1),
        opt(m.mean_epochs, 2),
        opt(m.std_epochs, 2),
        opt(m.median_epochs, 1),
        opt_u(m.max_epochs),
        m.seconds
    );
    s
}

/// The rows grouped by every setting but ε0 (one line of `sweep.svg` each).
type Groups<'a> = Vec<(TrialSpec, Vec<&'a SweepRow>)>;

fn groups(rows: &[SweepRow]) -> Groups<'_> {
    let mut groups: Groups<'_> = Vec::new();
    for r in rows {
        let key = TrialSpec {
            eps0: 0.0,
            ..r.summary.settings
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    groups
}

/// A line's legend: its depth and the other settings that vary.
fn labels(groups: &Groups<'_>) -> Vec<String> {
    let keys: Vec<&TrialSpec> = groups.iter().map(|(k, _)| k).collect();
    let mut label_keys = varying(&keys);
    label_keys.retain(|k| *k != "eps0");
    keys.iter()
        .map(|k| {
            let mut parts = vec![format!("L={}", k.layers)];
            for (n, v) in sweep_settings(k) {
                if label_keys.contains(&n) && n != "layers" {
                    parts.push(format!("{n}={v}"));
                }
            }
            parts.join(" ")
        })
        .collect()
}

/// The ε0 axis: the values' range widened by 1.5 each way.
fn eps0_range(rows: &[SweepRow]) -> (f64, f64) {
    let xs = rows.iter().map(|r| r.summary.settings.eps0);
    let x_lo = xs.clone().fold(f64::INFINITY, f64::min);
    let x_hi = xs.fold(f64::NEG_INFINITY, f64::max);
    if x_lo.is_finite() && x_hi.is_finite() && x_lo > 0.0 {
        (x_lo / 1.5, x_hi * 1.5)
    } else {
        (0.1, 10.0)
    }
}

/// Legend entries per row below the panels of `sweep.svg`.
const LEGEND_COLUMNS: usize = 3;

/// `sweep.svg`: mean epochs (left) and failure rate (right) against ε0
/// (log scale), one line per combination of the other settings, and their
/// legend below the panels (where it cannot hide a point).
pub fn plot(path: &Path, rows: &[SweepRow]) -> Result<(), IoError> {
    let err = |e: &dyn std::fmt::Display| io_err(path, e);
    let groups = groups(rows);
    let labels = labels(&groups);
    let y_hi = rows
        .iter()
        .filter_map(|r| r.summary.mean_epochs)
        .fold(1.0f64, f64::max)
        * 1.15;
    let legend_rows = labels.len().div_ceil(LEGEND_COLUMNS) as u32;
    let root = SVGBackend::new(path, (1300, 560 + 22 * legend_rows + 12)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (panels, legend) = root.split_vertically(560);
    let (left, right) = panels.split_horizontally(650);
    let x = eps0_range(rows);
    let epochs = Panel {
        title: "mean epochs to stop (converged trials)",
        y_desc: "epochs",
        y_max: y_hi,
        rate: false,
    };
    draw_panel(&left, &epochs, x, &groups).map_err(|e| err(&e))?;
    let rate = Panel {
        title: "failure rate (not converged by the cap)",
        y_desc: "fraction",
        y_max: 1.05,
        rate: true,
    };
    draw_panel(&right, &rate, x, &groups).map_err(|e| err(&e))?;
    draw_legend(&legend, &labels).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// The colour of line `i` of `n`.
fn line_color(i: usize, n: usize) -> HSLColor {
    HSLColor(i as f64 / n.max(1) as f64 * 0.85, 0.75, 0.4)
}

/// One entry per line: its colour and label, [`LEGEND_COLUMNS`] per row.
fn draw_legend<'a>(area: &Area<'a>, labels: &[String]) -> Result<(), DrawError<'a>> {
    let n = labels.len();
    for (i, label) in labels.iter().enumerate() {
        let (col, row) = ((i % LEGEND_COLUMNS) as i32, (i / LEGEND_COLUMNS) as i32);
        let (x, y) = (70 + 410 * col, 12 + 22 * row);
        let c = line_color(i, n);
        area.draw(&PathElement::new(
            vec![(x, y), (x + 24, y)],
            c.stroke_width(2),
        ))?;
        area.draw(&Circle::new((x + 12, y), 3, c.filled()))?;
        area.draw(&Text::new(
            label.clone(),
            (x + 32, y - 7),
            ("sans-serif", 13),
        ))?;
    }
    Ok(())
}

/// One half of `sweep.svg`.
struct Panel {
    title: &'static str,
    y_desc: &'static str,
    y_max: f64,
    /// The failure rate (else the mean epochs).
    rate: bool,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type DrawError<'a> = DrawingAreaErrorKind<<SVGBackend<'a> as DrawingBackend>::ErrorType>;

fn draw_panel<'a>(
    area: &Area<'a>,
    panel: &Panel,
    (x_lo, x_hi): (f64, f64),
    groups: &Groups<'_>,
) -> Result<(), DrawError<'a>> {
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), 0.0..panel.y_max)?;
    chart
        .configure_mesh()
        .x_desc("ε0")
        .y_desc(panel.y_desc)
        .x_labels(6)
        .x_label_formatter(&|v| {
            if *v >= 1.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        })
        .draw()?;
    for (i, (_, rs)) in groups.iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = rs
            .iter()
            .filter_map(|r| {
                let y = if panel.rate {
                    Some(r.summary.not_converged as f64 / r.summary.trials.max(1) as f64)
                } else {
                    r.summary.mean_epochs
                };
                y.map(|y| (r.summary.settings.eps0, y))
            })
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let c = line_color(i, groups.len());
        chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?;
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
    }
    Ok(())
}

/// Writes every file of a sweep into `out`.
pub fn write_all(
    out: &Path,
    rows: &[SweepRow],
    results: &[ExperimentResult],
    meta: &SweepSummary,
) -> Result<(), IoError> {
    create_dir(out)?;
    write_text(&out.join("sweep.csv"), &sweep_csv(rows))?;
    write_text(
        &out.join("sweep_trials.csv"),
        &sweep_trials_csv(results.iter().enumerate()),
    )?;
    write_json(&out.join("sweep.json"), meta)?;
    write_text(
        &out.join("sweep.md"),
        &markdown(rows, &meta.command, meta.seconds, meta.planned),
    )?;
    plot(&out.join("sweep.svg"), rows)
}

/// The files [`write_all`] writes.
const SWEEP_FILES: [&str; 5] = [
    "sweep.md",
    "sweep.csv",
    "sweep_trials.csv",
    "sweep.json",
    "sweep.svg",
];

/// Moves an earlier sweep's files from `out` into `out/previous/`, before
/// a new sweep writes its own as configurations finish.
pub fn clear_earlier(out: &Path) -> Result<(), IoError> {
    for name in SWEEP_FILES {
        move_aside(out, &out.join(name))?;
    }
    Ok(())
}

/// `hinf sweep --replot`: the report files of `out` from its `sweep.json`.
pub fn replot(out: &Path) -> Result<(), IoError> {
    let path = out.join("sweep.json");
    let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
    let meta: SweepSummary = serde_json::from_str(&text).map_err(|e| io_err(&path, e))?;
    write_text(&out.join("sweep.csv"), &sweep_csv(&meta.rows))?;
    write_text(
        &out.join("sweep.md"),
        &markdown(&meta.rows, &meta.command, meta.seconds, meta.planned),
    )?;
    plot(&out.join("sweep.svg"), &meta.rows)?;
    Ok(())
}
