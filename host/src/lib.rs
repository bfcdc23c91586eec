//! # host — the std harness for `hinf`
//!
//! Deep nets on the heap, an exact structured covariance for them,
//! parallel reproducible experiments, the reports and figures of the
//! paper's section 5, and the `hinf` command line.
//!
//! | module           | what                                               |
//! |------------------|----------------------------------------------------|
//! | [`structured`]   | `P = ε0 I − Σ cᵢ uᵢ uᵢᵀ`, exact, O(k·N_w)            |
//! | [`experiment`]   | [`TrialSpec`] → [`TrialResult`]; experiments, [`Summary`] |
//! | [`plot`]         | learning-curve figures (SVG)                        |
//! | [`report`]       | CSV, JSON and Markdown output                       |
//! | [`reproduce`]    | the paper's Tables 1 and 2 and Figures 3 and 4      |
//! | [`cli`]          | the `hinf` command line                             |
//! | [`data`]         | CSV data sets, encodings, generated sets            |
//! | [`fit`]          | `fit`/`eval` on one's own data, model files         |
//! | [`own_data`]     | `hinf fit`, `eval`, `gen`, `compare`                |
//! | [`variant`]      | variant switches, failure classes                   |
//! | [`memory`]       | the memory a run needs, checked before it starts    |
//! | [`sweep`]        | `hinf sweep`: grids over the settings               |
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cli;
pub mod data;
pub mod experiment;
pub mod fit;
pub mod memory;
pub mod model_file;
pub mod own_data;
pub mod plot;
pub mod progress;
pub mod report;
pub mod reproduce;
pub mod structured;
pub mod sweep;
pub mod variant;

pub use experiment::{
    ExperimentResult, ExperimentSpec, Method, Precision, Summary, TrialResult, TrialSpec,
    run_experiment, run_trial, run_trial_every_epoch, trial_seed,
};
pub use structured::StructuredCovariance;
