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
    /// The exact g-EHF's run to its end, whose final weights w* give the
    /// direction d* = w* − w₀ of the gains.
    pub solution: LearnerRun,
    /// Each of [`SaddleSpec::spectrum_learners`], measured.
    pub runs: Vec<LearnerRun>,
}

/// The exact g-EHF (structured `P`).
fn exact() -> Learner {
    Learner::new(Method::Hinf, CovarianceKind::Structured, None)
}

/// The measurements of `spec` at depth `layers`.
pub fn section5_at(spec: &SaddleSpec, layers: usize) -> hinf::Result<DepthStudy> {
    let exact_trial = spec.trial(exact(), layers);
    let (eps0, a) = eps0_and_a(&exact_trial)?;
    let plain = ProbePlan {
        eps0,
        a,
        stride: u32::MAX,
        ..ProbePlan::default()
    };
    let record = probe_trial(&exact_trial, spec.seed, &plain)?;
    let w0 = record.trajectory[0].1.clone();
    let w_star = record.trajectory.last().expect("w0 is kept").1.clone();
    let d_star: Vec<f64> = w_star.iter().zip(&w0).map(|(s, o)| s - o).collect();
    let solution = LearnerRun {
        learner: exact(),
        record,
    };
    let mut runs = Vec::new();
    for learner in spec.spectrum_learners(layers) {
        let with_spectra = learner.method == Method::Hinf;
        let plan = ProbePlan {
            span_epochs: spec.span_epochs,
            snapshots: if with_spectra {
                SNAPSHOTS.to_vec()
            } else {
                Vec::new()
            },
            directions: vec![d_star.clone()],
            target: Some(w_star.clone()),
            full_p_max: if with_spectra { FULL_P_MAX } else { 0 },
            ..plain.clone()
        };
        // Only the measured epochs are run.
        let trial = TrialSpec {
            max_epochs: spec.span_epochs,
            ..spec.trial(learner, layers)
        };
        let record = probe_trial(&trial, spec.seed, &plan)?;
        runs.push(LearnerRun { learner, record });
    }
    Ok(DepthStudy {
        layers,
        n_weights: w0.len(),
        eps0,
        a,
        solution,
        runs,
    })
}
