//! What `hinf saddle` measures ([`SaddleSpec`]): the depths of each part,
//! the learners compared, and the epochs measured. Every trial in it is
//! [`TrialSpec::default`] (the printed g-EHF, the paper's Adam, ε0, γ_f,
//! the stopping rule) with only its method, storage of `P` and depth set.

use super::caps;
use super::choices::{CovarianceKind, DEFAULT_MEMORY, Method};
use super::learner::Learner;
use super::trial::TrialSpec;

/// Depths of the error-surface slices (Fig. 1's counterpart).
pub const SLICE_LAYERS: [usize; 2] = [5, 101];
/// Depths of the section-5 spectra and span fractions.
pub const SPECTRUM_LAYERS: [usize; 3] = [5, 21, 101];
/// Depths at which the bounded-memory covariances are measured too.
pub const COVARIANCE_LAYERS: [usize; 2] = [5, 21];
/// Epochs over which the per-step measurements run.
pub const SPAN_EPOCHS: u32 = 40;
/// Epochs after which the spectra are taken.
pub const SNAPSHOTS: [u32; 6] = [1, 2, 5, 10, 20, 40];
/// Points per side of a surface grid.
pub const GRID: usize = 41;
/// Trials (initial weights) of the covariance comparison.
pub const SEEDS: usize = 10;
/// P's full spectrum is taken up to this N_w (L = 5: 76).
pub const FULL_P_MAX: usize = 128;

/// What `hinf saddle` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SaddleSpec {
    /// Base seed: every run starts from trial 0's weights,
    /// `trial_seed(seed, 0)`, as `hinf train --seed` draws them.
    pub seed: u64,
    /// See [`SLICE_LAYERS`].
    pub slice_layers: Vec<usize>,
    /// See [`SPECTRUM_LAYERS`].
    pub spectrum_layers: Vec<usize>,
    /// See [`COVARIANCE_LAYERS`].
    pub covariance_layers: Vec<usize>,
    /// See [`SPAN_EPOCHS`].
    pub span_epochs: u32,
    /// Epoch cap of the slices' runs (`None`: each method's default cap,
    /// [`caps::default_cap`]).
    pub max_epochs: Option<u32>,
    /// See [`GRID`].
    pub grid: usize,
    /// R of the windows.
    pub memory: usize,
    /// See [`SEEDS`].
    pub seeds: usize,
}

impl Default for SaddleSpec {
    fn default() -> Self {
        Self {
            seed: 1,
            slice_layers: SLICE_LAYERS.to_vec(),
            spectrum_layers: SPECTRUM_LAYERS.to_vec(),
            covariance_layers: COVARIANCE_LAYERS.to_vec(),
            span_epochs: SPAN_EPOCHS,
            max_epochs: None,
            grid: GRID,
            memory: DEFAULT_MEMORY,
            seeds: SEEDS,
        }
    }
}

impl SaddleSpec {
    /// The trial of `learner` at depth `layers`: the defaults otherwise,
    /// the epoch cap [`SaddleSpec::max_epochs`] or the method's.
    pub fn trial(&self, learner: Learner, layers: usize) -> TrialSpec {
        let spec = TrialSpec {
            method: learner.method,
            covariance: learner.covariance,
            memory: learner.memory,
            layers,
            ..TrialSpec::default()
        };
        caps::capped(spec, self.max_epochs)
    }

    /// The learners of the slices: the g-EHF, the l-EHF (neuron blocks),
    /// steepest descent and Adam.
    pub fn slice_learners(&self) -> Vec<Learner> {
        vec![
            hinf(CovarianceKind::Structured, None),
            hinf(CovarianceKind::NeuronBlocks, None),
            Learner::new(Method::Sd, CovarianceKind::default(), None),
            Learner::new(Method::Adam, CovarianceKind::default(), None),
        ]
    }

    /// The learners of the spectra at `layers`: the g-EHF, steepest
    /// descent and Adam, and where `layers` is a covariance depth the
    /// l-EHF and the two windows of R = [`SaddleSpec::memory`].
    pub fn spectrum_learners(&self, layers: usize) -> Vec<Learner> {
        let mut out = vec![hinf(CovarianceKind::Structured, None)];
        if self.covariance_layers.contains(&layers) {
            let r = Some(self.memory);
            out.push(hinf(CovarianceKind::NeuronBlocks, None));
            out.push(hinf(CovarianceKind::InfoWindow, r));
            out.push(hinf(CovarianceKind::Window, r));
        }
        out.push(Learner::new(Method::Sd, CovarianceKind::default(), None));
        out.push(Learner::new(Method::Adam, CovarianceKind::default(), None));
        out
    }

    /// Every depth of the spectra, in order, without repeats: the
    /// spectrum depths and the covariance depths.
    pub fn section5_layers(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .spectrum_layers
            .iter()
            .chain(&self.covariance_layers)
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

fn hinf(covariance: CovarianceKind, memory: Option<usize>) -> Learner {
    Learner::new(Method::Hinf, covariance, memory)
}
