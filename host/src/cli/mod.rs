//! The `hinf` command line, the only place with clap types, usage errors
//! and exit codes: one file per subcommand, dispatched here.
//!
//! Exit status: 0 on success, 2 on a usage error (unknown flag, bad
//! value — always one line on stderr), 1 on a run-time failure (e.g. an
//! output directory that cannot be written), 130 when Ctrl-C stopped a
//! run ([`interrupt`]).

use std::ffi::OsString;

use clap::{Parser, Subcommand};

pub mod check;
pub mod compare;
pub mod eval;
pub mod fit;
pub mod r#gen;
pub mod interrupt;
pub mod merge;
pub mod output;
pub mod predict;
pub mod reproduce;
pub mod saddle;
pub mod settings;
pub mod shard;
pub mod sweep;
pub mod train;
mod values;

pub use check::UsageError;
pub use output::{Failure, print_json, print_out};

/// Exit status of a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit status of a run-time failure.
pub const EXIT_FAILURE: i32 = 1;

/// H∞-learning for deep sigmoid residual networks (Nishiyama): train the
/// paper's XOR nets at any depth and reproduce its section 5.
#[derive(Debug, Parser)]
#[command(
    name = "hinf",
    version,
    about = "H∞-learning for deep sigmoid ResNets: reproduce the paper, train XOR nets \
             at any depth, fit and compare on your own CSV data",
    long_about = None
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train many trials of one method at one depth and summarise them.
    Train(train::TrainArgs),
    /// Run the paper's Tables 1 and 2, steepest descent at L = 801 and
    /// Figures 3 and 4, and write a report beside the paper's numbers.
    Reproduce(reproduce::ReproduceArgs),
    /// Train on a CSV file (numeric features; numeric targets or a class
    /// column) and optionally save the model.
    Fit(fit::FitArgs),
    /// Evaluate a model saved by `fit --save` on a CSV file.
    Eval(eval::EvalArgs),
    /// Predict with a saved model, one CSV row per row of a CSV file.
    Predict(predict::PredictArgs),
    /// Write the generated data sets (two spirals, 4-bit parity, noisy sine).
    Gen(r#gen::GenArgs),
    /// Run a grid of settings (comma-separated lists) at chosen depths and
    /// write Markdown, CSV and a picture (epochs and failures against ε0).
    Sweep(Box<sweep::SweepArgs>),
    /// Compare H∞, steepest descent and Adam on the shipped data sets
    /// across depths and seeds; write a Markdown report with figures.
    Compare(compare::CompareArgs),
    /// Measure the paper's saddle argument (Fig. 1, section 5, eqs. 7–9):
    /// the error surface through the XOR saddle with the learners'
    /// trajectories, the spectra of Σ HᵢᵀHᵢ and P, the span fractions of
    /// the updates and P's gain along the solution; figures and CSV.
    Saddle(saddle::SaddleArgs),
    /// Combine the shards of a `reproduce`, `sweep` or `compare` run with
    /// `--shard K/N` into exactly the files the unsharded run writes.
    Merge(merge::MergeArgs),
}

/// Turns a clap error into one line (kind, offending value, allowed
/// values, tip), without the usage block.
/// `sub` is the subcommand given, if any (its help is the one to see).
pub fn one_line(err: &clap::Error, sub: Option<&str>) -> String {
    let text = err.render().to_string();
    let parts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| !l.starts_with("For more information"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut line = String::new();
    for p in &parts {
        if !line.is_empty() {
            // "…not provided:" runs on into its list; other lines are clauses.
            line += if line.ends_with(':') { " " } else { "; " };
        }
        line += p;
    }
    if !line.starts_with("error:") {
        line = format!("error: {line}");
    }
    match sub {
        Some(sub) => format!("{line} (see 'hinf {sub} --help')"),
        None => format!("{line} (see 'hinf --help')"),
    }
}

/// The subcommand named in `args` (program name first), if it is one.
fn subcommand_in(args: &[OsString]) -> Option<String> {
    use clap::CommandFactory;
    let first = args.get(1)?.to_str()?;
    let known = Cli::command()
        .get_subcommands()
        .any(|c| c.get_name() == first);
    known.then(|| first.to_string())
}

/// The subcommands' names, quoted, for the message of a missing one.
fn subcommands() -> String {
    use clap::CommandFactory;
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| format!("'{}'", c.get_name()))
        .collect();
    names.join(", ")
}

/// Parses `args` (program name first) and runs the command; returns the
/// exit status.
pub fn run<I, A>(args: I) -> i32
where
    I: IntoIterator<Item = A>,
    A: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    0
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    output::print_err(&format!(
                        "error: a subcommand is required: {} (see 'hinf --help')",
                        subcommands()
                    ));
                    EXIT_USAGE
                }
                _ => {
                    output::print_err(&one_line(&e, subcommand_in(&args).as_deref()));
                    EXIT_USAGE
                }
            };
        }
    };
    let result = match &cli.command {
        Command::Train(a) => train::run(a),
        Command::Reproduce(a) => reproduce::run(a),
        Command::Fit(a) => fit::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Gen(a) => r#gen::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Saddle(a) => saddle::run(a),
        Command::Merge(a) => merge::run(a),
    };
    match result {
        Ok(()) => 0,
        Err(Failure::Usage(u)) => {
            output::print_err(&format!("error: {u}"));
            EXIT_USAGE
        }
        Err(Failure::Run(m)) => {
            output::print_err(&format!("error: {m}"));
            EXIT_FAILURE
        }
        Err(Failure::Interrupted(m)) => {
            output::print_err(&m);
            interrupt::EXIT_INTERRUPTED
        }
    }
}
