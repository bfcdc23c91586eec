//! The interface between the training loop and a learning rule: the
//! [`Optimizer`] trait and the [`StepReport`] of one sample step.
//! Implemented by [`crate::gehf::GEhf`] and [`crate::adam::Adam`], driven
//! by [`crate::train::train`].

use crate::data::ErrorStats;
use crate::error::Result;
use crate::network::ResNet;
use crate::real::Real;

/// What one sample step reports, for logging.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StepReport<T> {
    /// The a-priori error `e = y − h(ŵ)` of the (first) output, before the update.
    pub error: T,
    /// The (first) output `h(ŵ)` before the update.
    pub output: T,
    /// `H P Hᵀ` (0 for Adam).
    pub hph: T,
    /// The a-priori errors of every output (N_L residuals), which the
    /// loop's [`crate::train::ErrorTiming::DuringEpoch`] stopping rule
    /// measures.
    pub residuals: ErrorStats,
}

/// A learning rule the training loop can drive.
pub trait Optimizer<T: Real> {
    /// Presents one sample. Per-sample rules update the weights here; batch
    /// rules accumulate. On error nothing is changed.
    fn observe<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, S>,
        x: &[T],
        y: &[T],
    ) -> Result<StepReport<T>>;

    /// Ends an epoch: batch rules apply their update here.
    fn end_epoch<S: AsRef<[T]> + AsMut<[T]>>(&mut self, _net: &mut ResNet<T, S>) -> Result<()> {
        Ok(())
    }

    /// Sees the outputs of sample `k` in [`crate::train::train`]'s error
    /// evaluation at the current weights (before the first epoch, and
    /// after each one with [`crate::train::ErrorTiming::AfterEpoch`]), in
    /// sample order. For wrappers that watch a run without a forward pass
    /// of their own; the default does nothing.
    fn watch_outputs(&mut self, _k: usize, _outputs: &[T]) {}
}
