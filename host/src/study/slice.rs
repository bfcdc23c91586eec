//! The XOR ResNet's error surface on a 2-D slice of weight space through
//! the saddle, with the trajectories of the slice's learners projected on
//! it (section 2's saddle, Fig. 1's counterpart for the paper's own net).
//!
//! The slice: the plane through the common initial weights w₀ — where
//! all four outputs sit near 0.5, next to the exact saddle w = 0 at which
//! they all equal f(0) = 0.5 and the gradient vanishes — spanned by the
//! two leading principal directions u₁, u₂ of the learners' final
//! displacements dⱼ = w_final,j − w₀ (the top eigenvectors of their
//! Gram matrix). A point (α, β) is the weight vector w₀ + α u₁ + β u₂.

use hinf::{ResNet, Samples};

use super::eigen::symmetric_eigen;
use super::monkey::{Grid, linspace};
use super::probe::{ProbePlan, ProbeRecord};
use super::trial::{eps0_and_a, initial_net, probe_trial, xor_of};
use crate::learn::classify::is_stuck;
use crate::settings::{Learner, SaddleSpec, TrialSpec};

/// Every epoch's weights are kept for the picture through this epoch.
const DENSE_EPOCHS: u32 = 200;
/// After [`DENSE_EPOCHS`], every this many epochs.
const STRIDE: u32 = 10;
/// The surface extends this fraction beyond the trajectories.
const PAD: f64 = 0.1;

/// One learner's run on a slice.
#[derive(Debug, Clone)]
pub struct SliceRun {
    /// Who.
    pub learner: Learner,
    /// Epochs run.
    pub epochs: u32,
    /// Whether it reached the stopping rule.
    pub converged: bool,
    /// (epoch, α, β, distance from the plane, stopping measure).
    pub points: Vec<(u32, f64, f64, f64, f64)>,
    /// Epochs after which the outputs sat at the saddle (failure class
    /// *stuck*: all four within 0.05 of each other, inside (0.05, 0.95)).
    pub stuck_epochs: u32,
    /// The last of those epochs (0 if none).
    pub last_stuck_epoch: u32,
}

/// A slice at one depth.
#[derive(Debug, Clone)]
pub struct Slice {
    /// L.
    pub layers: usize,
    /// N_w.
    pub n_weights: usize,
    /// The stopping measure on the slice's grid of (α, β).
    pub surface: Grid,
    /// The learners' runs.
    pub runs: Vec<SliceRun>,
    /// The four outputs at w₀, the slice's origin.
    pub origin_outputs: Vec<f64>,
    /// w = 0 (the exact saddle): its (α, β) and distance from the plane.
    pub zero_point: (f64, f64, f64),
    /// ‖w₀‖.
    pub w0_norm: f64,
    /// The share of Σ ‖dⱼ/‖dⱼ‖‖² (the learners' count) the plane holds.
    pub captured: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The slice at depth `layers`: each of [`SaddleSpec::slice_learners`]
/// trained from the same weights, the plane, the projected trajectories
/// and the surface.
pub fn slice_at(spec: &SaddleSpec, layers: usize) -> hinf::Result<Slice> {
    let learners = spec.slice_learners();
    let trials: Vec<TrialSpec> = learners.iter().map(|&l| spec.trial(l, layers)).collect();
    let records = trials
        .iter()
        .map(|t| probe_trial(t, spec.seed, 0, &trajectory_plan(t)?))
        .collect::<hinf::Result<Vec<_>>>()?;
    let w0 = records[0].trajectory[0].1.clone();
    let displacements: Vec<Vec<f64>> = records
        .iter()
        .map(|r| difference(&r.trajectory.last().expect("w0 is kept").1, &w0))
        .collect();
    let directions: Vec<Vec<f64>> = displacements
        .iter()
        .map(|d| unit(d.clone(), &[], 0))
        .collect();
    let (u1, u2, captured) = plane(&directions);
    let runs: Vec<SliceRun> = learners
        .iter()
        .zip(&records)
        .map(|(&l, r)| project_run(l, r, &w0, &u1, &u2))
        .collect();
    let zero: Vec<f64> = w0.iter().map(|x| -x).collect();
    let zero_point = project(&zero, &u1, &u2);
    let (mut net, _) = initial_net(&trials[0], spec.seed, 0)?;
    let xor = xor_of(&trials[0]);
    let data = xor.samples();
    let origin_outputs = outputs_at(&mut net, &w0, &data)?;
    let axes = axes(&runs, zero_point, spec.grid);
    let at = |a: f64, b: f64| -> Vec<f64> {
        (0..w0.len())
            .map(|i| w0[i] + a * u1[i] + b * u2[i])
            .collect()
    };
    let criterion = trials[0].criterion.into();
    let mut failed = None;
    let surface = Grid::sample(axes.0, axes.1, |a, b| {
        match error_at(&mut net, &at(a, b), &data, criterion) {
            Ok(e) => e,
            Err(e) => {
                failed = Some(e);
                f64::NAN
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Slice {
        layers,
        n_weights: w0.len(),
        surface,
        runs,
        origin_outputs,
        zero_point,
        w0_norm: dot(&w0, &w0).sqrt(),
        captured,
    })
}

fn trajectory_plan(trial: &TrialSpec) -> hinf::Result<ProbePlan> {
    let (eps0, a) = eps0_and_a(trial)?;
    Ok(ProbePlan {
        eps0,
        a,
        dense_epochs: DENSE_EPOCHS,
        stride: STRIDE,
        ..ProbePlan::default()
    })
}

fn difference(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// u₁, u₂: the two leading principal directions of `d` (orthonormal),
/// and the share of Σ‖dⱼ‖² they hold.
fn plane(d: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>, f64) {
    let k = d.len();
    let mut g = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            g[i * k + j] = dot(&d[i], &d[j]);
        }
    }
    let (values, vectors) = symmetric_eigen(&g, k);
    let n = d[0].len();
    let combine = |col: usize| -> Vec<f64> {
        (0..n)
            .map(|i| (0..k).map(|j| vectors[j * k + col] * d[j][i]).sum())
            .collect()
    };
    let u1 = unit(combine(0), &[], 0);
    let u2 = unit(combine(1.min(k - 1)), &[&u1], 1);
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    let held = values.iter().take(2).map(|v| v.max(0.0)).sum::<f64>();
    let captured = if total > 0.0 { held / total } else { 0.0 };
    (u1, u2, captured)
}

/// `v` made orthogonal to `against` and of unit length; a coordinate
/// axis (`fallback`) if nothing is left of it.
fn unit(mut v: Vec<f64>, against: &[&Vec<f64>], fallback: usize) -> Vec<f64> {
    for _ in 0..2 {
        for u in against {
            let c = dot(u, &v);
            v.iter_mut().zip(u.iter()).for_each(|(x, ui)| *x -= c * ui);
        }
    }
    let len = dot(&v, &v).sqrt();
    if len > 1e-12 {
        v.iter_mut().for_each(|x| *x /= len);
        return v;
    }
    let mut e = vec![0.0; v.len()];
    e[fallback.min(v.len() - 1)] = 1.0;
    unit(e, against, fallback + 1)
}

/// (α, β, distance from the plane) of the displacement `d` from w₀.
fn project(d: &[f64], u1: &[f64], u2: &[f64]) -> (f64, f64, f64) {
    let (a, b) = (dot(d, u1), dot(d, u2));
    let off: f64 = (0..d.len())
        .map(|i| d[i] - a * u1[i] - b * u2[i])
        .map(|x| x * x)
        .sum();
    (a, b, off.sqrt())
}

fn project_run(l: Learner, r: &ProbeRecord, w0: &[f64], u1: &[f64], u2: &[f64]) -> SliceRun {
    let points = r
        .trajectory
        .iter()
        .map(|(e, w)| {
            let (a, b, off) = project(&difference(w, w0), u1, u2);
            let err = r.curve.get(*e as usize).copied().unwrap_or(f64::NAN);
            (*e, a, b, off, err)
        })
        .collect();
    let stuck: Vec<u32> = (0..r.outputs.len() as u32)
        .filter(|&e| is_stuck(&r.outputs[e as usize]))
        .collect();
    let epochs = r
        .outcome
        .map_or(r.curve.len().saturating_sub(1) as u32, |o| o.epochs);
    SliceRun {
        learner: l,
        epochs,
        converged: r.outcome.is_some_and(|o| o.converged),
        points,
        stuck_epochs: stuck.len() as u32,
        last_stuck_epoch: stuck.last().copied().unwrap_or(0),
    }
}

/// The grid's α and β axes: the trajectories' and w = 0's extent, padded.
fn axes(runs: &[SliceRun], zero: (f64, f64, f64), n: usize) -> (Vec<f64>, Vec<f64>) {
    let pts = runs
        .iter()
        .flat_map(|r| r.points.iter().map(|p| (p.1, p.2)));
    let all = pts.chain([(0.0, 0.0), (zero.0, zero.1)]);
    let (mut a0, mut a1, mut b0, mut b1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (a, b) in all.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        (a0, a1, b0, b1) = (a0.min(a), a1.max(a), b0.min(b), b1.max(b));
    }
    let pad_a = PAD * (a1 - a0).max(1e-3);
    let pad_b = PAD * (b1 - b0).max(1e-3);
    (
        linspace(a0 - pad_a, a1 + pad_a, n),
        linspace(b0 - pad_b, b1 + pad_b, n),
    )
}

fn outputs_at(
    net: &mut ResNet<f64, Vec<f64>>,
    w: &[f64],
    data: &Samples<'_, f64>,
) -> hinf::Result<Vec<f64>> {
    net.set_weights(w)?;
    let mut out = Vec::new();
    net.evaluate_each(data, |_, o| out.push(o[0]))?;
    Ok(out)
}

fn error_at(
    net: &mut ResNet<f64, Vec<f64>>,
    w: &[f64],
    data: &Samples<'_, f64>,
    criterion: hinf::StopCriterion,
) -> hinf::Result<f64> {
    net.set_weights(w)?;
    Ok(net.evaluate(data)?.measure(criterion))
}
