//! Probe (not part of the harness; issue 15, the online run): an f32
//! sigmoid ResNet learning online, one g-EHF step per sample, from an
//! endless stream whose target drifts, with a bounded-memory covariance —
//! the information window `InfoWindow` (eq. 7 over the last r samples) or
//! `BlockCovariance` per neuron — and `P` checked positive definite by
//! Cholesky along the way.
//!
//! ```text
//! cargo run --release -p host --example online_drift -- \
//!     [--layers 101] [--updates 1000000] [--covariance window|neuron-blocks] \
//!     [--memory 8] [--check-every 1] [--report-every 10000] [--trust-region] \
//!     [--gamma 1.7] [--eps0 E] [--process-noise Q] [--floor F] \
//!     [--period 100000] [--seed 1]
//! ```
//!
//! **The stream** (seeded, `Xoshiro256PlusPlus::seed_from_u64(seed)`: the
//! initial weights, uniform in ±0.05, are drawn first, then the samples):
//! inputs `x` uniform in [0, 1]², target
//! `y_t(x) = 0.5 + 0.35 sin(3 x1 + 2 x2 + 2π t / T)`, t the update index
//! and T = `--period`: a smooth ridge (a little less than one period of
//! the sine across the input square) travelling through the inputs, once
//! every T updates. The network is `ResNetSpec::xor(L)`'s shape: 2
//! inputs, width 5, one sigmoid output (η0 = 2.5), whose range (0, 1)
//! holds the targets [0.15, 0.85].
//!
//! **The filter**: γ_f = 1.7 and ε0 = 10 (the printed step), or with
//! `--trust-region` the extension `TrustRegion::RECOMMENDED` at
//! ε0 = 1000; `--gamma`, `--eps0` override. No process noise unless
//! `--process-noise Q` (`P ← P + qI` after each step) or a diagonal floor
//! `--floor F`; the window refuses both (it has no information form for
//! them).
//!
//! **The check**: every `--check-every K` updates (default every update)
//! `Covariance::is_positive_definite` — for the window a fresh Cholesky of
//! its Gram system `A = D⁻¹ + ε0 J Jᵀ` (which makes `P` positive definite),
//! for blocks a Cholesky of every block `P_j`.
//!
//! **The report**, every `--report-every` updates: the RMS a-priori error
//! `y − h(ŵ)` over those updates; the RMS error of the best constant
//! predictor over the same updates (in hindsight: their mean target, so
//! the targets' standard deviation); the mean `s = h P hᵀ` (the gain's
//! size); `P`'s smallest and largest diagonal entry; the filter's `Health`
//! counters; the checks done and failed. At the end the time per update.
//!
//! Exit status 1 if a check fails, if `P`'s smallest diagonal entry at a
//! report is not positive (as the covariance evaluates it in f32: then
//! `P` is not positive definite, whatever its Gram system says), or if a
//! step returns an error other than a refusal (`Error::Diverged`: the filter declined the step and changed
//! nothing; refusals are counted, in `Health::rejected` too); 2 on bad
//! arguments or a setting the core refuses before the first update.
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hinf::{
    BlockCovariance, BlockLayout, Blocking, Covariance, EXTENSION_EPS0, Error, Extension,
    FactoredShape, GEhf, GEhfConfig, InfoWindow, PAPER_INIT_RANGE, Regularization, ResNet,
    ResNetSpec, TrustRegion, packed_len,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Which bounded-memory covariance holds `P`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `InfoWindow` over the last `--memory` samples.
    Window,
    /// `BlockCovariance` with `Blocking::PerNeuron`.
    NeuronBlocks,
}

/// The command line.
#[derive(Debug, Clone)]
struct Options {
    layers: usize,
    updates: u64,
    kind: Kind,
    memory: usize,
    check_every: u64,
    report_every: u64,
    trust_region: bool,
    gamma: f64,
    eps0: Option<f64>,
    process_noise: f64,
    floor: f64,
    period: f64,
    seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            layers: 101,
            updates: 1_000_000,
            kind: Kind::Window,
            memory: 8,
            check_every: 1,
            report_every: 10_000,
            trust_region: false,
            gamma: hinf::PAPER_GAMMA,
            eps0: None,
            process_noise: 0.0,
            floor: 0.0,
            period: 100_000.0,
            seed: 1,
        }
    }
}

impl Options {
    /// Parses the arguments after the program name.
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut o = Self::default();
        while let Some(flag) = args.next() {
            if flag == "--trust-region" {
                o.trust_region = true;
                continue;
            }
            let value = args.next().ok_or(format!("{flag} needs a value"))?;
            o.set(&flag, &value)?;
        }
        if o.check_every == 0 || o.report_every == 0 || !(o.period.is_finite() && o.period > 0.0) {
            return Err("--check-every, --report-every and --period must be > 0".into());
        }
        Ok(o)
    }

    /// Sets the option `flag` to `value`.
    fn set(&mut self, flag: &str, value: &str) -> Result<(), String> {
        let bad = || format!("bad value {value:?} for {flag}");
        match flag {
            "--layers" => self.layers = value.parse().map_err(|_| bad())?,
            "--updates" => self.updates = value.parse().map_err(|_| bad())?,
            "--memory" => self.memory = value.parse().map_err(|_| bad())?,
            "--check-every" => self.check_every = value.parse().map_err(|_| bad())?,
            "--report-every" => self.report_every = value.parse().map_err(|_| bad())?,
            "--gamma" => self.gamma = value.parse().map_err(|_| bad())?,
            "--eps0" => self.eps0 = Some(value.parse().map_err(|_| bad())?),
            "--process-noise" => self.process_noise = value.parse().map_err(|_| bad())?,
            "--floor" => self.floor = value.parse().map_err(|_| bad())?,
            "--period" => self.period = value.parse().map_err(|_| bad())?,
            "--seed" => self.seed = value.parse().map_err(|_| bad())?,
            "--covariance" => {
                self.kind = match value {
                    "window" => Kind::Window,
                    "neuron-blocks" => Kind::NeuronBlocks,
                    _ => return Err(bad()),
                }
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
        Ok(())
    }

    /// ε0: `--eps0`, else 1000 with the trust region and 10 without.
    fn eps0(&self) -> f64 {
        self.eps0.unwrap_or(if self.trust_region {
            EXTENSION_EPS0
        } else {
            hinf::DEFAULT_EPS0
        })
    }

    /// The filter's parameters.
    fn config(&self) -> GEhfConfig {
        GEhfConfig {
            gamma: self.gamma,
            eps0: self.eps0(),
            ..GEhfConfig::default()
        }
    }

    /// The extension: the recommended trust region, or none.
    fn extension(&self) -> Extension {
        if self.trust_region {
            Extension::OutputTrustRegion(TrustRegion::RECOMMENDED)
        } else {
            Extension::None
        }
    }

    /// Process noise and floor, if any.
    fn regularization(&self) -> Regularization {
        Regularization {
            process_noise: self.process_noise,
            diagonal_floor: self.floor,
            ..Regularization::NONE
        }
    }
}

/// The drifting target `y_t(x) = 0.5 + 0.35 sin(3 x1 + 2 x2 + 2π t / T)`.
fn target(x: [f64; 2], t: u64, period: f64) -> f64 {
    let phase = 3.0 * x[0] + 2.0 * x[1] + std::f64::consts::TAU * t as f64 / period;
    0.5 + 0.35 * phase.sin()
}

/// A uniform number in [0, 1) from 53 random bits.
fn uniform01(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Sample t of the stream: x uniform in [0, 1]², and its target.
fn sample(rng: &mut impl Rng, t: u64, period: f64) -> ([f32; 2], f32) {
    let x = [uniform01(rng), uniform01(rng)];
    let y = target(x, t, period);
    ([x[0] as f32, x[1] as f32], y as f32)
}

/// Sums over the updates since the last report.
#[derive(Debug, Default, Clone, Copy)]
struct Interval {
    /// Samples.
    n: u64,
    /// Σ e², Σ y, Σ y² over them.
    e2: f64,
    y: f64,
    y2: f64,
    /// Steps applied (not refused), and their Σ s.
    steps: u64,
    s: f64,
}

impl Interval {
    /// Adds one sample's a-priori error `e` and target `y`, and `s = h P hᵀ`
    /// if its step was applied.
    fn add(&mut self, e: f32, y: f32, s: Option<f32>) {
        let (e, y) = (f64::from(e), f64::from(y));
        self.n += 1;
        self.e2 += e * e;
        self.y += y;
        self.y2 += y * y;
        if let Some(s) = s {
            self.steps += 1;
            self.s += f64::from(s);
        }
    }

    /// The RMS a-priori error.
    fn rms(&self) -> f64 {
        (self.e2 / self.n.max(1) as f64).sqrt()
    }

    /// The RMS error of the best constant (the mean target).
    fn rms_constant(&self) -> f64 {
        let n = self.n.max(1) as f64;
        let mean = self.y / n;
        (self.y2 / n - mean * mean).max(0.0).sqrt()
    }

    /// The mean `s` of the applied steps (NaN if none).
    fn mean_s(&self) -> f64 {
        self.s / self.steps as f64
    }
}

/// What the whole run counted.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    updates: u64,
    refusals: u64,
    checks: u64,
    failed_checks: u64,
    step_time: Duration,
    check_time: Duration,
    /// The first refusal: its update and what the filter named.
    first_refusal: Option<(u64, &'static str)>,
    /// The first update after which a check failed.
    first_failure: Option<u64>,
    /// Reports at which `P`'s smallest diagonal entry, as the covariance
    /// evaluates it, was not positive (then `P` is not positive definite,
    /// whatever the Cholesky check said), and the first such update.
    bad_diagonals: u64,
    first_bad_diagonal: Option<u64>,
    /// The last report interval.
    last: Interval,
}

impl Totals {
    /// `true` if no check failed and every reported diagonal was positive.
    fn passed(&self) -> bool {
        self.failed_checks == 0 && self.bad_diagonals == 0
    }
}

/// The network and filter, and the stream's generator, for one run.
struct Run<C> {
    net: ResNet<f32, Vec<f32>>,
    filter: GEhf<f32, C, Vec<f32>>,
    rng: Xoshiro256PlusPlus,
    /// Cholesky scratch for the check.
    scratch: Vec<f32>,
}

/// The initial network, and the generator left to draw the stream.
fn network(o: &Options) -> hinf::Result<(ResNet<f32, Vec<f32>>, Xoshiro256PlusPlus)> {
    let spec = ResNetSpec::xor(o.layers)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(o.seed);
    let mut net = ResNet::new(spec, vec![0.0f32; spec.buffer_len()])?;
    net.init_uniform(&mut rng, PAPER_INIT_RANGE)?;
    Ok((net, rng))
}

/// A run with covariance `cov` and a check scratch of `scratch` elements.
fn build<C: Covariance<f32>>(o: &Options, cov: C, scratch: usize) -> hinf::Result<Run<C>> {
    let (net, rng) = network(o)?;
    let n = net.spec().n_weights();
    let filter = GEhf::new(o.config(), cov, vec![0.0f32; 2 * n])?
        .with_extension(o.extension())?
        .with_regularization(o.regularization())?;
    Ok(Run {
        net,
        filter,
        rng,
        scratch: vec![0.0f32; scratch],
    })
}

impl<C: Covariance<f32>> Run<C> {
    /// Runs the stream for `o.updates` updates, reporting as it goes;
    /// stops early only at an error that is not a refusal.
    fn run(&mut self, o: &Options) -> hinf::Result<Totals> {
        let mut totals = Totals::default();
        let mut interval = Interval::default();
        for t in 0..o.updates {
            let (x, y) = sample(&mut self.rng, t, o.period);
            let start = Instant::now();
            let stepped = self.filter.step(&mut self.net, &x, &[y]);
            totals.step_time += start.elapsed();
            match stepped {
                Ok(r) => interval.add(r.error, y, Some(r.hph)),
                Err(Error::Diverged { what }) => {
                    totals.refusals += 1;
                    totals.first_refusal.get_or_insert((t + 1, what));
                    let out = self.net.forward(&x)?[0];
                    interval.add(y - out, y, None);
                }
                Err(e) => return Err(e),
            }
            totals.updates = t + 1;
            if totals.updates.is_multiple_of(o.check_every) {
                self.check(&mut totals)?;
            }
            if totals.updates.is_multiple_of(o.report_every) || totals.updates == o.updates {
                self.report(&mut totals, &interval);
                totals.last = interval;
                interval = Interval::default();
            }
        }
        Ok(totals)
    }

    /// One Cholesky check of `P`, timed and counted.
    fn check(&mut self, totals: &mut Totals) -> hinf::Result<()> {
        let start = Instant::now();
        let pd = self
            .filter
            .covariance()
            .is_positive_definite(&mut self.scratch)?;
        totals.check_time += start.elapsed();
        totals.checks += 1;
        if !pd {
            totals.failed_checks += 1;
            if totals.first_failure.is_none() {
                totals.first_failure = Some(totals.updates);
                eprintln!("P not positive definite after update {}", totals.updates);
            }
        }
        Ok(())
    }

    /// One report line (see [`header`]); counts a diagonal with an entry
    /// ≤ 0 (or NaN).
    fn report(&self, totals: &mut Totals, interval: &Interval) {
        let (lo, hi) = self.filter.covariance().diagonal_bounds();
        if !(lo.is_finite() && lo > 0.0) {
            totals.bad_diagonals += 1;
            totals.first_bad_diagonal.get_or_insert(totals.updates);
        }
        let h = self.filter.health();
        println!(
            "{:>9} {:>9.5} {:>9.5} {:>10.3e} {:>10.3e} {:>10.3e} {:>9} {:>6} {:>6} {:>6} {:>9} {:>5}",
            totals.updates,
            interval.rms(),
            interval.rms_constant(),
            interval.mean_s(),
            lo,
            hi,
            h.steps,
            h.rejected,
            h.floor_interventions,
            h.regularization_skipped,
            totals.checks,
            totals.failed_checks,
        );
    }
}

/// The column names of [`Run::report`].
fn header() -> &'static str {
    "  updates   rms_err rms_const     mean_s     P_min      P_max     steps refuse  floor regskp pd_checks pd_fail"
}

/// The window `InfoWindow` of `o.memory` samples, its rows by their
/// per-neuron factors (as `--covariance info-window`), and its check
/// scratch.
fn window(o: &Options, spec: &ResNetSpec) -> hinf::Result<(InfoWindow<f32, Vec<f32>>, usize)> {
    let shape = FactoredShape::new(spec, o.memory);
    let storage = vec![0.0f32; shape.storage_len()];
    let cov = InfoWindow::factored(shape, o.eps0() as f32, storage)?;
    Ok((cov, packed_len(shape.window().rows())))
}

/// The neuron-block covariance.
type Blocks = BlockCovariance<f32, Vec<usize>, Vec<f32>>;

/// `BlockCovariance` per neuron, and its check scratch (the largest
/// block's triangle).
fn neuron_blocks(o: &Options, spec: &ResNetSpec) -> hinf::Result<(Blocks, usize)> {
    let k = Blocking::PerNeuron;
    let layout = BlockLayout::per_neuron(spec, vec![0; k.layout_len(spec)])?;
    let largest = (0..layout.blocks())
        .filter_map(|j| layout.block(j))
        .map(|b| packed_len(b.len()))
        .max()
        .unwrap_or(0);
    let cov = BlockCovariance::new(layout, o.eps0() as f32, vec![0.0f32; k.packed_len(spec)])?;
    Ok((cov, largest))
}

/// Why a run did not finish.
#[derive(Debug)]
enum Failure {
    /// The core refused a setting (a depth, ε0, a window with process
    /// noise, …) before the first update.
    Setup(Error),
    /// A step or a check failed with an error that is not a refusal.
    Run(Error),
}

/// Builds the run of `o`, runs it and prints the summary.
fn run(o: &Options) -> Result<Totals, Failure> {
    let spec = ResNetSpec::xor(o.layers).map_err(Failure::Setup)?;
    let start = Instant::now();
    let totals = match o.kind {
        Kind::Window => {
            let (cov, scratch) = window(o, &spec).map_err(Failure::Setup)?;
            let mut r = build(o, cov, scratch).map_err(Failure::Setup)?;
            describe(o, &spec);
            r.run(o).map_err(Failure::Run)?
        }
        Kind::NeuronBlocks => {
            let (cov, scratch) = neuron_blocks(o, &spec).map_err(Failure::Setup)?;
            let mut r = build(o, cov, scratch).map_err(Failure::Setup)?;
            describe(o, &spec);
            r.run(o).map_err(Failure::Run)?
        }
    };
    summary(&totals, start.elapsed());
    Ok(totals)
}

/// The run's settings, then the column names.
fn describe(o: &Options, spec: &ResNetSpec) {
    let cov = match o.kind {
        Kind::Window => format!("information window r = {}", o.memory),
        Kind::NeuronBlocks => "neuron blocks".to_string(),
    };
    println!(
        "online drift: L = {} (N_w = {}), f32, {cov}, gamma = {}, eps0 = {}, {}, q = {}, floor = {}",
        o.layers,
        spec.n_weights(),
        o.gamma,
        o.eps0(),
        if o.trust_region {
            "trust region"
        } else {
            "printed step"
        },
        o.process_noise,
        o.floor,
    );
    println!(
        "target 0.5 + 0.35 sin(3 x1 + 2 x2 + 2 pi t / {}), x uniform in [0,1]^2, seed {}; \
         {} updates, check every {}, report every {}",
        o.period, o.seed, o.updates, o.check_every, o.report_every
    );
    println!("{}", header());
}

/// The last lines: the first refusal and failed check, the final
/// interval's errors, the counts, µs per update.
fn summary(t: &Totals, wall: Duration) {
    if let Some((k, what)) = t.first_refusal {
        println!("first refusal: update {k} ({what})");
    }
    if let Some(k) = t.first_failure {
        println!("first failed check: after update {k}");
    }
    if let Some(k) = t.first_bad_diagonal {
        println!(
            "P's diagonal had an entry <= 0 at {} reports, first after update {k}",
            t.bad_diagonals
        );
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / t.updates.max(1) as f64;
    println!(
        "final: rms_err {:.5} vs constant {:.5} (ratio {:.3}); pd checks {} failed {}; \
         refusals {}; {:.2} us/update ({:.2} step, {:.2} check), {:.1} s",
        t.last.rms(),
        t.last.rms_constant(),
        t.last.rms() / t.last.rms_constant(),
        t.checks,
        t.failed_checks,
        t.refusals,
        per(wall),
        per(t.step_time),
        per(t.check_time),
        wall.as_secs_f64(),
    );
}

fn main() -> ExitCode {
    let o = match Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("online_drift: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(t) if t.passed() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(Failure::Setup(e)) => {
            eprintln!("online_drift: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("online_drift: {e}");
            ExitCode::FAILURE
        }
    }
}
