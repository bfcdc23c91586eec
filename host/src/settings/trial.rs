//! What one trial trains ([`TrialSpec`]) and an experiment of many
//! ([`ExperimentSpec`]), with their validation and the core configurations
//! they stand for.

use hinf::{AdamConfig, GEhfConfig, InputCoding, ResNetSpec, TrainConfig};
use serde::{Deserialize, Serialize};

use super::choices::{
    AdamMode, CovarianceKind, Criterion, GainOrder, Inputs, Method, Order, Precision, Timing,
};
use super::variant::Variant;

/// Everything that defines one training run except its seed.
///
/// `Default` is the paper's H∞ experiment at L = 5 with the core's
/// provisional defaults for what the paper leaves unstated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// The learning rule.
    pub method: Method,
    /// L = 2n + 3.
    pub layers: usize,
    /// ε0 of `P_{0|−1} = ε0 I` (H∞ and steepest descent).
    pub eps0: f64,
    /// γ_f (H∞).
    pub gamma: f64,
    /// Where the Jacobian enters `P` (H∞).
    pub gain_order: GainOrder,
    /// The stopping measure.
    pub criterion: Criterion,
    /// Stop when the measure is below this.
    pub tol: f64,
    /// A-posteriori or a-priori errors for the stopping rule.
    pub timing: Timing,
    /// Sample order.
    pub order: Order,
    /// XOR input coding.
    pub inputs: Inputs,
    /// Epoch cap.
    pub max_epochs: u32,
    /// Adam's step size α.
    pub adam_lr: f64,
    /// Adam's β1.
    pub adam_beta1: f64,
    /// Adam's β2.
    pub adam_beta2: f64,
    /// Adam's ε.
    pub adam_eps: f64,
    /// Adam per sample or per batch.
    pub adam_mode: AdamMode,
    /// Scalar type.
    pub precision: Precision,
    /// Initial weights uniform in [−init_range, init_range].
    pub init_range: f64,
    /// Storage of `P` for H∞.
    pub covariance: CovarianceKind,
    /// R, the samples a window covariance keeps (`None`: the covariance
    /// has no memory, or [`DEFAULT_MEMORY`](super::DEFAULT_MEMORY); see [`TrialSpec::memory`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<usize>,
    /// Off-by-default switches beyond the printed method
    /// ([`super::variant`]).
    #[serde(default)]
    pub variant: Variant,
}

impl Default for TrialSpec {
    fn default() -> Self {
        let g = GEhfConfig::default();
        let t = TrainConfig::default();
        let a = AdamConfig::default();
        Self {
            method: Method::Hinf,
            layers: 5,
            eps0: g.eps0,
            gamma: g.gamma,
            gain_order: g.gain_order.into(),
            criterion: t.criterion.into(),
            tol: t.tol,
            timing: t.timing.into(),
            order: t.order.into(),
            inputs: InputCoding::default().into(),
            max_epochs: t.max_epochs,
            adam_lr: a.lr,
            adam_beta1: a.beta1,
            adam_beta2: a.beta2,
            adam_eps: a.eps,
            adam_mode: a.mode.into(),
            precision: Precision::F64,
            init_range: hinf::PAPER_INIT_RANGE,
            covariance: CovarianceKind::Structured,
            memory: None,
            variant: Variant::default(),
        }
    }
}

impl TrialSpec {
    /// The network shape (fails on an invalid depth).
    pub fn net_spec(&self) -> hinf::Result<ResNetSpec> {
        ResNetSpec::xor(self.layers)
    }
    /// The core's g-EHF parameters.
    pub fn gehf_config(&self) -> GEhfConfig {
        GEhfConfig {
            gamma: self.gamma,
            eps0: self.eps0,
            gain_order: self.gain_order.into(),
        }
    }
    /// ε0 after [`Variant::eps0_scale`] (fails on an invalid depth).
    pub fn effective_eps0(&self) -> hinf::Result<f64> {
        Ok(self.variant.effective_eps0(self.eps0, &self.net_spec()?))
    }
    /// R of a window covariance (`--memory`, else [`DEFAULT_MEMORY`](super::DEFAULT_MEMORY));
    /// `None` if the covariance keeps no window.
    pub fn memory(&self) -> Option<usize> {
        self.covariance.memory(self.memory)
    }
    /// This spec with R written out: [`TrialSpec::memory`] for a window,
    /// `None` otherwise (what reports and the JSON show).
    pub fn with_memory_resolved(self) -> Self {
        Self {
            memory: self.memory(),
            ..self
        }
    }
    /// The core's Adam parameters.
    pub fn adam_config(&self) -> AdamConfig {
        AdamConfig {
            lr: self.adam_lr,
            beta1: self.adam_beta1,
            beta2: self.adam_beta2,
            eps: self.adam_eps,
            mode: self.adam_mode.into(),
        }
    }
    /// The core's training-loop parameters.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            criterion: self.criterion.into(),
            tol: self.tol,
            timing: self.timing.into(),
            order: self.order.into(),
            max_epochs: self.max_epochs,
        }
    }

    /// Checks every parameter, also those the chosen method does not use,
    /// with the core's checks and messages.
    pub fn validate(&self) -> hinf::Result<()> {
        self.net_spec()?;
        self.train_config().validate()?;
        // Every parameter is checked, also those the method does not use
        // (γ_f for steepest descent and Adam, Adam's for the g-EHF): a bad
        // value is an error, not silently ignored.
        self.gehf_config().validate()?;
        self.adam_config().validate()?;
        self.variant.validate()?;
        if self.method != Method::Adam {
            // ε0 after scaling must still be a valid ε0.
            GEhfConfig {
                gamma: hinf::PAPER_GAMMA,
                eps0: self.effective_eps0()?,
                ..self.gehf_config()
            }
            .validate()?;
        }
        if self.method == Method::Hinf
            && let Some(e) =
                (self.variant.regularization()).unsupported_by(self.covariance.regularizable())
        {
            return Err(e);
        }
        let net = self.net_spec()?;
        match (self.covariance, self.memory()) {
            (CovarianceKind::InfoWindow, Some(r)) => {
                hinf::WindowShape::new(net.n_weights(), r, net.outputs()).validate()?
            }
            (_, Some(r)) => hinf::TermWindowShape::new(net.n_weights(), r).validate()?,
            _ => {}
        }
        if !(self.init_range.is_finite() && self.init_range >= 0.0) {
            return Err(hinf::Error::InvalidParameter {
                name: hinf::Param::InitRange,
            });
        }
        Ok(())
    }
}

/// A whole experiment: `trials` runs of one [`TrialSpec`], trial i seeded
/// with [`trial_seed`]`(seed, i)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSpec {
    /// What each trial trains.
    pub trial: TrialSpec,
    /// Number of trials.
    pub trials: usize,
    /// Base seed.
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_core() {
        let s = TrialSpec::default();
        assert_eq!(s.eps0, hinf::DEFAULT_EPS0);
        assert_eq!(s.train_config(), TrainConfig::default());
        assert_eq!(s.adam_config(), AdamConfig::default());
        assert_eq!(s.gehf_config(), GEhfConfig::default());
    }
}
