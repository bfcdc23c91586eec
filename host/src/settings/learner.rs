//! A learner: a learning rule with its storage of `P` ([`Learner`]), as
//! `hinf compare` and the reports name it.

use serde::{Deserialize, Serialize};

use super::choice::Choice;
use super::choices::{CovarianceKind, Method};

/// A learning rule and, for H∞, how it stores `P`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learner {
    /// The learning rule.
    pub method: Method,
    /// Storage of `P` (H∞; the default otherwise).
    #[serde(default)]
    pub covariance: CovarianceKind,
    /// R of a window covariance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<usize>,
}

impl Learner {
    /// `method` with `covariance` (H∞ only: the others keep the default)
    /// and R = `memory` (else [`DEFAULT_MEMORY`](super::DEFAULT_MEMORY)) if it is a window.
    pub fn new(method: Method, covariance: CovarianceKind, memory: Option<usize>) -> Self {
        let covariance = match method {
            Method::Hinf => covariance,
            _ => CovarianceKind::default(),
        };
        let memory = covariance.memory(memory);
        Self {
            method,
            covariance,
            memory,
        }
    }

    /// A short name for tables and file names: the method's (`hinf`,
    /// `sd`, `adam`), `lehf` for neuron blocks, else
    /// `hinf-<covariance>` with `-r<R>` for a window.
    pub fn name(&self) -> String {
        match (self.method, self.covariance) {
            (Method::Hinf, CovarianceKind::NeuronBlocks) => "lehf".into(),
            (m, c) if c == CovarianceKind::default() => m.name().into(),
            (m, c) => {
                let r = self.memory.map(|r| format!("-r{r}")).unwrap_or_default();
                format!("{}-{}{r}", m.name(), c.name())
            }
        }
    }

    /// A title for figures: the method's, with the covariance if not the
    /// default.
    pub fn title(&self) -> String {
        let m = self.method.title();
        match (self.covariance, self.memory) {
            (c, _) if c == CovarianceKind::default() => m.into(),
            (c, Some(r)) => format!("{m}, P: {} R = {r}", c.name()),
            (c, None) => format!("{m}, P: {}", c.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DEFAULT_MEMORY;

    #[test]
    fn names_tell_learners_apart() {
        let l = |m, c, r| Learner::new(m, c, r).name();
        assert_eq!(l(Method::Hinf, CovarianceKind::Structured, None), "hinf");
        assert_eq!(l(Method::Hinf, CovarianceKind::NeuronBlocks, None), "lehf");
        assert_eq!(
            l(Method::Hinf, CovarianceKind::InfoWindow, None),
            format!("hinf-info-window-r{DEFAULT_MEMORY}")
        );
        assert_eq!(
            l(Method::Hinf, CovarianceKind::InfoWindow, Some(16)),
            "hinf-info-window-r16"
        );
        // Adam has no P: the covariance is dropped.
        assert_eq!(l(Method::Adam, CovarianceKind::InfoWindow, Some(4)), "adam");
    }
}
