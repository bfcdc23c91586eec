//! `hinf compare`: H∞, steepest descent and Adam on the shipped data sets
//! across depths and seeds; a Markdown report with figures.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::check::{self, UsageError};
use super::output::{Failure, print_out};
use super::shard;
use super::values::MethodArg;
use crate::data::Task;
use crate::data::compare::{Batch, Benchmark, Run, benchmarks, load_set, run_some_seeds};
use crate::report;
use crate::report::compare::{CompareRun, compare_markdown};
use crate::report::plot::learning_curves;
use crate::report::shard::{CompareRecord, ShardFile, merge_runs};
use crate::run::{Shard, at_once, memory};
use crate::settings::{CovarianceKind, FitSpec, Learner, Method, Precision};

/// `hinf compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Directory with the shipped data sets (`hinf gen` writes the
    /// generated ones).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory for report.md, results.json and the figures.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Depths, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [5usize, 21, 101])]
    pub layers: Vec<usize>,
    /// Seeds per (data set, method, depth).
    #[arg(long, default_value_t = 20)]
    pub seeds: usize,
    /// Epoch cap of every run.
    #[arg(long, default_value_t = 100)]
    pub max_epochs: u32,
    /// Data sets, comma-separated: iris, wine, spirals, parity4, sine
    /// (the list of `benchmarks()`) [default: all].
    #[arg(long, value_delimiter = ',')]
    pub sets: Option<Vec<String>>,
    /// Methods, comma-separated (`lehf`: hinf with neuron blocks).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [MethodArg::Rule(Method::Hinf), MethodArg::Rule(Method::Sd), MethodArg::Rule(Method::Adam)])]
    pub methods: Vec<MethodArg>,
    /// Storages of P, comma-separated: `hinf` runs once with each
    /// [default: structured].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub covariance: Option<Vec<CovarianceKind>>,
    /// R ≥ 1, the samples a window covariance keeps [default: 8].
    #[arg(long, value_name = "R")]
    pub memory: Option<usize>,
    /// Base seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run only shard K of N (1 ≤ K ≤ N) of the (run, seed) grid and
    /// write its `shard.json` into --out; `hinf merge` combines the N
    /// shards into this comparison's files. Run g, counted in the order
    /// of the report (set, depth, method, seed), is shard (g mod N) + 1's.
    #[arg(long, value_name = "K/N", value_parser = shard::parse_shard)]
    pub shard: Option<Shard>,
}

/// The learners of `--methods` × `--covariance`: `hinf` once per
/// covariance, the others once, in the order given, without repeats.
fn learners(a: &CompareArgs) -> Result<Vec<Learner>, UsageError> {
    let memory = a.memory.as_ref().map(core::slice::from_ref);
    check::storage(&a.methods, a.covariance.as_deref(), memory)?;
    let covariances = a
        .covariance
        .clone()
        .unwrap_or(vec![CovarianceKind::default()]);
    let mut out: Vec<Learner> = Vec::new();
    for m in &a.methods {
        let kinds = match m.covariance() {
            Some(c) => vec![c],
            None => covariances.clone(),
        };
        for c in kinds {
            let l = Learner::new(m.method(), c, a.memory);
            if !out.contains(&l) {
                out.push(l);
            }
        }
    }
    for l in &out {
        check::window_memory(l.covariance, l.memory, 1)?;
    }
    Ok(out)
}

/// The data sets `--sets` names (all by default), and the checks of the
/// other counts.
fn chosen_sets(a: &CompareArgs) -> Result<Vec<Benchmark>, UsageError> {
    let sets: Vec<Benchmark> = benchmarks()
        .into_iter()
        .filter(|b| {
            a.sets
                .as_ref()
                .is_none_or(|s| s.iter().any(|n| n == b.name))
        })
        .collect();
    if sets.is_empty() {
        return Err(UsageError("--sets: no known data set".into()));
    }
    check::at_least_one("--seeds", a.seeds as u64, "seed")?;
    check::at_least_one("--max-epochs", a.max_epochs.into(), "epoch")?;
    for &layers in &a.layers {
        hinf::ResNetSpec::xor(layers).map_err(|e| check::invalid("--layers", layers, e))?;
    }
    Ok(sets)
}

/// The deepest runs of each set and method must fit in memory, as many at
/// once as there are threads.
fn check_memory(
    a: &CompareArgs,
    sets: &[Benchmark],
    learners: &[Learner],
) -> Result<(), UsageError> {
    let deepest = a.layers.iter().copied().max().unwrap_or(5);
    let at_once = at_once(None, a.seeds);
    for b in sets {
        let target = [b.target.to_string()];
        let file = a.data_dir.join(b.file);
        let Ok((_, train, _)) =
            load_set(&file, &target, Task::Auto, b.standardize, b.split, a.seed)
        else {
            continue; // (reported by the run itself)
        };
        for l in learners {
            let spec = FitSpec {
                method: l.method,
                covariance: l.covariance,
                memory: l.memory,
                layers: deepest,
                max_epochs: a.max_epochs,
                ..FitSpec::default()
            };
            let (rows, n_in, n_out) = (train.len(), train.n_inputs, train.n_outputs);
            let Some(bytes) = memory::fit_bytes(&spec, n_in, n_out, rows, Precision::F64) else {
                continue;
            };
            let what = memory::describe(l.method, deepest, Some(b.name), a.max_epochs);
            let advice = "use smaller --layers or a lower --max-epochs";
            memory::check_available(bytes, at_once, &what, advice)?;
        }
    }
    Ok(())
}

/// `hinf compare`.
pub fn run(a: &CompareArgs) -> Result<(), Failure> {
    let sets = chosen_sets(a)?;
    let learners = learners(a)?;
    check_memory(a, &sets, &learners)?;
    check::output_dir("--out", &a.out)?;
    let start = Instant::now();
    let shard = a.shard.unwrap_or(Shard::ALL);
    let runs = run_grid(a, &sets, &learners, shard)?;
    if let Some(shard) = a.shard {
        let threads = rayon::current_num_threads();
        let mut file = shard::shard_file("compare", shared_settings(a), shard, threads);
        file.runs = runs;
        return shard::finish(file, &a.out, start);
    }
    let runs: Vec<Run> = runs.into_iter().map(CompareRecord::into_run).collect();
    let seconds = start.elapsed().as_secs_f64();
    let report = write_outputs(a, &sets, &learners, &runs, seconds)?;
    print_out(&format!(
        "total {seconds:.1} s; wrote {}\n",
        report.display()
    ));
    Ok(())
}

/// Runs `shard`'s seeds of every (set, depth, learner) batch in the
/// report's order, a line on stderr per batch; the runs in that order,
/// each with its index in the whole grid.
fn run_grid(
    a: &CompareArgs,
    sets: &[Benchmark],
    learners: &[Learner],
    shard: Shard,
) -> Result<Vec<CompareRecord>, Failure> {
    let mut runs = Vec::new();
    let mut batch_no = 0;
    for b in sets {
        for &layers in &a.layers {
            for &learner in learners {
                let t0 = Instant::now();
                let batch = Batch {
                    set: b,
                    data_dir: &a.data_dir,
                    layers,
                    learner,
                    seeds: a.seeds,
                    seed: a.seed,
                    max_epochs: a.max_epochs,
                };
                let indices = shard.indices(shard::compare_index(batch_no, a.seeds, 0), a.seeds);
                let r = run_some_seeds(&batch, &indices)?;
                eprintln!(
                    "{} L = {layers} {}: {}/{} reached the target ({:.1} s)",
                    b.name,
                    learner.name(),
                    r.iter().filter(|x| x.converged).count(),
                    r.len(),
                    t0.elapsed().as_secs_f64()
                );
                runs.extend(shard::compare_records(batch_no, a.seeds, &indices, r));
                batch_no += 1;
            }
        }
    }
    Ok(runs)
}

/// The settings all shards of a comparison share: the flags but
/// `--shard` and `--out`.
fn shared_settings(a: &CompareArgs) -> String {
    let mut s = a.clone();
    (s.shard, s.out) = (None, PathBuf::new());
    format!("{s:?}")
}

/// Writes the report, the figures and `results.json` of `runs` (in the
/// order of the grid) into `a.out`; returns the report's path.
fn write_outputs(
    a: &CompareArgs,
    sets: &[Benchmark],
    learners: &[Learner],
    runs: &[Run],
    seconds: f64,
) -> Result<PathBuf, Failure> {
    let what = CompareRun {
        data_dir: &a.data_dir,
        layers: &a.layers,
        seeds: a.seeds,
        max_epochs: a.max_epochs,
        sets: a.sets.as_deref(),
        learners,
        seed: a.seed,
    };
    let md = compare_markdown(runs, sets, &what, seconds);
    write_figures(a, sets, learners, runs)?;
    let report = a.out.join("report.md");
    report::write_text(&report, &md)?;
    report::write_json(&a.out.join("results.json"), &runs)?;
    Ok(report)
}

/// `hinf merge` of the shards of `hinf compare` `a`, checked to be one
/// run's: writes into `out` exactly the files the unsharded comparison
/// writes (its wall time the shards' summed); returns what to print.
pub fn merge(a: &CompareArgs, shards: &[ShardFile], out: &Path) -> Result<String, Failure> {
    let sets = chosen_sets(a)?;
    let learners = learners(a)?;
    let total = sets.len() * a.layers.len() * learners.len() * a.seeds;
    let runs = merge_runs(shards, total).map_err(UsageError)?;
    let seconds = shards.iter().map(|s| s.seconds).sum();
    let a = CompareArgs {
        out: out.to_path_buf(),
        ..a.clone()
    };
    report::create_dir(out)?;
    let report = write_outputs(&a, &sets, &learners, &runs, seconds)?;
    Ok(format!(
        "merged {} shards; wrote {}\n",
        shards.len(),
        report.display()
    ))
}

/// The learning curves of every set and method at the deepest depth.
fn write_figures(
    a: &CompareArgs,
    sets: &[Benchmark],
    learners: &[Learner],
    runs: &[Run],
) -> Result<(), Failure> {
    let deepest = *a.layers.iter().max().unwrap_or(&5);
    for b in sets {
        for learner in learners {
            let curves: Vec<&[f64]> = runs
                .iter()
                .filter(|r| r.set == b.name && r.learner == *learner && r.layers == deepest)
                .map(|r| r.curve.as_slice())
                .collect();
            let p = a
                .out
                .join(format!("{}-{}-L{deepest}.svg", b.name, learner.name()));
            let title = format!(
                "{}: {} at L = {deepest}, {} seeds",
                b.name,
                learner.title(),
                curves.len()
            );
            learning_curves(&p, &title, "training MSE", &curves, b.tol)?;
        }
    }
    Ok(())
}
