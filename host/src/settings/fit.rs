//! What one training run on a data set ([`FitSpec`]) trains.

use hinf::AdamConfig;
use serde::{Deserialize, Serialize};

use super::choices::{CovarianceKind, Method};

/// Everything that defines one training run on a data set except the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitSpec {
    /// The learning rule.
    pub method: Method,
    /// L = 2n + 3.
    pub layers: usize,
    /// Hidden width N.
    pub width: usize,
    /// Sigmoid slope η0.
    pub slope: f64,
    /// Storage of `P` (H∞).
    #[serde(default)]
    pub covariance: CovarianceKind,
    /// R of a window covariance (`None`: [`DEFAULT_MEMORY`](super::DEFAULT_MEMORY)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<usize>,
    /// ε0 (H∞, sd).
    pub eps0: f64,
    /// γ_f (H∞).
    pub gamma: f64,
    /// Adam's step size α (β1, β2, ε and per-sample mode: the paper's).
    pub adam_lr: f64,
    /// Stop when the training MSE (over rows × outputs) is below this;
    /// `None`: no tolerance (regression's default, see `patience`).
    pub tol: Option<f64>,
    /// Regression: stop once the best validation MSE (rows held out of the
    /// training rows) is this many epochs old, keeping its weights; `None`:
    /// no validation.
    #[serde(default)]
    pub patience: Option<u32>,
    /// Epoch cap.
    pub max_epochs: u32,
    /// Initial weights uniform in [−a, a].
    pub init_range: f64,
    /// Seed of the initial weights and the sample order.
    pub seed: u64,
    /// Shuffle the rows every epoch.
    pub shuffle: bool,
}

impl FitSpec {
    /// R of a window covariance (`--memory`, else [`DEFAULT_MEMORY`](super::DEFAULT_MEMORY));
    /// `None` if the covariance keeps no window.
    pub fn memory(&self) -> Option<usize> {
        self.covariance.memory(self.memory)
    }
}

impl Default for FitSpec {
    fn default() -> Self {
        Self {
            method: Method::Hinf,
            layers: 5,
            width: hinf::PAPER_WIDTH,
            slope: hinf::PAPER_SLOPE,
            covariance: CovarianceKind::Structured,
            memory: None,
            eps0: hinf::DEFAULT_EPS0,
            gamma: hinf::PAPER_GAMMA,
            adam_lr: AdamConfig::default().lr,
            tol: Some(0.01),
            patience: None,
            max_epochs: 200,
            init_range: hinf::PAPER_INIT_RANGE,
            seed: 1,
            shuffle: true,
        }
    }
}
