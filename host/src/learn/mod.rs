//! Numerics beyond the core, no I/O: the exact structured `P` for deep
//! nets, the one optimizer factory, the one trial driver with its
//! fixed-point shortcut, the failure classes, and saving and loading a
//! learner.
//!
//! | module | what |
//! |---|---|
//! | [`structured`] | `P = ε0 I − Σ cᵢ uᵢ uᵢᵀ`, exact, O(k·N_w) |
//! | [`information`] | eq. (7) over every sample, exact, O(0.37·k·N_w) |
//! | [`optimizer`] | method × storage of `P` → an optimizer ([`build`]) |
//! | [`driver`] | one training run of whatever [`build`] made ([`Driver`]) |
//! | [`watch`] | outputs per epoch and the exact fixed point ([`Watched`]) |
//! | [`classify`] | why a trial did not converge ([`FailureClass`]) |
//! | [`peek`] | a read-only look at a learner's `P` ([`PeekCovariance`]) |
//! | [`save`] | a learner as a core model file and back ([`SaveState`], [`LoadState`]) |

pub mod classify;
pub mod driver;
pub mod information;
pub mod optimizer;
pub mod peek;
pub mod save;
pub mod structured;
pub mod watch;

pub use classify::{FailureClass, Tracker, jacobian_norm};
pub use driver::{Driven, Driver, EpochHook, RunMode};
pub use information::InformationCovariance;
pub use optimizer::{Learner, LearnerSpec, WithOptimizer, build, zeros};
pub use peek::PeekCovariance;
pub use save::{LoadState, MAX_SAVED_P, SaveState};
pub use structured::StructuredCovariance;
pub use watch::{ExactState, Watched};
