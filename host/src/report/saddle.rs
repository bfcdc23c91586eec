//! The files of `hinf saddle`: CSV of every measurement, the SVG figures
//! ([`super::saddle_plot`]) and `summary.md` with the numbers
//! docs/saddle.md quotes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::io::{IoError, write_text};
use super::saddle_plot::{Curve, Labels, curves, heat_map};
use crate::settings::Learner;
use crate::study::section5::{ROW_GAIN_EPOCHS, ROW_SPREAD_EPOCHS};
use crate::study::{DepthStudy, LearnerRun, SaddleStudy, SeedRow, Slice, StepRecord};

/// Epoch ranges of the summary's means: the first 10 epochs, then 11–40.
const EARLY: (u32, u32) = (1, 10);
const LATE: (u32, u32) = (11, 40);
/// Epochs at which the summary shows P's gain along d*.
const GAIN_EPOCHS: [usize; 4] = [1, 5, 10, 20];

/// Writes every file of `study` into `out`; returns their paths.
pub fn write_saddle(out: &Path, study: &SaddleStudy) -> Result<Vec<PathBuf>, IoError> {
    let mut files = vec![monkey_svg(out, study)?];
    for s in &study.slices {
        files.extend(slice_files(out, s)?);
    }
    for d in &study.depths {
        files.extend(depth_files(out, d)?);
    }
    let summary = out.join("summary.md");
    write_text(&summary, &summary_markdown(study))?;
    files.push(summary);
    Ok(files)
}

/// Fig. 1: the monkey saddle with its three lines f = 0.
fn monkey_svg(out: &Path, study: &SaddleStudy) -> Result<PathBuf, IoError> {
    let p = out.join("monkey_saddle.svg");
    let r = 1.0 / 3f64.sqrt();
    let zero = |name, points| Curve { name, points };
    let lines = [
        zero("f = 0: x = 0", vec![(0.0, -1.0), (0.0, 1.0)]),
        zero("f = 0: y = x/√3", vec![(-1.0, -r), (1.0, r)]),
        zero("f = 0: y = −x/√3", vec![(-1.0, r), (1.0, -r)]),
    ];
    let labels = Labels {
        title: "Fig. 1: the monkey saddle f = x³ − 3xy²",
        x: "x",
        y: "y",
    };
    heat_map(&p, &labels, &study.monkey, &lines)?;
    Ok(p)
}

fn slice_files(out: &Path, s: &Slice) -> Result<Vec<PathBuf>, IoError> {
    let l = s.layers;
    let svg = out.join(format!("slice_L{l}.svg"));
    let names: Vec<String> = s
        .runs
        .iter()
        .map(|r| {
            format!(
                "{} ({} epochs{})",
                r.learner.name(),
                r.epochs,
                done(r.converged)
            )
        })
        .collect();
    let mut paths: Vec<Curve<'_>> = s
        .runs
        .iter()
        .zip(&names)
        .map(|(r, n)| Curve {
            name: n,
            points: r.points.iter().map(|p| (p.1, p.2)).collect(),
        })
        .collect();
    paths.push(Curve {
        name: "w = 0, the exact saddle (off the plane)",
        points: vec![(s.zero_point.0, s.zero_point.1)],
    });
    let title = format!("XOR ResNet L = {l}: error (½ SSE) on the slice w₀ + α u₁ + β u₂");
    let labels = Labels {
        title: &title,
        x: "α (u₁: leading direction of the final displacements)",
        y: "β (u₂)",
    };
    heat_map(&svg, &labels, &s.surface, &paths)?;
    let traj = out.join(format!("slice_L{l}.csv"));
    write_text(&traj, &slice_csv(s))?;
    let surface = out.join(format!("surface_L{l}.csv"));
    write_text(&surface, &surface_csv(s))?;
    Ok(vec![svg, traj, surface])
}

fn done(converged: bool) -> &'static str {
    if converged { "" } else { ", not converged" }
}

fn slice_csv(s: &Slice) -> String {
    let mut t = String::from("layers,learner,epoch,alpha,beta,off_plane,error\n");
    for r in &s.runs {
        for p in &r.points {
            let name = r.learner.name();
            let _ = writeln!(
                t,
                "{},{name},{},{},{},{},{}",
                s.layers, p.0, p.1, p.2, p.3, p.4
            );
        }
    }
    t
}

fn surface_csv(s: &Slice) -> String {
    let g = &s.surface;
    let mut t = String::from("alpha,beta,error\n");
    for (j, b) in g.ys.iter().enumerate() {
        for (i, a) in g.xs.iter().enumerate() {
            let _ = writeln!(t, "{a},{b},{}", g.values[j * g.xs.len() + i]);
        }
    }
    t
}

fn depth_files(out: &Path, d: &DepthStudy) -> Result<Vec<PathBuf>, IoError> {
    let l = d.layers;
    let named = |stem: &str, ext: &str| out.join(format!("{stem}_L{l}.{ext}"));
    let files = vec![
        (named("span", "csv"), span_csv(d)),
        (named("spectrum", "csv"), spectrum_csv(d)),
        (named("gain", "csv"), gain_csv(d)),
    ];
    let mut paths = Vec::new();
    for (p, text) in files {
        write_text(&p, &text)?;
        paths.push(p);
    }
    if !d.seeds.is_empty() {
        let p = named("seeds", "csv");
        write_text(&p, &seeds_csv(d))?;
        paths.push(p);
    }
    paths.push(fraction_svg(&named("span", "svg"), d, false)?);
    paths.push(fraction_svg(&named("eq9", "svg"), d, true)?);
    paths.push(gain_svg(&named("gain", "svg"), d)?);
    paths.push(spectrum_svg(&named("spectrum", "svg"), d)?);
    paths.push(p_svg(&named("p", "svg"), d)?);
    Ok(paths)
}

fn span_csv(d: &DepthStudy) -> String {
    let mut t = String::from("layers,learner,epoch,step,rank,span_fraction,eq9_fraction\n");
    for r in &d.runs {
        for s in &r.record.steps {
            let _ = writeln!(
                t,
                "{},{},{},{},{},{},{}",
                d.layers,
                r.learner.name(),
                s.epoch,
                s.step,
                s.rank,
                s.span_fraction,
                s.eq9_fraction
            );
        }
    }
    t
}

/// ε0 / (1 + ε0 a λ): eq. (9)'s eigenvalue of P for the eigenvalue λ of
/// Σ HᵢᵀHᵢ.
pub fn eq9_eigenvalue(eps0: f64, a: f64, lambda: f64) -> f64 {
    eps0 / (1.0 + eps0 * a * lambda)
}

fn spectrum_csv(d: &DepthStudy) -> String {
    let mut t = String::from("layers,learner,epoch,index,lambda_hth,p_eq9,p_span,p_full\n");
    let cell = |v: &[f64], i: usize| v.get(i).map_or(String::new(), |x| x.to_string());
    for r in &d.runs {
        for s in &r.record.snapshots {
            let n = s.hth.len().max(s.p_span.len()).max(s.p_full.len());
            for i in 0..n {
                let eq9 = s.hth.get(i).map(|&l| eq9_eigenvalue(d.eps0, d.a, l));
                let _ = writeln!(
                    t,
                    "{},{},{},{i},{},{},{},{}",
                    d.layers,
                    r.learner.name(),
                    s.epoch,
                    cell(&s.hth, i),
                    eq9.map_or(String::new(), |x| x.to_string()),
                    cell(&s.p_span, i),
                    cell(&s.p_full, i)
                );
            }
        }
    }
    t
}

fn gain_csv(d: &DepthStudy) -> String {
    let mut t = String::from("layers,learner,epoch,gain_solution,gain_remaining\n");
    for r in &d.runs {
        for (e, g) in r.record.gains.iter().enumerate() {
            let at = |i: usize| g.get(i).copied().unwrap_or(f64::NAN);
            let _ = writeln!(
                t,
                "{},{},{e},{},{}",
                d.layers,
                r.learner.name(),
                at(0),
                at(1)
            );
        }
    }
    t
}

/// The mean of `pick` over the steps of epochs `from..=to`.
pub fn epoch_mean(
    steps: &[StepRecord],
    (from, to): (u32, u32),
    pick: fn(&StepRecord) -> f64,
) -> f64 {
    let v: Vec<f64> = steps
        .iter()
        .filter(|s| (from..=to).contains(&s.epoch))
        .map(pick)
        .collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn per_epoch(r: &LearnerRun, pick: fn(&StepRecord) -> f64) -> Vec<(f64, f64)> {
    let last = r.record.steps.last().map_or(0, |s| s.epoch);
    (1..=last)
        .map(|e| (e as f64, epoch_mean(&r.record.steps, (e, e), pick)))
        .collect()
}

fn fraction_svg(p: &Path, d: &DepthStudy, eq9: bool) -> Result<PathBuf, IoError> {
    let pick: fn(&StepRecord) -> f64 = if eq9 {
        |s| s.eq9_fraction
    } else {
        |s| s.span_fraction
    };
    let names: Vec<String> = d.runs.iter().map(|r| r.learner.name()).collect();
    let series: Vec<Curve<'_>> = d
        .runs
        .iter()
        .zip(&names)
        .map(|(r, n)| Curve {
            name: n,
            points: per_epoch(r, pick),
        })
        .collect();
    let title = if eq9 {
        format!(
            "L = {}: eq. (9)'s share of the update, 1 − ΔwᵀP₇Δw/(ε0‖Δw‖²), epoch mean",
            d.layers
        )
    } else {
        format!(
            "L = {}: ‖Π Δw‖/‖Δw‖ in the span of the past Jacobians, epoch mean",
            d.layers
        )
    };
    let labels = Labels {
        title: &title,
        x: "epoch",
        y: "fraction",
    };
    curves(p, &labels, &series, false, Some((0.0, 1.0)))?;
    Ok(p.to_path_buf())
}

fn gain_svg(p: &Path, d: &DepthStudy) -> Result<PathBuf, IoError> {
    let with_p: Vec<&LearnerRun> = d.runs.iter().filter(|r| has_p(r)).collect();
    let names: Vec<String> = with_p.iter().map(|r| r.learner.name()).collect();
    let series: Vec<Curve<'_>> = with_p
        .iter()
        .zip(&names)
        .map(|(r, n)| Curve {
            name: n,
            points: (r.record.gains.iter().enumerate())
                .map(|(e, g)| (e as f64, g.first().copied().unwrap_or(f64::NAN)))
                .collect(),
        })
        .collect();
    let title = format!(
        "L = {}: P's gain d*ᵀPd*/(ε0‖d*‖²) along the exact g-EHF's final displacement d*",
        d.layers
    );
    let labels = Labels {
        title: &title,
        x: "epoch",
        y: "gain (1 = ε0, untouched)",
    };
    curves(p, &labels, &series, false, Some((0.0, 1.05)))?;
    Ok(p.to_path_buf())
}

fn has_p(r: &LearnerRun) -> bool {
    r.record
        .gains
        .first()
        .is_some_and(|g| g.first().is_some_and(|x| x.is_finite()))
}

fn spectrum_svg(p: &Path, d: &DepthStudy) -> Result<PathBuf, IoError> {
    let exact = &d.runs[0];
    let names: Vec<String> = (exact.record.snapshots.iter())
        .map(|s| format!("after epoch {}", s.epoch))
        .collect();
    let series: Vec<Curve<'_>> = (exact.record.snapshots.iter())
        .zip(&names)
        .map(|(s, n)| Curve {
            name: n,
            points: index_points(&s.hth),
        })
        .collect();
    let title = format!(
        "L = {}: eigenvalues λᵢ of Σ HᵢᵀHᵢ (eq. 8) along the g-EHF run, by the Gram matrix",
        d.layers
    );
    let labels = Labels {
        title: &title,
        x: "index i (descending)",
        y: "λᵢ",
    };
    curves(p, &labels, &series, true, None)?;
    Ok(p.to_path_buf())
}

fn index_points(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .filter(|(_, x)| **x > 0.0)
        .map(|(i, &x)| (i as f64, x))
        .collect()
}

fn p_svg(p: &Path, d: &DepthStudy) -> Result<PathBuf, IoError> {
    let with_p: Vec<&LearnerRun> = d.runs.iter().filter(|r| !last_p(r).is_empty()).collect();
    let mut names: Vec<String> = with_p
        .iter()
        .map(|r| format!("{}: P on the span (Ritz)", r.learner.name()))
        .collect();
    names.push("eq. (9) from the g-EHF's λᵢ".into());
    let mut series: Vec<Curve<'_>> = with_p
        .iter()
        .zip(&names)
        .map(|(r, n)| Curve {
            name: n,
            points: index_points(&ascending(last_p(r))),
        })
        .collect();
    let eq9: Vec<f64> = (d.runs[0].record.snapshots.last()).map_or(Vec::new(), |s| {
        s.hth
            .iter()
            .map(|&l| eq9_eigenvalue(d.eps0, d.a, l))
            .collect()
    });
    series.push(Curve {
        name: names.last().expect("pushed"),
        points: index_points(&eq9),
    });
    let title = format!(
        "L = {}: P's eigenvalues on the span of the Jacobians, last snapshot",
        d.layers
    );
    let labels = Labels {
        title: &title,
        x: "index i (ascending)",
        y: "eigenvalue (ε0 = untouched)",
    };
    curves(p, &labels, &series, true, None)?;
    Ok(p.to_path_buf())
}

fn last_p(r: &LearnerRun) -> &[f64] {
    r.record
        .snapshots
        .last()
        .map_or(&[], |s| s.p_span.as_slice())
}

fn ascending(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// `summary.md`: the slices' and depths' numbers, one table each.
pub fn summary_markdown(study: &SaddleStudy) -> String {
    let mut t = String::from("# hinf saddle: summary\n\n");
    t += &slices_table(&study.slices);
    for d in &study.depths {
        t += &depth_table(d);
    }
    t
}

fn slices_table(slices: &[Slice]) -> String {
    let mut t = String::from(
        "## Slices\n\n| L | learner | epochs | converged | epochs stuck at the saddle | last stuck epoch | final (α, β) | off the plane |\n|---|---|---:|---|---:|---:|---|---:|\n",
    );
    for s in slices {
        for r in &s.runs {
            let last = r.points.last().copied().unwrap_or_default();
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {} | ({:.2}, {:.2}) | {:.2} |",
                s.layers,
                r.learner.name(),
                r.epochs,
                r.converged,
                r.stuck_epochs,
                r.last_stuck_epoch,
                last.1,
                last.2,
                last.3
            );
        }
        let o: Vec<String> = s.origin_outputs.iter().map(|x| format!("{x:.3}")).collect();
        let _ = writeln!(
            t,
            "\nL = {}: N_w = {}, outputs at w₀ [{}], ‖w₀‖ = {:.3}, the plane holds {:.1} % of Σ‖dⱼ‖², w = 0 at (α, β) = ({:.3}, {:.3}), {:.3} off the plane.\n",
            s.layers,
            s.n_weights,
            o.join(", "),
            s.w0_norm,
            100.0 * s.captured,
            s.zero_point.0,
            s.zero_point.1,
            s.zero_point.2
        );
    }
    t
}

fn depth_table(d: &DepthStudy) -> String {
    let mut t = format!(
        "## L = {} (N_w = {}, ε0 = {}, a = 1 − γ⁻² = {:.4}); the exact g-EHF's own run: {} epochs, converged {}\n\n",
        d.layers,
        d.n_weights,
        d.eps0,
        d.a,
        d.solution.epochs(),
        d.solution.converged()
    );
    t += "| learner | epochs run | converged | span fraction, epochs 1–10 | 11–40 | eq. (9) share, 1–10 | 11–40 | gain along d*, epoch 1 | 5 | 10 | 20 | λ_max | λᵢ with ε0 a λᵢ ≥ 1 | rank |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for r in &d.runs {
        t += &depth_row(d, r);
    }
    t.push('\n');
    if !d.seeds.is_empty() {
        t += &seeds_table(d);
    }
    t
}

fn seeds_csv(d: &DepthStudy) -> String {
    let g = ROW_GAIN_EPOCHS.map(|e| format!("gain_e{e}")).join(",");
    let s = ROW_SPREAD_EPOCHS.map(|e| format!("spread_e{e}")).join(",");
    let mut t = format!("layers,learner,trial,epochs,converged,span_early,eq9_early,{g},{s}\n");
    for r in &d.seeds {
        let join = |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
        let _ = writeln!(
            t,
            "{},{},{},{},{},{},{},{},{}",
            d.layers,
            r.learner.name(),
            r.trial,
            r.epochs,
            r.converged,
            r.span_early,
            r.eq9_early,
            join(&r.gains),
            join(&r.spreads)
        );
    }
    t
}

/// The median of the finite values (NaN if none).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

fn seeds_table(d: &DepthStudy) -> String {
    let mut learners: Vec<Learner> = Vec::new();
    for r in &d.seeds {
        if !learners.contains(&r.learner) {
            learners.push(r.learner);
        }
    }
    let trials = d.seeds.iter().map(|r| r.trial).max().map_or(0, |m| m + 1);
    let g = ROW_GAIN_EPOCHS.map(|e| format!("gain e{e}")).join(" | ");
    let s = ROW_SPREAD_EPOCHS
        .map(|e| format!("spread e{e}"))
        .join(" | ");
    let mut t = format!(
        "Over {trials} trials' weights at L = {}, medians: span fraction and eq. (9) share of the updates of epochs 1–10, P's gain along the d* of each trial's own exact g-EHF run, the spread (max − min) of the four outputs (0 at the saddle).\n\n| learner | converged ≤ {} epochs | span 1–10 | eq. (9) 1–10 | {g} | {s} |\n|---|---:|---:|---:|{}{}\n",
        d.layers,
        d.span_epochs,
        "---:|".repeat(ROW_GAIN_EPOCHS.len()),
        "---:|".repeat(ROW_SPREAD_EPOCHS.len())
    );
    for l in learners {
        let rows: Vec<&SeedRow> = d.seeds.iter().filter(|r| r.learner == l).collect();
        let med = |f: &dyn Fn(&SeedRow) -> f64| median(rows.iter().map(|r| f(r)).collect());
        let cell = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "–".into()
            }
        };
        let gains: Vec<String> = (0..ROW_GAIN_EPOCHS.len())
            .map(|i| cell(med(&|r| r.gains[i])))
            .collect();
        let spreads: Vec<String> = (0..ROW_SPREAD_EPOCHS.len())
            .map(|i| cell(med(&|r| r.spreads[i])))
            .collect();
        let _ = writeln!(
            t,
            "| {} | {}/{} | {} | {} | {} | {} |",
            l.name(),
            rows.iter().filter(|r| r.converged).count(),
            rows.len(),
            cell(med(&|r| r.span_early)),
            cell(med(&|r| r.eq9_early)),
            gains.join(" | "),
            spreads.join(" | ")
        );
    }
    t.push('\n');
    t
}

fn depth_row(d: &DepthStudy, r: &LearnerRun) -> String {
    let st = &r.record.steps;
    let f = |x: f64| {
        if x.is_finite() {
            format!("{x:.3}")
        } else {
            "–".into()
        }
    };
    let gain = |e: usize| r.record.gains.get(e).and_then(|g| g.first().copied());
    let gains: Vec<String> = GAIN_EPOCHS
        .iter()
        .map(|&e| gain(e).map_or("–".into(), f))
        .collect();
    let snap = r.record.snapshots.last();
    let lmax = snap
        .and_then(|s| s.hth.first().copied())
        .unwrap_or(f64::NAN);
    let large = snap.map_or(0, |s| {
        s.hth.iter().filter(|&&l| d.eps0 * d.a * l >= 1.0).count()
    });
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        r.learner.name(),
        r.epochs(),
        r.converged(),
        f(epoch_mean(st, EARLY, |s| s.span_fraction)),
        f(epoch_mean(st, LATE, |s| s.span_fraction)),
        f(epoch_mean(st, EARLY, |s| s.eq9_fraction)),
        f(epoch_mean(st, LATE, |s| s.eq9_fraction)),
        gains.join(" | "),
        f(lmax),
        if snap.is_some() {
            large.to_string()
        } else {
            "–".into()
        },
        st.last().map_or(0, |s| s.rank)
    )
}
