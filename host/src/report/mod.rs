//! Everything written for a reader: files with typed I/O errors, CSV,
//! JSON, Markdown, figures and progress bars.
//!
//! | module | what |
//! |---|---|
//! | [`io`] | writing files; [`IoError`] names the path |
//! | [`files`] | an experiment's JSON, trials CSV, curves and figure |
//! | [`summary`] | the text summary of `hinf train` |
//! | [`reproduce`] | `report.md` and the files of `hinf reproduce` |
//! | [`resume`] | an earlier reproduction's files: those `--resume` keeps, removing the rest |
//! | [`shard`] | `shard.json`, a shard's raw trials, and merging shards back |
//! | [`sweep`] | `sweep.csv`, `sweep_trials.csv`, `sweep.md`, `sweep.svg` |
//! | [`compare`] | `report.md` of `hinf compare` |
//! | [`plot`] | learning-curve figures (SVG) |
//! | [`saddle`] | the CSV, figures and `summary.md` of `hinf saddle` |
//! | [`saddle_plot`] | heat maps and curves for `hinf saddle` (SVG) |
//! | [`progress`] | progress bars on stderr |

pub mod compare;
pub mod files;
pub mod io;
pub mod plot;
pub mod progress;
pub mod reproduce;
pub mod resume;
pub mod saddle;
pub mod saddle_plot;
pub mod shard;
pub mod summary;
pub mod sweep;

pub use files::{
    ExperimentFiles, csv_text, opt, opt_u, plural, stem, stem_of, trials_csv, write_experiment,
};
pub use io::{IoError, create_dir, io_err, write_json, write_text};
pub use summary::describe;
