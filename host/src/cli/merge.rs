//! `hinf merge`: the shards of one `reproduce`, `sweep` or `compare` run
//! (`--shard K/N`, each in its own directory) combined into exactly the
//! files the unsharded run writes, every aggregate recomputed from the
//! shards' raw trials by the code the unsharded run uses.
//!
//! Every shard is checked before anything is written: each directory
//! must hold a `shard.json` of this hinf version, all of the same
//! command, settings and N, each K once, none missing. Otherwise merge
//! exits 2 with one line naming the shard, and --out is left untouched.

use std::path::{Path, PathBuf};

use clap::{Args, Parser as _};

use super::check::{self, UsageError};
use super::output::{Failure, print_out};
use super::{Cli, Command, compare, reproduce, sweep};
use crate::report::shard::{SHARD_FILE, ShardFile, VERSION};

/// `hinf merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Output directory: the files the unsharded run writes.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The shards' output directories (their --out), in any order.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
}

/// A usage error about the shard in `dir`.
fn bad(dir: &Path, why: impl std::fmt::Display) -> UsageError {
    UsageError(format!("{}: {why}", dir.display()))
}

/// Reads the shard file of `dir`, of this version.
fn read(dir: &Path) -> Result<ShardFile, UsageError> {
    if !dir.join(SHARD_FILE).is_file() {
        let why = format!("no {SHARD_FILE} (not the --out of a run with --shard K/N)");
        return Err(bad(dir, why));
    }
    let file = ShardFile::read(dir).map_err(|e| bad(dir, e.message))?;
    if file.hinf_version != VERSION {
        let why = format!(
            "shard {} was written by hinf {}, this is hinf {VERSION}",
            file.shard, file.hinf_version
        );
        return Err(bad(dir, why));
    }
    Ok(file)
}

/// Checks that `files` (read from `dirs`) are the N shards of one run,
/// each once.
fn check_set(dirs: &[PathBuf], files: &[ShardFile]) -> Result<(), UsageError> {
    let (Some(d0), Some(f0)) = (dirs.first(), files.first()) else {
        return Err(UsageError("give at least one shard directory".into()));
    };
    for (i, (dir, f)) in dirs.iter().zip(files).enumerate() {
        let first = d0.display();
        if f.command != f0.command {
            let why = format!(
                "shard {} of 'hinf {}', not of 'hinf {}' as {first}",
                f.shard, f.command, f0.command
            );
            return Err(bad(dir, why));
        }
        if f.shard.n != f0.shard.n || f.settings != f0.settings {
            let why = format!(
                "shard {} has other settings than shard {} in {first}",
                f.shard, f0.shard
            );
            return Err(bad(dir, why));
        }
        if let Some(j) = files[..i].iter().position(|g| g.shard == f.shard) {
            let why = format!("shard {} again (also in {})", f.shard, dirs[j].display());
            return Err(bad(dir, why));
        }
    }
    let n = f0.shard.n;
    if let Some(k) = (1..=n).find(|&k| files.iter().all(|f| f.shard.k != k)) {
        let given: Vec<String> = files.iter().map(|f| f.shard.to_string()).collect();
        return Err(UsageError(format!(
            "shard {k}/{n} is missing (given: {})",
            given.join(", ")
        )));
    }
    Ok(())
}

/// The command the shards ran, parsed again from their arguments.
fn command_of(dir: &Path, f: &ShardFile) -> Result<Command, UsageError> {
    let words = ["hinf".to_string(), f.command.clone()];
    let args = words.iter().chain(&f.args);
    Cli::try_parse_from(args)
        .map(|c| c.command)
        .map_err(|e| bad(dir, format!("its arguments do not parse: {}", e.kind())))
}

/// `hinf merge`.
pub fn run(a: &MergeArgs) -> Result<(), Failure> {
    let mut files = a
        .shards
        .iter()
        .map(|d| read(d))
        .collect::<Result<Vec<_>, _>>()?;
    check_set(&a.shards, &files)?;
    // Shard 1/N's command line names the merged run, whatever the order given.
    let first = files.iter().position(|f| f.shard.k == 1).unwrap_or(0);
    files.swap(0, first);
    let command = command_of(&a.shards[first], &files[0])?;
    check::output_dir("--out", &a.out)?;
    let text = match command {
        Command::Reproduce(r) => reproduce::merge(&r, &files, &a.out)?,
        Command::Sweep(_) => sweep::merge(&files, &a.out)?,
        Command::Compare(c) => compare::merge(&c, &files, &a.out)?,
        _ => {
            return Err(bad(
                &a.shards[first],
                "not a shard of reproduce, sweep or compare",
            )
            .into());
        }
    };
    print_out(&text);
    Ok(())
}
