//! The variant switches of a trial beyond the printed method.
//!
//! Every switch is off by default ([`Variant::default`] is the paper's
//! method as printed, with targets {0, 1}):
//!
//! | switch | flag | what |
//! |---|---|---|
//! | [`Variant::extension`] | `--extension none\|trust-region`, `--tr-delta`, `--tr-tolerance`, `--tr-halvings` | the trust-region extension of the g-EHF step ([`hinf::Extension::OutputTrustRegion`], `docs/extension-notes.md`) |
//! | [`Variant::process_noise`] | `--process-noise Q` | `P ← P + qI` after each update ([`hinf::Regularization`]) |
//! | [`Variant::forgetting`] | `--forgetting λ` | `P ← P/λ` after each update |
//! | [`Variant::eps0_scale`] | `--eps0-scale none\|weights\|blocks` | ε0 scaled with the network ([`Eps0Scale`]) |
//! | [`Variant::targets`] | `--targets zero-one\|soft` | XOR targets {0, 1} or {0.1, 0.9} |
//!
//! The gain order (`--gain-order`) and the a-priori/a-posteriori stopping
//! rule (`--timing`) are core settings and live in [`super::TrialSpec`].

use hinf::{Extension, Regularization, ResNetSpec, TrustRegion};
use serde::{Deserialize, Serialize};

use super::choice::choices;

choices! {
    /// The extension switch of the g-EHF step.
    #[derive(Default)]
    pub enum ExtensionKind {
        #[default]
        None = "none": "The printed step (eq. 3).",
        TrustRegion = "trust-region": "The output trust region (`hinf::Extension::OutputTrustRegion`; not in the paper).",
    }
}

choices! {
    /// How ε0 is scaled with the network. At L = 5 every choice gives ε0.
    #[derive(Default)]
    pub enum Eps0Scale {
        #[default]
        None = "none": "ε0 as given, at every depth.",
        Weights = "weights": "ε0 · N_w(L = 5) / N_w(L) = ε0 · 76 / N_w: the trace of `P_{0|−1}` stays that of L = 5.",
        Blocks = "blocks": "ε0 / n with n = (L − 3)/2 the number of shortcut blocks: `s = hPhᵀ` of the first step, which grows about linearly with n, stays about that of L = 5.",
    }
}

choices! {
    /// XOR target coding.
    #[derive(Default)]
    pub enum Targets {
        #[default]
        ZeroOne = "zero-one": "{0, 1}.",
        Soft = "soft": "{0.1, 0.9}.",
    }
}

impl Targets {
    /// (low, high).
    pub fn values(self) -> (f64, f64) {
        match self {
            Targets::ZeroOne => (0.0, 1.0),
            Targets::Soft => (0.1, 0.9),
        }
    }
}

/// The off-by-default variant switches of a trial (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Variant {
    /// The step extension.
    pub extension: ExtensionKind,
    /// Trust region δ (with [`ExtensionKind::TrustRegion`]).
    pub tr_delta: f64,
    /// Trust region τ.
    pub tr_tolerance: f64,
    /// Trust region halvings.
    pub tr_halvings: u32,
    /// Process noise q ≥ 0 (0: off).
    pub process_noise: f64,
    /// Forgetting factor λ ∈ (0, 1] (1: off).
    pub forgetting: f64,
    /// Scaling of ε0 with the network.
    pub eps0_scale: Eps0Scale,
    /// Target coding.
    pub targets: Targets,
}

impl Default for Variant {
    fn default() -> Self {
        let tr = TrustRegion::RECOMMENDED;
        Self {
            extension: ExtensionKind::None,
            tr_delta: tr.delta,
            tr_tolerance: tr.tolerance,
            tr_halvings: tr.max_halvings,
            process_noise: 0.0,
            forgetting: 1.0,
            eps0_scale: Eps0Scale::None,
            targets: Targets::ZeroOne,
        }
    }
}

impl Variant {
    /// The core extension.
    pub fn extension(&self) -> Extension {
        match self.extension {
            ExtensionKind::None => Extension::None,
            ExtensionKind::TrustRegion => Extension::OutputTrustRegion(TrustRegion {
                delta: self.tr_delta,
                tolerance: self.tr_tolerance,
                max_halvings: self.tr_halvings,
            }),
        }
    }

    /// Scratch length the g-EHF needs with this variant.
    pub fn scratch_len(&self, n_weights: usize) -> usize {
        match self.extension {
            ExtensionKind::TrustRegion if self.tr_halvings > 0 => 2 * n_weights,
            _ => n_weights,
        }
    }

    /// The core regularization.
    pub fn regularization(&self) -> Regularization {
        Regularization {
            process_noise: self.process_noise,
            forgetting: self.forgetting,
            diagonal_floor: 0.0,
        }
    }

    /// ε0 after [`Variant::eps0_scale`] for the net `spec`.
    pub fn effective_eps0(&self, eps0: f64, spec: &ResNetSpec) -> f64 {
        match self.eps0_scale {
            Eps0Scale::None => eps0,
            Eps0Scale::Weights => {
                let base = ResNetSpec::xor_const(1).n_weights() as f64;
                eps0 * base / spec.n_weights().max(1) as f64
            }
            Eps0Scale::Blocks => eps0 / spec.blocks().max(1) as f64,
        }
    }

    /// Checks the trust-region parameters (even when the extension is off,
    /// so that a bad flag is never silently ignored) and the regularization.
    pub fn validate(&self) -> hinf::Result<()> {
        TrustRegion {
            delta: self.tr_delta,
            tolerance: self.tr_tolerance,
            max_halvings: self.tr_halvings,
        }
        .validate()?;
        self.regularization().validate()
    }

    /// `true` if every switch is off (the printed method, targets {0, 1}).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eps0_scales() {
        let v5 = ResNetSpec::xor(5).unwrap();
        let v101 = ResNetSpec::xor(101).unwrap();
        for s in [Eps0Scale::None, Eps0Scale::Weights, Eps0Scale::Blocks] {
            let v = Variant {
                eps0_scale: s,
                ..Variant::default()
            };
            assert_eq!(v.effective_eps0(10.0, &v5), 10.0);
        }
        let w = Variant {
            eps0_scale: Eps0Scale::Weights,
            ..Variant::default()
        };
        assert!((w.effective_eps0(10.0, &v101) - 10.0 * 76.0 / 2716.0).abs() < 1e-12);
        let b = Variant {
            eps0_scale: Eps0Scale::Blocks,
            ..Variant::default()
        };
        assert_eq!(b.effective_eps0(10.0, &v101), 10.0 / 49.0);
    }
}
