//! `hinf saddle`: the paper's saddle argument measured (Fig. 1, section
//! 5, eqs. 7–9): the monkey saddle, the XOR ResNet's error surface on a
//! slice through its saddle with the learners' trajectories, and along
//! each learner's run the spectra of Σ HᵢᵀHᵢ and P, the span fractions
//! of its updates and P's gain along the solution. The measurements are
//! [`crate::study`]'s, the files [`crate::report::saddle`]'s.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::check::{self, UsageError};
use super::output::{Failure, print_out, run_err};
use crate::report;
use crate::report::saddle::write_saddle;
use crate::settings::saddle::{
    COVARIANCE_LAYERS, GRID, SEEDS, SLICE_LAYERS, SPAN_EPOCHS, SPECTRUM_LAYERS,
};
use crate::settings::{DEFAULT_MEMORY, SaddleSpec};
use crate::study::saddle_study;

/// Most points a side of a surface grid.
const MAX_GRID: usize = 401;

/// `hinf saddle`.
#[derive(Debug, Clone, Args)]
pub struct SaddleArgs {
    /// Directory for the figures (SVG), the CSV files and summary.md.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Base seed: every run starts from trial 0's weights of this seed
    /// (the covariance comparison from trials 0 … --seeds − 1).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Depths of the error-surface slices, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = SLICE_LAYERS)]
    pub slice_layers: Vec<usize>,
    /// Depths of the spectra and span fractions, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = SPECTRUM_LAYERS)]
    pub spectrum_layers: Vec<usize>,
    /// Depths at which the l-EHF and the two windows are measured too.
    #[arg(long, value_delimiter = ',', default_values_t = COVARIANCE_LAYERS)]
    pub covariance_layers: Vec<usize>,
    /// Epochs over which the per-step measurements run.
    #[arg(long, default_value_t = SPAN_EPOCHS)]
    pub span_epochs: u32,
    /// Epoch cap of the slices' runs [default: each method's cap].
    #[arg(long)]
    pub max_epochs: Option<u32>,
    /// Points a side of each surface grid.
    #[arg(long, default_value_t = GRID)]
    pub grid: usize,
    /// R, the samples the windows keep.
    #[arg(long, value_name = "R", default_value_t = DEFAULT_MEMORY)]
    pub memory: usize,
    /// Trials (initial weights) of the covariance comparison, the
    /// trials 0 … N − 1 of --seed.
    #[arg(long, value_name = "N", default_value_t = SEEDS)]
    pub seeds: usize,
}

/// The [`SaddleSpec`] of `a`, checked.
fn spec_of(a: &SaddleArgs) -> Result<SaddleSpec, UsageError> {
    let depths = [
        ("--slice-layers", &a.slice_layers),
        ("--spectrum-layers", &a.spectrum_layers),
        ("--covariance-layers", &a.covariance_layers),
    ];
    for (flag, list) in depths {
        for &l in list.iter() {
            hinf::ResNetSpec::xor(l).map_err(|e| check::invalid(flag, l, e))?;
        }
    }
    check::at_least_one("--span-epochs", a.span_epochs.into(), "epoch")?;
    check::at_least_one("--max-epochs", a.max_epochs.map_or(1, u64::from), "epoch")?;
    check::at_least_one("--memory", a.memory as u64, "sample")?;
    check::at_least_one("--seeds", a.seeds as u64, "seed")?;
    let memory = Some(a.memory);
    check::window_memory(crate::settings::CovarianceKind::InfoWindow, memory, 1)?;
    if !(2..=MAX_GRID).contains(&a.grid) {
        let why = format!("need 2 to {MAX_GRID} points a side");
        return Err(check::invalid("--grid", a.grid, why));
    }
    Ok(SaddleSpec {
        seed: a.seed,
        slice_layers: a.slice_layers.clone(),
        spectrum_layers: a.spectrum_layers.clone(),
        covariance_layers: a.covariance_layers.clone(),
        span_epochs: a.span_epochs,
        max_epochs: a.max_epochs,
        grid: a.grid,
        memory: a.memory,
        seeds: a.seeds,
    })
}

/// `hinf saddle`.
pub fn run(a: &SaddleArgs) -> Result<(), Failure> {
    let spec = spec_of(a)?;
    check::output_dir("--out", &a.out)?;
    let start = Instant::now();
    let study = saddle_study(&spec).map_err(run_err)?;
    report::create_dir(&a.out)?;
    let files = write_saddle(&a.out, &study)?;
    let seconds = start.elapsed().as_secs_f64();
    print_out(&format!(
        "total {seconds:.1} s; wrote {} files into {}\n",
        files.len(),
        a.out.display()
    ));
    Ok(())
}
