//! The leaf of the host: what a run is, before anything runs it.
//!
//! | module | what |
//! |---|---|
//! | [`choice`] | settings whose value is one of a few names ([`Choice`]) |
//! | [`choices`] | the learning rule, precision, storage of `P`, and the core's unstated settings |
//! | [`variant`] | the off-by-default switches beyond the printed method |
//! | [`trial`] | [`TrialSpec`] and [`ExperimentSpec`], validated |
//! | [`caps`] | the default epoch cap of each method, shared by every command |
//! | [`fit`] | [`FitSpec`]: a run on one's own data |
//! | [`learner`] | [`Learner`]: a rule with its storage of `P`, as reports name it |
//! | [`registry`] | the one table of settings every report, CSV and sweep reads |
//! | [`saddle`] | [`SaddleSpec`]: what `hinf saddle` measures |

pub mod caps;
pub mod choice;
pub mod choices;
pub mod fit;
pub mod learner;
pub mod registry;
pub mod saddle;
pub mod trial;
pub mod variant;

pub use choice::Choice;
pub use choices::{
    AdamMode, CovarianceKind, Criterion, DEFAULT_MEMORY, GainOrder, Inputs, Method, Order,
    Precision, Timing,
};
pub use fit::FitSpec;
pub use learner::Learner;
pub use registry::{SETTINGS, Setting, Value, normalize, setting, shown_settings, sweep_settings};
pub use saddle::SaddleSpec;
pub use trial::{ExperimentSpec, TrialSpec};
pub use variant::{Eps0Scale, ExtensionKind, Targets, Variant};
