//! A shard's output: `shard.json`, what `hinf merge` needs to write the
//! files of the unsharded run — the hinf version, the command and its
//! settings, which shard of how many, and every trial it ran, raw.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::io::{IoError, create_dir, io_err, write_json};
use crate::data::compare::Run;
use crate::run::{ExperimentResult, Shard, Summary, TrialResult};
use crate::settings::{Choice, ExperimentSpec};

/// The file a shard writes into its `--out`.
pub const SHARD_FILE: &str = "shard.json";

/// The version of `hinf` that writes shard files; `merge` takes only its own.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One experiment's share in a shard: its spec (the whole experiment's),
/// the trials of this shard (perhaps none) and their wall time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentPart {
    /// The whole experiment.
    pub spec: ExperimentSpec,
    /// This shard's trials, by index.
    pub trials: Vec<TrialResult>,
    /// Wall time of this shard's trials.
    pub seconds: f64,
}

/// One run of `hinf compare` in a shard, with its curve (which
/// `results.json` leaves out).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareRecord {
    /// Its index in the unsharded run's order of runs.
    pub index: usize,
    /// The run (without its curve).
    pub run: Run,
    /// Training MSE per epoch.
    #[serde(with = "crate::run::floats::many")]
    pub curve: Vec<f64>,
}

impl CompareRecord {
    /// The run with its curve back in.
    pub fn into_run(self) -> Run {
        Run {
            curve: self.curve,
            ..self.run
        }
    }
}

/// `shard.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile {
    /// The `hinf` version that wrote it ([`VERSION`]).
    pub hinf_version: String,
    /// The subcommand: `reproduce`, `sweep` or `compare`.
    pub command: String,
    /// Its arguments after the subcommand, as given (with `--shard`).
    pub args: Vec<String>,
    /// Every setting that decides the results, which all shards of a run
    /// share (the parsed flags without `--shard`, `--out` and the threads).
    pub settings: String,
    /// Which shard this is.
    pub shard: Shard,
    /// Worker threads it used.
    pub threads: usize,
    /// Wall time of the whole shard.
    pub seconds: f64,
    /// `reproduce`, `sweep`: every experiment, with this shard's trials.
    #[serde(default)]
    pub experiments: Vec<ExperimentPart>,
    /// `compare`: this shard's runs.
    #[serde(default)]
    pub runs: Vec<CompareRecord>,
}

impl ShardFile {
    /// Writes `out/shard.json`; returns its path.
    pub fn write(&self, out: &Path) -> Result<PathBuf, IoError> {
        create_dir(out)?;
        let p = out.join(SHARD_FILE);
        write_json(&p, self)?;
        Ok(p)
    }

    /// Reads `dir/shard.json`.
    pub fn read(dir: &Path) -> Result<Self, IoError> {
        let p = dir.join(SHARD_FILE);
        let text = std::fs::read_to_string(&p).map_err(|e| io_err(&p, e))?;
        serde_json::from_str(&text).map_err(|e| io_err(&p, format!("not a shard file: {e}")))
    }

    /// The command line of the unsharded run these shards split, writing
    /// into `out`: `hinf <command> <args>` without `--shard` and with
    /// `--out` set to `out`.
    pub fn unsharded_command(&self, out: &Path) -> String {
        let mut words = vec!["hinf".to_string(), self.command.clone()];
        let mut args = self.args.iter();
        while let Some(a) = args.next() {
            if a == "--shard" {
                args.next();
            } else if a.starts_with("--shard=") {
            } else if a == "--out" {
                args.next();
                words.push(a.clone());
                words.push(out.display().to_string());
            } else if a.starts_with("--out=") {
                words.push(format!("--out={}", out.display()));
            } else {
                words.push(a.clone());
            }
        }
        words.join(" ")
    }
}

/// The experiments of the unsharded run from every shard's parts (the
/// shards in any order): trials by index, each experiment summarised by
/// [`Summary::new`] as the unsharded run summarises it, its wall time the
/// sum of the shards'. Fails naming the first experiment that lacks a
/// trial or has one twice.
pub fn merge_experiments(shards: &[ShardFile]) -> Result<Vec<ExperimentResult>, String> {
    let Some(first) = shards.first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(first.experiments.len());
    for (e, part) in first.experiments.iter().enumerate() {
        let spec = part.spec;
        let mut trials: Vec<TrialResult> = Vec::with_capacity(spec.trials);
        let mut seconds = 0.0;
        for s in shards {
            let p = s.experiments.get(e).filter(|p| p.spec == spec);
            let Some(p) = p else {
                return Err(format!("shard {} lacks experiment {}", s.shard, e + 1));
            };
            trials.extend(p.trials.iter().cloned());
            seconds += p.seconds;
        }
        trials.sort_by_key(|t| t.trial);
        let complete =
            trials.len() == spec.trials && trials.iter().enumerate().all(|(i, t)| t.trial == i);
        if !complete {
            return Err(format!(
                "experiment {} ({} L={}): the shards hold {} of its {} trials, not each once",
                e + 1,
                spec.trial.method.name(),
                spec.trial.layers,
                trials.len(),
                spec.trials
            ));
        }
        let summary = Summary::new(&spec, &trials, seconds).map_err(|e| e.to_string())?;
        out.push(ExperimentResult {
            spec,
            trials,
            summary,
        });
    }
    Ok(out)
}

/// The runs of the unsharded `hinf compare` from every shard's: in its
/// order, with their curves; `total` runs expected.
pub fn merge_runs(shards: &[ShardFile], total: usize) -> Result<Vec<Run>, String> {
    let mut all: Vec<&CompareRecord> = shards.iter().flat_map(|s| &s.runs).collect();
    all.sort_by_key(|r| r.index);
    let complete = all.len() == total && all.iter().enumerate().all(|(i, r)| r.index == i);
    if !complete {
        return Err(format!(
            "the shards hold {} of the {total} runs, not each once",
            all.len()
        ));
    }
    Ok(all
        .into_iter()
        .cloned()
        .map(CompareRecord::into_run)
        .collect())
}
