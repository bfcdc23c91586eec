//! Section 5 measured at one depth: for each learner from the same
//! initial weights, per step the fraction of the update in the span of
//! the past Jacobians (and eq. 9's weighted share of it), per epoch P's
//! gain along the exact g-EHF's final displacement and along the way
//! still to go, and for the H∞ learners the spectra of Σ HᵢᵀHᵢ and P.

use super::probe::{ProbePlan, ProbeRecord};
use super::trial::{eps0_and_a, probe_trial};
use crate::settings::saddle::{FULL_P_MAX, SNAPSHOTS};
use crate::settings::{CovarianceKind, Learner, Method, SaddleSpec, TrialSpec};

/// One learner's measured run.
#[derive(Debug, Clone)]
pub struct LearnerRun {
    /// Who.
    pub learner: Learner,
    /// What was measured.
    pub record: ProbeRecord,
}

impl LearnerRun {
    /// Epochs run.
    pub fn epochs(&self) -> u32 {
        let r = &self.record;
        r.outcome
            .map_or(r.curve.len().saturating_sub(1) as u32, |o| o.epochs)
    }
    /// Whether it reached the stopping rule.
    pub fn converged(&self) -> bool {
        self.record.outcome.is_some_and(|o| o.converged)
    }
}

/// Everything measured at one depth.
#[derive(Debug, Clone)]
pub struct DepthStudy {
    /// L.
    pub layers: usize,
    /// N_w.
    pub n_weights: usize,
    /// ε0 of the runs.
    pub eps0: f64,
    /// a = 1 − γ_f⁻².
    pub a: f64,
    /// The epochs each learner ran and was measured over (the span epochs).
    pub span_epochs: u32,
    /// The exact g-EHF's run to its end, whose final weights w* give the
    /// direction d* = w* − w₀ of the gains.
    pub solution: LearnerRun,
    /// Each of [`SaddleSpec::spectrum_learners`], measured.
    pub runs: Vec<LearnerRun>,
    /// At a covariance depth: every learner from each of
    /// [`SaddleSpec::seeds`] trials' weights, in numbers.
    pub seeds: Vec<SeedRow>,
}

/// The exact g-EHF (structured `P`).
fn exact() -> Learner {
    Learner::new(Method::Hinf, CovarianceKind::Structured, None)
}

/// The measurements of `spec` at depth `layers`: trial 0 with the
/// spectra, and at a covariance depth the rows of trials 0 … seeds − 1.
pub fn section5_at(spec: &SaddleSpec, layers: usize) -> hinf::Result<DepthStudy> {
    let (solution, runs) = measure(spec, layers, 0, true)?;
    let mut seeds = Vec::new();
    if spec.covariance_layers.contains(&layers) {
        seeds.extend(runs.iter().map(|r| SeedRow::of(r, 0)));
        for index in 1..spec.seeds {
            let (_, more) = measure(spec, layers, index, false)?;
            seeds.extend(more.iter().map(|r| SeedRow::of(r, index)));
        }
    }
    let (eps0, a) = eps0_and_a(&spec.trial(exact(), layers))?;
    Ok(DepthStudy {
        layers,
        n_weights: solution.record.trajectory[0].1.len(),
        eps0,
        a,
        span_epochs: spec.span_epochs,
        solution,
        runs,
        seeds,
    })
}

/// The exact g-EHF's run from trial `index` to its end, then each of
/// [`SaddleSpec::spectrum_learners`] from the same weights, measured
/// against its final weights w* (with the spectra if `with_spectra`).
fn measure(
    spec: &SaddleSpec,
    layers: usize,
    index: usize,
    with_spectra: bool,
) -> hinf::Result<(LearnerRun, Vec<LearnerRun>)> {
    let exact_trial = spec.trial(exact(), layers);
    let (eps0, a) = eps0_and_a(&exact_trial)?;
    let plain = ProbePlan {
        eps0,
        a,
        stride: u32::MAX,
        ..ProbePlan::default()
    };
    let record = probe_trial(&exact_trial, spec.seed, index, &plain)?;
    let w0 = record.trajectory[0].1.clone();
    let w_star = record.trajectory.last().expect("w0 is kept").1.clone();
    let d_star: Vec<f64> = w_star.iter().zip(&w0).map(|(s, o)| s - o).collect();
    let solution = LearnerRun {
        learner: exact(),
        record,
    };
    let mut runs = Vec::new();
    for learner in spec.spectrum_learners(layers) {
        let spectra = with_spectra && learner.method == Method::Hinf;
        let plan = ProbePlan {
            span_epochs: spec.span_epochs,
            snapshots: if spectra {
                SNAPSHOTS.to_vec()
            } else {
                Vec::new()
            },
            directions: vec![d_star.clone()],
            target: Some(w_star.clone()),
            full_p_max: if spectra { FULL_P_MAX } else { 0 },
            ..plain.clone()
        };
        // Only the measured epochs are run.
        let trial = TrialSpec {
            max_epochs: spec.span_epochs,
            ..spec.trial(learner, layers)
        };
        let record = probe_trial(&trial, spec.seed, index, &plan)?;
        runs.push(LearnerRun { learner, record });
    }
    Ok((solution, runs))
}

/// Epochs after which a [`SeedRow`] keeps P's gain along d*.
pub const ROW_GAIN_EPOCHS: [usize; 3] = [5, 10, 20];
/// Epochs after which a [`SeedRow`] keeps the outputs' spread.
pub const ROW_SPREAD_EPOCHS: [usize; 3] = [10, 20, 40];
/// The epochs of a [`SeedRow`]'s early means.
pub const ROW_EARLY: (u32, u32) = (1, 10);

/// One learner from one trial's weights, in numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedRow {
    /// Who.
    pub learner: Learner,
    /// The trial index (its weights: `trial_seed(seed, trial)`).
    pub trial: usize,
    /// Epochs run (at most the span epochs).
    pub epochs: u32,
    /// Whether it reached the stopping rule within them.
    pub converged: bool,
    /// The mean span fraction over the steps of [`ROW_EARLY`].
    pub span_early: f64,
    /// The mean eq. (9) share over the same steps.
    pub eq9_early: f64,
    /// P's gain along d* after [`ROW_GAIN_EPOCHS`] (NaN without a P).
    pub gains: Vec<f64>,
    /// max − min of the outputs after [`ROW_SPREAD_EPOCHS`] (the last
    /// epoch's if it stopped before).
    pub spreads: Vec<f64>,
}

impl SeedRow {
    fn of(r: &LearnerRun, trial: usize) -> Self {
        let steps = &r.record.steps;
        let early = |pick: fn(&super::StepRecord) -> f64| {
            let v: Vec<f64> = (steps.iter())
                .filter(|s| (ROW_EARLY.0..=ROW_EARLY.1).contains(&s.epoch))
                .map(pick)
                .collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let gains = &r.record.gains;
        let outputs = &r.record.outputs;
        let spread = |o: &Vec<f64>| {
            let hi = o.iter().copied().fold(f64::MIN, f64::max);
            let lo = o.iter().copied().fold(f64::MAX, f64::min);
            hi - lo
        };
        Self {
            learner: r.learner,
            trial,
            epochs: r.epochs(),
            converged: r.converged(),
            span_early: early(|s| s.span_fraction),
            eq9_early: early(|s| s.eq9_fraction),
            gains: (ROW_GAIN_EPOCHS.iter())
                .map(|&e| {
                    gains
                        .get(e)
                        .or(gains.last())
                        .and_then(|g| g.first().copied())
                })
                .map(|g| g.unwrap_or(f64::NAN))
                .collect(),
            spreads: (ROW_SPREAD_EPOCHS.iter())
                .map(|&e| outputs.get(e).or(outputs.last()).map_or(f64::NAN, spread))
                .collect(),
        }
    }
}
