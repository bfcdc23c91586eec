//! `--shard K/N` of `reproduce`, `sweep` and `compare`: running a shard's
//! share of the (experiment, trial) grid ([`crate::run::shard`]) and
//! writing its `shard.json` ([`crate::report::shard`]), which `hinf merge`
//! turns into the unsharded run's files.

use std::path::Path;
use std::time::Instant;

use super::interrupt;
use super::output::{Failure, print_out, run_err};
use crate::report::progress::{self, TrialsBar};
use crate::report::shard::{CompareRecord, ExperimentPart, ShardFile, VERSION};
use crate::run::{Shard, run_trials};
use crate::settings::ExperimentSpec;

/// Parses `--shard K/N` for clap.
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s)
}

/// The arguments after the subcommand, as given.
pub fn given_args() -> Vec<String> {
    std::env::args().skip(2).collect()
}

/// A shard file of `command` with `settings`, run on `threads` workers,
/// before its results.
pub fn shard_file(command: &str, settings: String, shard: Shard, threads: usize) -> ShardFile {
    ShardFile {
        hinf_version: VERSION.to_string(),
        command: command.to_string(),
        args: given_args(),
        settings,
        shard,
        threads,
        seconds: 0.0,
        experiments: Vec::new(),
        runs: Vec::new(),
    }
}

/// Runs `shard`'s trials of every experiment of `specs` in turn (in
/// parallel inside each), with a progress bar per experiment on a
/// terminal; `None` if Ctrl-C stopped it. `label` names experiment i.
pub fn run_experiments(
    specs: &[ExperimentSpec],
    shard: Shard,
    label: impl Fn(usize, &ExperimentSpec) -> String,
) -> Result<Option<Vec<ExperimentPart>>, Failure> {
    let stop = interrupt::stop_flag();
    let mut parts = Vec::with_capacity(specs.len());
    let mut offset = 0;
    for (i, spec) in specs.iter().enumerate() {
        let indices = shard.indices(offset, spec.trials);
        offset += spec.trials;
        let label = label(i, spec);
        let pb = TrialsBar::new(
            spec.trials,
            spec.trial.max_epochs,
            &label,
            progress::enabled(),
        );
        pb.set_total(indices.len());
        let t0 = Instant::now();
        let trials = run_trials(spec, &indices, None, &pb, Some(stop)).map_err(run_err)?;
        pb.finish();
        let Some(trials) = trials else {
            return Ok(None);
        };
        let seconds = t0.elapsed().as_secs_f64();
        if !progress::enabled() {
            eprintln!(
                "done {label} (shard {shard}): {} of {} trials, {seconds:.1} s",
                trials.len(),
                spec.trials
            );
        }
        parts.push(ExperimentPart {
            spec: *spec,
            trials,
            seconds,
        });
    }
    Ok(Some(parts))
}

/// The index of run `seed` of batch `batch` of `hinf compare` in the
/// unsharded order (batch after batch, seeds by index).
pub fn compare_index(batch: usize, seeds: usize, seed: usize) -> usize {
    batch * seeds + seed
}

/// The records of a shard's `hinf compare` runs of one batch.
pub fn compare_records(
    batch: usize,
    seeds: usize,
    indices: &[usize],
    runs: Vec<crate::data::compare::Run>,
) -> Vec<CompareRecord> {
    indices
        .iter()
        .zip(runs)
        .map(|(&i, mut run)| CompareRecord {
            index: compare_index(batch, seeds, i),
            curve: std::mem::take(&mut run.curve),
            run,
        })
        .collect()
}

/// Writes `file` (its results in, timed from `start`) into `out` and says
/// so on stdout.
pub fn finish(mut file: ShardFile, out: &Path, start: Instant) -> Result<(), Failure> {
    file.seconds = start.elapsed().as_secs_f64();
    let p = file.write(out)?;
    print_out(&format!(
        "shard {} done in {:.1} s; wrote {} (combine the shards with 'hinf merge')\n",
        file.shard,
        file.seconds,
        p.display()
    ));
    Ok(())
}

/// What an interrupted shard kept: nothing (its file is written at the end).
pub fn interrupted(shard: Shard, out: &Path) -> Failure {
    Failure::Interrupted(format!(
        "interrupted: shard {shard} wrote nothing to {}; rerun it",
        out.display()
    ))
}
