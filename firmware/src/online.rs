//! Online learning: the [`OnlineLearner`] trait (one learning step per
//! incoming sample) and the two stream-training runs over it, XOR until the
//! stopping rule holds ([`run_xor`]) and a streaming sensor calibration
//! with a falling running error ([`run_calibration`]).
//!
//! The concrete learner is [`crate::gehf_learner::Learner`]. Both runs
//! consume a [`SampleSource`] one sample at a time and make one
//! learner step per sample; they never panic and never allocate.

use crate::board::Counter;
use crate::gate::{Gate, Rejects};
use crate::source::{SampleSource, XOR_PATTERNS, ntc};

/// A learner that takes one sample at a time (one g-EHF step per sample).
pub trait OnlineLearner<const N: usize> {
    /// Why a step or a prediction failed.
    type Error: core::fmt::Debug + defmt::Format;
    /// The network's output for `x` at the current weights.
    fn predict(&mut self, x: &[f32; N]) -> Result<f32, Self::Error>;
    /// One learning step on (x, y); returns the a-priori error y − h(x)
    /// (before the update).
    fn step(&mut self, x: &[f32; N], y: f32) -> Result<f32, Self::Error>;
}

/// Why a run did not meet its target.
#[derive(Clone, Copy, Debug, PartialEq, defmt::Format)]
pub enum Failure<E> {
    /// The learner reported an error (diverged update, bad input, ...).
    Learner(E),
    /// The sample source failed.
    Source,
    /// The budget of samples ran out before the target was met.
    Budget,
}

/// Stopping rule and budget of the XOR run.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct XorConfig {
    /// Stop when ½ Σ over the 4 patterns of (y − h)² falls below this
    /// (the paper's "truncation error 10⁻²").
    pub tolerance: f32,
    /// Give up after this many epochs (passes of 4 samples).
    pub max_epochs: u32,
}

impl Default for XorConfig {
    /// The core's default stopping rule (`hinf::TrainConfig::default()`:
    /// ½ SSE < 0.01), at most 1000 epochs.
    fn default() -> Self {
        Self {
            tolerance: hinf::TrainConfig::default().tol as f32,
            max_epochs: 1000,
        }
    }
}

/// Outcome of the XOR run.
#[derive(Clone, Copy, Debug, Default, defmt::Format)]
pub struct XorReport {
    /// Epochs (passes of 4 samples) until the stopping rule held.
    pub epochs: u32,
    /// Learning steps made (= samples consumed).
    pub steps: u32,
    /// ½ Σ (y − h)² over the 4 patterns after the last epoch.
    pub error: f32,
    /// Counts ([`Counter`]) of all learning steps together.
    pub step_counts: u64,
    /// Largest count of a single learning step.
    pub max_step_counts: u32,
}

/// ½ Σ (y − h)² over the four XOR patterns at the current weights.
pub fn xor_error<L: OnlineLearner<2>>(learner: &mut L) -> Result<f32, L::Error> {
    let mut e = 0.0;
    for p in &XOR_PATTERNS {
        let d = p.y - learner.predict(&p.x)?;
        e += d * d;
    }
    Ok(0.5 * e)
}

/// Trains on XOR presented as a stream, one step per sample, checking the
/// stopping rule after every epoch of 4 samples.
pub fn run_xor<L, S>(
    learner: &mut L,
    source: &mut S,
    cfg: &XorConfig,
    counter: &Counter,
) -> Result<XorReport, (Failure<L::Error>, XorReport)>
where
    L: OnlineLearner<2>,
    S: SampleSource<2>,
{
    let mut r = XorReport::default();
    while r.epochs < cfg.max_epochs {
        for _ in 0..XOR_PATTERNS.len() {
            let s = source.next_sample().map_err(|_| (Failure::Source, r))?;
            let t0 = counter.now();
            learner
                .step(&s.x, s.y)
                .map_err(|e| (Failure::Learner(e), r))?;
            let dt = counter.since(t0);
            r.step_counts += u64::from(dt);
            r.max_step_counts = r.max_step_counts.max(dt);
            r.steps += 1;
        }
        r.epochs += 1;
        r.error = xor_error(learner).map_err(|e| (Failure::Learner(e), r))?;
        defmt::debug!("xor epoch {=u32}: error {=f32}", r.epochs, r.error);
        if r.error < cfg.tolerance {
            return Ok(r);
        }
    }
    Err((Failure::Budget, r))
}

/// Budget and target of the calibration run.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct CalibrationConfig {
    /// Samples to learn from.
    pub samples: u32,
    /// Log the running error every this many samples.
    pub report_every: u32,
    /// Pass if the RMS error over a noise-free grid of the range, in °C,
    /// is below this at the end.
    pub target_rms_c: f32,
}

/// Outcome of the calibration run.
#[derive(Clone, Copy, Debug, Default, defmt::Format)]
pub struct CalibrationReport {
    /// Learning steps made.
    pub steps: u32,
    /// Running RMS a-priori error (°C, exponentially weighted over ~100
    /// samples) at the first report.
    pub first_running_rms_c: f32,
    /// The same at the end.
    pub last_running_rms_c: f32,
    /// RMS error (°C) over the noise-free test grid at the start.
    pub initial_grid_rms_c: f32,
    /// RMS error (°C) over the noise-free test grid at the end.
    pub grid_rms_c: f32,
    /// Largest absolute error (°C) on the grid at the end.
    pub grid_max_c: f32,
}

/// Number of points of the noise-free test grid (0…100 °C).
pub const GRID_POINTS: u32 = 41;

/// RMS and max error (°C) of the learnt calibration over a noise-free grid
/// of temperatures spanning the range.
pub fn calibration_grid_error<L: OnlineLearner<1>>(
    learner: &mut L,
) -> Result<(f32, f32), L::Error> {
    let mut sq = 0.0f32;
    let mut max = 0.0f32;
    for i in 0..GRID_POINTS {
        let t = ntc::T_MIN + (ntc::T_MAX - ntc::T_MIN) * i as f32 / (GRID_POINTS - 1) as f32;
        let y = learner.predict(&[ntc::input(ntc::ratio_at(t))])?;
        let e = ntc::temperature_of(y) - t;
        sq += e * e;
        max = max.max(libm::fabsf(e));
    }
    Ok((libm::sqrtf(sq / GRID_POINTS as f32), max))
}

/// Learns the calibration curve online: one step per sample, logging the
/// running RMS error (°C) as it falls; passes if the final grid RMS error
/// is below the target.
pub fn run_calibration<L, S>(
    learner: &mut L,
    source: &mut S,
    cfg: &CalibrationConfig,
) -> Result<CalibrationReport, (Failure<L::Error>, CalibrationReport)>
where
    L: OnlineLearner<1>,
    S: SampleSource<1>,
{
    let mut r = CalibrationReport::default();
    let (rms0, _) = calibration_grid_error(learner).map_err(|e| (Failure::Learner(e), r))?;
    r.initial_grid_rms_c = rms0;
    // Exponentially weighted mean of the squared a-priori error (in °C²).
    let alpha = 0.01f32;
    let mut ewma = 0.0f32;
    let scale = (ntc::T_MAX - ntc::T_MIN) / 0.8; // output units → °C
    for k in 1..=cfg.samples {
        let s = source.next_sample().map_err(|_| (Failure::Source, r))?;
        let e = learner
            .step(&s.x, s.y)
            .map_err(|e| (Failure::Learner(e), r))?
            * scale;
        ewma = if k == 1 {
            e * e
        } else {
            ewma + alpha * (e * e - ewma)
        };
        r.steps = k;
        if k % cfg.report_every == 0 {
            let rms = libm::sqrtf(ewma);
            if r.first_running_rms_c == 0.0 {
                r.first_running_rms_c = rms;
            }
            r.last_running_rms_c = rms;
            defmt::info!(
                "calibration: {=u32} samples, running RMS error {=f32} C",
                k,
                rms
            );
        }
    }
    let (rms, max) = calibration_grid_error(learner).map_err(|e| (Failure::Learner(e), r))?;
    r.grid_rms_c = rms;
    r.grid_max_c = max;
    if rms < cfg.target_rms_c {
        Ok(r)
    } else {
        Err((Failure::Budget, r))
    }
}

/// Budget, stopping rule and screening of [`run_calibration_to_target`].
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct StreamConfig {
    /// Give up after this many samples read (good or bad).
    pub budget: u32,
    /// Check the grid error every this many learning steps.
    pub check_every: u32,
    /// Stop when the grid RMS error (°C) falls below this.
    pub target_rms_c: f32,
    /// What a sample must satisfy to be learnt from.
    pub gate: Gate,
}

/// Outcome of [`run_calibration_to_target`].
#[derive(Clone, Copy, Debug, Default, defmt::Format)]
pub struct StreamReport {
    /// Samples read, rejected ones included.
    pub samples: u32,
    /// Learning steps applied.
    pub steps: u32,
    /// Samples the gate rejected, by reason (the learner never saw them).
    pub rejects: Rejects,
    /// Steps the learner refused (it stays unchanged, e.g.
    /// `hinf::Error::Diverged`).
    pub refused: u32,
    /// RMS error (°C) over the noise-free grid at the start.
    pub initial_grid_rms_c: f32,
    /// The same at the end.
    pub grid_rms_c: f32,
    /// Largest absolute grid error (°C) at the end.
    pub grid_max_c: f32,
    /// Counts ([`Counter`]) of all learning steps together.
    pub step_counts: u64,
    /// Largest count of a single learning step.
    pub max_step_counts: u32,
}

/// Learns the calibration curve online until its grid RMS error is below
/// the target, checked every `check_every` steps: one step per sample that
/// passes the gate; a rejected sample or a refused step is counted and the
/// run goes on (the learner is unchanged by either). Fails only if the
/// budget runs out or the grid cannot be evaluated.
pub fn run_calibration_to_target<L, S>(
    learner: &mut L,
    source: &mut S,
    cfg: &StreamConfig,
    counter: &Counter,
) -> Result<StreamReport, (Failure<L::Error>, StreamReport)>
where
    L: OnlineLearner<1>,
    S: SampleSource<1>,
{
    let mut r = StreamReport::default();
    let grid = |l: &mut L, r: &StreamReport| {
        calibration_grid_error(l).map_err(|e| (Failure::Learner(e), *r))
    };
    r.initial_grid_rms_c = grid(learner, &r)?.0;
    let check_every = cfg.check_every.max(1);
    while r.samples < cfg.budget {
        r.samples += 1;
        let Some(s) = cfg.gate.admit(source, &mut r.rejects) else {
            continue;
        };
        let t0 = counter.now();
        let stepped = learner.step(&s.x, s.y);
        let dt = counter.since(t0);
        if stepped.is_err() {
            r.refused += 1;
            continue;
        }
        r.steps += 1;
        r.step_counts += u64::from(dt);
        r.max_step_counts = r.max_step_counts.max(dt);
        if r.steps.is_multiple_of(check_every) {
            (r.grid_rms_c, r.grid_max_c) = grid(learner, &r)?;
            defmt::info!(
                "calibration: {=u32} steps, grid RMS error {=f32} C",
                r.steps,
                r.grid_rms_c
            );
            if r.grid_rms_c < cfg.target_rms_c {
                return Ok(r);
            }
        }
    }
    Err((Failure::Budget, r))
}
