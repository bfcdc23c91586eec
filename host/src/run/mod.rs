//! Running: trials, experiments, seeds, sweeps, the paper's reproduction
//! plan, threads, and the memory check before a run.
//!
//! | module | what |
//! |---|---|
//! | [`trial`] | a [`TrialSpec`](crate::settings::TrialSpec) from one seed → [`TrialResult`] |
//! | [`experiment`] | many trials in parallel → [`ExperimentResult`], [`Summary`] |
//! | [`seed`] | `trial_seed(base, i) = splitmix64(base ^ i)` |
//! | [`reproduce`] | the paper's tables and the experiments of `hinf reproduce` |
//! | [`shard`] | `--shard K/N`: which cells of the (experiment, trial) grid a shard runs |
//! | [`sweep`] | the rows of `hinf sweep` |
//! | [`floats`] | `f64`s in JSON that read back when not finite |
//! | [`memory`] | the memory a run needs, checked before it starts |
//! | [`pool`] | worker threads |

pub mod experiment;
pub mod floats;
pub mod memory;
pub mod pool;
pub mod reproduce;
pub mod seed;
pub mod shard;
pub mod sweep;
pub mod trial;

pub use experiment::{
    EpochStats, ExperimentResult, Observer, Summary, run_experiment, run_experiment_from,
    run_trials, run_watched,
};
pub use memory::NotEnoughMemory;
pub use pool::{at_once, with_threads};
pub use reproduce::{PaperRow, ReproducePlan, ReproduceSummary, paper};
pub use seed::{splitmix64, trial_seed};
pub use shard::Shard;
pub use sweep::{SweepRow, SweepSummary, dedupe};
pub use trial::{
    TrialResult, learner_spec, run_trial, run_trial_every_epoch, run_trial_from, run_trial_in,
    run_trial_watched, run_trial_with_model,
};
