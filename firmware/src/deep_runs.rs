//! The deep phases of the firmware: XOR as a stream at L = 101 (L = 1001
//! with feature `mps2-an500`) to the paper's stopping rule, then the
//! thermistor calibration at L = 101 to
//! its target error through the [`Gate`], with bad samples slipped into
//! the stream ([`Injecting`]). Both must end bit for bit where the host's
//! `f32` runs end ([`reference`], `DEEP_*`, from `refgen`).

use crate::board::{self, Cost, Counter};
use crate::deep::Setting;
use crate::deep::{self, DEEP_BUFFER_BYTES, DEEP_LAYERS, DEEP_MEMORY, DeepBuffers, DeepLearner};
use crate::fmt::Fixed;
use crate::gate::{Gate, Injecting};
use crate::online::{self, OnlineLearner, StreamConfig, XorConfig};
use crate::source::{CalibrationStream, XorStream};
use crate::{measure, println, reference};

/// What the host's `f32` run of the deep XOR stream gave (refgen).
#[derive(Clone, Copy, Debug)]
pub struct HostXor {
    /// Depth L.
    pub layers: usize,
    /// Epochs to the stopping rule.
    pub epochs: u32,
    /// ½ SSE at the end.
    pub error: f32,
}

/// The host's deep XOR run for this build's depth.
#[cfg(not(any(feature = "mps2-an500", feature = "stm32f411")))]
pub const XOR_HOST: HostXor = HostXor {
    layers: reference::DEEP_LAYERS,
    epochs: reference::DEEP_XOR_EPOCHS,
    error: reference::DEEP_XOR_ERROR,
};
/// The host's deep XOR run for this build's depth.
#[cfg(feature = "stm32f411")]
pub const XOR_HOST: HostXor = HostXor {
    layers: reference::DEEP_F411_LAYERS,
    epochs: reference::DEEP_F411_XOR_EPOCHS,
    error: reference::DEEP_F411_XOR_ERROR,
};
/// The host's deep XOR run for this build's depth.
#[cfg(feature = "mps2-an500")]
pub const XOR_HOST: HostXor = HostXor {
    layers: reference::DEEP_M7_LAYERS,
    epochs: reference::DEEP_M7_XOR_EPOCHS,
    error: reference::DEEP_M7_XOR_ERROR,
};

// The host's runs (refgen) are of this learner (and of this depth, unless
// `HINF_DEEP_BLOCKS` set another).
const _: () = assert!(reference::DEEP_MEMORY == DEEP_MEMORY);
const _: () = assert!(reference::DEEP_XOR_EPS0 == Setting::XOR.eps0);
const _: () = assert!(reference::DEEP_CAL_EPS0 == Setting::ONLINE.eps0);

/// The host's deep calibration run for this build's depth: steps,
/// steps refused, grid RMS (°C) at the end.
#[cfg(not(feature = "stm32f411"))]
const CAL_HOST: (u32, u32, f32) = (
    reference::DEEP_CAL_STEPS,
    reference::DEEP_CAL_REFUSED,
    reference::DEEP_CAL_RMS_C,
);
/// The host's deep calibration run for this build's depth: steps,
/// steps refused, grid RMS (°C) at the end.
#[cfg(feature = "stm32f411")]
const CAL_HOST: (u32, u32, f32) = reference::DEEP_F411_CAL;

/// A bad sample every this many reads of the calibration stream.
pub const INJECT_EVERY: u32 = 101;
/// Bytes of stack painted to measure one deep step.
const STACK_PAINT: usize = 12 * 1024;

/// The step counter and what turns its counts into instructions or time.
#[derive(Clone, Copy)]
pub struct Meter<'a> {
    /// The counter.
    pub counter: &'a Counter,
    /// Counts of 2 000 000 instructions (the delay-loop calibration).
    pub per_2m: u32,
    /// The core clock, Hz.
    pub sysclk_hz: u32,
}

impl Meter<'_> {
    fn cost(&self, counts: u32) -> Cost {
        self.counter.cost(counts, self.per_2m, self.sysclk_hz)
    }
}

/// Bytes of stack one deep step takes (XOR pattern 0 from fresh weights);
/// `None` if the learner cannot be built or stepped.
fn step_stack_depth(buffers: &mut DeepBuffers) -> Option<usize> {
    let mut l = DeepLearner::new(
        buffers,
        deep::spec(2).ok()?,
        Setting::XOR,
        reference::DEEP_SEED,
    )
    .ok()?;
    let painted = measure::paint_stack(STACK_PAINT);
    let first = OnlineLearner::<2>::step(&mut l, &[-1.0, -1.0], 0.0);
    let stack = measure::painted_stack_used(painted);
    first.ok().map(|_| stack)
}

/// XOR as a stream at L = [`DEEP_LAYERS`] with [`Setting::XOR`] until
/// ½ SSE < 0.01; passes if it converged in the host's epochs at the host's
/// error, bit for bit.
pub fn learn_xor(buffers: &mut DeepBuffers, meter: &Meter<'_>) -> bool {
    let Some(stack) = step_stack_depth(buffers) else {
        println!("deep xor: FAILED: the learner cannot be built or stepped");
        return false;
    };
    let Ok(spec) = deep::spec(2) else {
        return false;
    };
    let Ok(mut l) = DeepLearner::new(buffers, spec, Setting::XOR, reference::DEEP_SEED) else {
        return false;
    };
    let cfg = XorConfig {
        max_epochs: reference::DEEP_XOR_MAX_EPOCHS,
        ..XorConfig::default()
    };
    let r = match online::run_xor(&mut l, &mut XorStream::new(), &cfg, meter.counter) {
        Ok(r) => r,
        Err((why, r)) => {
            defmt::error!("deep xor: failed ({})", why);
            println!(
                "deep xor: FAILED after {} epochs, 1/2 SSE = {}",
                r.epochs,
                Fixed(r.error, 5)
            );
            return false;
        }
    };
    let same = XOR_HOST.layers == DEEP_LAYERS
        && r.epochs == XOR_HOST.epochs
        && r.error.to_bits() == XOR_HOST.error.to_bits();
    let mean = (r.step_counts / u64::from(r.steps.max(1))) as u32;
    println!(
        "deep xor (L = {}, N_w = {}, window R = {}, trust region, eps0 = {}): converged after {} epochs ({} steps), 1/2 SSE = {}; host (L = {}): {} epochs; bit-identical to the host: {}",
        DEEP_LAYERS,
        spec.n_weights(),
        DEEP_MEMORY,
        Fixed(Setting::XOR.eps0 as f32, 0),
        r.epochs,
        r.steps,
        Fixed(r.error, 5),
        XOR_HOST.layers,
        XOR_HOST.epochs,
        same
    );
    report_step("deep xor", mean, r.max_step_counts, Some(stack), meter);
    same
}

/// A step's stack depth as the logs show it.
struct StackNote(Option<usize>);

impl core::fmt::Display for StackNote {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(s) if s >= STACK_PAINT => write!(f, "stack {s} bytes or more"),
            Some(s) => write!(f, "stack {s} bytes"),
            None => f.write_str("stack not measured in this run"),
        }
    }
}

/// Prints the cost of a deep step and the learner's bytes.
fn report_step(what: &str, mean: u32, max: u32, stack: Option<usize>, meter: &Meter<'_>) {
    let stack = StackNote(stack);
    if meter.counter.counts_cycles() {
        println!(
            "{} step (L = {}): mean {}, max {} cycles; {}; learner buffers {} bytes",
            what,
            DEEP_LAYERS,
            meter.cost(mean),
            max,
            stack,
            DEEP_BUFFER_BYTES
        );
    } else {
        println!(
            "{} step (L = {}): mean {} max {} counts = {} instructions; {}; learner buffers {} bytes",
            what,
            DEEP_LAYERS,
            mean,
            max,
            board::instructions(u64::from(mean), meter.per_2m),
            stack,
            DEEP_BUFFER_BYTES
        );
    }
}

/// The calibration at L = [`DEEP_LAYERS`] (1 input) with
/// [`Setting::ONLINE`], to the host's target, with a bad sample every
/// [`INJECT_EVERY`] reads; passes if the target was met in the host's
/// number of steps at the host's error, bit for bit, and every injected
/// sample was rejected.
pub fn learn_calibration(buffers: &mut DeepBuffers, meter: &Meter<'_>) -> bool {
    let Ok(spec) = deep::spec(1) else {
        return false;
    };
    let Ok(mut l) = DeepLearner::new(buffers, spec, Setting::ONLINE, reference::DEEP_SEED) else {
        return false;
    };
    let cfg = StreamConfig {
        budget: reference::DEEP_CAL_BUDGET,
        check_every: reference::DEEP_CAL_CHECK_EVERY,
        target_rms_c: reference::DEEP_CAL_TARGET_C,
        gate: Gate::UNIT,
    };
    let (seed, adc, reference_c) = reference::DEEP_CAL_STREAM;
    let mut stream = Injecting::new(CalibrationStream::new(seed, adc, reference_c), INJECT_EVERY);
    let outcome = online::run_calibration_to_target(&mut l, &mut stream, &cfg, meter.counter);
    let (ok, r) = match outcome {
        Ok(r) => (true, r),
        Err((_, r)) => (false, r),
    };
    let (host_steps, host_refused, host_rms) = CAL_HOST;
    let same = ok
        && XOR_HOST.layers == DEEP_LAYERS
        && r.steps == host_steps
        && r.refused == host_refused
        && r.grid_rms_c.to_bits() == host_rms.to_bits();
    let all_rejected = r.rejects.total() == stream.injected();
    println!(
        "deep calibration (L = {}, N_w = {}, window R = {}, printed step, eps0 = {}): {}{} steps, grid RMS {} C (max {} C, initially {} C), target < {} C; host: {} steps; bit-identical to the host: {}",
        DEEP_LAYERS,
        spec.n_weights(),
        DEEP_MEMORY,
        Fixed(Setting::ONLINE.eps0 as f32, 0),
        if ok { "" } else { "FAILED after " },
        r.steps,
        Fixed(r.grid_rms_c, 3),
        Fixed(r.grid_max_c, 3),
        Fixed(r.initial_grid_rms_c, 3),
        Fixed(cfg.target_rms_c, 3),
        host_steps,
        same
    );
    println!(
        "deep calibration stream: {} samples read, {} bad ones injected; rejected {} (source error {}, non-finite {}, out of range {}); {} steps refused",
        r.samples,
        stream.injected(),
        r.rejects.total(),
        r.rejects.source,
        r.rejects.non_finite,
        r.rejects.out_of_range,
        r.refused
    );
    let mean = (r.step_counts / u64::from(r.steps.max(1))) as u32;
    report_step("deep calibration", mean, r.max_step_counts, None, meter);
    same && all_rejected
}
