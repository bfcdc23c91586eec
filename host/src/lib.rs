//! # host — the std harness for `hinf`
//!
//! Deep nets on the heap, an exact structured covariance for them,
//! parallel reproducible experiments, the reports and figures of the
//! paper's section 5, training on one's own data, and the `hinf` command
//! line. Every dependency points one way, down this table:
//!
//! | module | what | uses |
//! |---|---|---|
//! | [`settings`] | what a run is: choices, [`TrialSpec`], the one table of settings | the core |
//! | [`learn`] | numerics beyond the core: structured `P`, the optimizer factory, the trial driver, failure classes | settings |
//! | [`run`] | trials, experiments, seeds, sweeps, the paper's plan, the memory check | settings, learn |
//! | [`data`] | CSV tables, encodings, generated sets, `fit` and its model file, `compare` | settings, learn, run |
//! | [`study`] | the saddle argument measured (section 5, eqs. 7–9): spans, spectra, slices | settings, learn, run |
//! | [`report`] | files, Markdown, CSV, JSON, figures, progress; typed I/O errors | settings, run, data, study |
//! | [`cli`] | the `hinf` command: clap types, usage errors, exit codes; one file per subcommand | all |
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cli;
pub mod data;
pub mod learn;
pub mod report;
pub mod run;
pub mod settings;
pub mod study;

pub use learn::StructuredCovariance;
pub use run::{
    ExperimentResult, Summary, TrialResult, run_experiment, run_trial, run_trial_every_epoch,
    trial_seed,
};
pub use settings::{ExperimentSpec, Method, Precision, TrialSpec};
