//! The firmware: learns XOR as a stream until the paper's stopping rule
//! holds, lights the LED; loads the XOR learner trained for 5 epochs on the
//! host (embedded with `include_bytes!`) and keeps learning until the rule
//! holds, in the host's number of further epochs; then learns an NTC
//! thermistor calibration curve from a noisy stream; then the same at depth
//! with the bounded-memory window: XOR at L = 101 and (feature
//! `deep-calibration`) the calibration at L = 101 through a gate that
//! rejects injected bad samples. Exits 0 only if all met their targets.
//!
//! [`run`] is the sequence of phases: [`setup`], [`learn_xor`],
//! [`continue_host_model`], [`learn_calibration`], the deep runs of
//! `hinf_firmware::deep_runs`, [`verdict`]; the shared
//! pieces (learner, runs, sources, board, printing) are in the library.
#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use embedded_hal::digital::{OutputPin, StatefulOutputPin};
use hinf::{GEhfConfig, ResNetSpec, StopCriterion, TrainConfig};
use hinf_firmware::board::{self, Cost, Counter, Led, Parts};
use hinf_firmware::deep;
use hinf_firmware::deep_runs::{self, Meter};
use hinf_firmware::fmt::Fixed;
use hinf_firmware::gehf_learner::{self, LEARNER_BYTES, Learner, LoadedModel};
use hinf_firmware::online::{
    self, CalibrationConfig, CalibrationReport, Failure, OnlineLearner, XorConfig, XorReport,
};
use hinf_firmware::source::{CalibrationStream, XorStream};
use hinf_firmware::{exit, measure, pretrained, println, reference};

/// Seed of the initial weights (Xoshiro256++, uniform ±0.05).
const SEED: u64 = 1;
/// Samples of the calibration run.
const CAL_SAMPLES: u32 = 5000;
/// Target RMS error (°C) of the learnt calibration over 0…100 °C.
const CAL_TARGET_C: f32 = 0.5;
/// ε0 of the calibration learner. The curve is steep at the hot end and the
/// stream long, so `P` must start larger than for XOR (ε0 = 10 reaches
/// only ~1.2 °C after 12000 samples; ε0 is not fixed by the paper).
const CAL_EPS0: f64 = 1000.0;

#[entry]
fn main() -> ! {
    exit::finish(run())
}

/// The phases in order; `true` only if all runs met their targets.
/// A phase that cannot start (peripherals taken, a learner that cannot be
/// built) ends the run at once, without the summary line.
fn run() -> bool {
    let Some(mut board) = setup() else {
        return false;
    };
    // All learners' RAM: the deep learner's buffers, in a static (its RAM
    // shows in `size`'s .bss); the L = 5 learner keeps its `P` in part of
    // them while the L = 5 phases run.
    let Some(buffers) = deep::take_buffers() else {
        return false;
    };
    // The stack's high-water marks below `run`'s frame, of the L = 5 and
    // of the deep phases (painted again in between; a step's own
    // measurement paints only below where its phase stands).
    let free = measure::free_stack();
    let painted = measure::paint_free_stack();
    // Both XOR runs stop by the core's default rule (½ SSE < 0.01).
    let xor = XorConfig::default();
    let Some(xor_ok) = learn_xor(buffers.spare(), &xor, &mut board) else {
        return false;
    };
    let host_ok = continue_host_model(buffers.spare(), &xor, &board);
    let Some(cal_ok) = learn_calibration(buffers.spare()) else {
        return false;
    };
    let l5_stack = measure::painted_stack_used(painted);
    let painted = measure::paint_free_stack();
    let meter = Meter {
        counter: &board.counter,
        per_2m: board.per_2m,
        sysclk_hz: board.sysclk_hz,
    };
    let deep_xor_ok = deep_runs::learn_xor(buffers, &meter);
    #[cfg(feature = "deep-calibration")]
    let runs = [
        xor_ok,
        host_ok,
        cal_ok,
        deep_xor_ok,
        deep_runs::learn_calibration(buffers, &meter),
    ];
    #[cfg(not(feature = "deep-calibration"))]
    let runs = {
        println!("deep calibration: not built (feature deep-calibration)");
        [xor_ok, host_ok, cal_ok, deep_xor_ok]
    };
    println!(
        "stack below run(): L = 5 phases {} bytes, deep phases {} bytes, of {} free (statics end at RAM + {} bytes)",
        l5_stack,
        measure::painted_stack_used(painted),
        free,
        measure::statics_end_offset()
    );
    verdict(&runs)
}

/// What the phases share: the board's parts (step counter, LED) and the
/// counter's calibration.
struct Board {
    counter: Counter,
    /// Counter counts of 2 000 000 instructions (the delay-loop
    /// calibration), to turn counts into instructions under QEMU.
    per_2m: u32,
    led: Led,
    /// Whether the LED reads back (not under QEMU `netduinoplus2`).
    led_reads_back: bool,
    /// The core clock, in Hz, to turn cycles into time on silicon.
    sysclk_hz: u32,
}

impl Board {
    /// `counts` of [`Board::counter`] as the logs show them.
    fn cost(&self, counts: u32) -> Cost {
        self.counter.cost(counts, self.per_2m, self.sysclk_hz)
    }
}

/// Sets the board up (clocks, LED, counter), logs the banner, calibrates
/// the counter (and injects a fault if a fault-injection feature asks for
/// one).
fn setup() -> Option<Board> {
    let Some(parts) = board::take() else {
        println!("firmware: peripherals already taken");
        return None;
    };
    let Parts {
        led,
        counter,
        platform,
        sysclk_hz,
        led_reads_back,
    } = parts;
    defmt::info!(
        "hinf firmware on {=str} ({}), core clock {=u32} Hz: L = 5 ResNet, f32, g-EHF with packed P; learner {=usize} bytes",
        board::NAME,
        platform,
        sysclk_hz,
        LEARNER_BYTES
    );
    println!(
        "board: {}, {}; core clock {} Hz; counter: {}",
        board::NAME,
        platform.describe(),
        sysclk_hz,
        counter.unit()
    );
    let per_2m = counter.calibrate(1_000_000);
    defmt::info!(
        "counter calibration: 2000000 instructions (delay loop) = {=u32} {=str}",
        per_2m,
        counter.unit()
    );

    #[cfg(feature = "inject-panic")]
    inject_panic();
    #[cfg(feature = "inject-hardfault")]
    inject_hardfault();

    Some(Board {
        counter,
        per_2m,
        led,
        led_reads_back,
        sysclk_hz,
    })
}

/// The XOR net's spec (2 inputs), logged if it cannot be built.
fn xor_spec() -> Option<ResNetSpec> {
    gehf_learner::spec(2)
        .map_err(|e| defmt::error!("spec: {}", e))
        .ok()
}

/// The L = 5 learner with its `P` in lent storage.
type Lent<'a> = Learner<&'a mut [f32]>;

/// A fresh learner with its `P` in `p`, logged if it cannot be built.
fn new_learner(p: &mut [f32], spec: ResNetSpec, config: GEhfConfig, seed: u64) -> Option<Lent<'_>> {
    Learner::in_storage(p, spec, config, seed)
        .map_err(|e| defmt::error!("learner: {}", e))
        .ok()
}

/// Phase 1: XOR as a stream from seed [`SEED`], until ½ Σ e² < 0.01 over
/// the 4 patterns; switches the LED on at convergence. Measures the stack
/// depth of one step first. The learner keeps its `P` in `p`. Returns
/// whether XOR converged; `None` if the learner cannot be built or stepped.
fn learn_xor(p: &mut [f32], cfg: &XorConfig, board: &mut Board) -> Option<bool> {
    let gehf = GEhfConfig::default();
    let spec = xor_spec()?;
    let train = TrainConfig::default();
    defmt::info!(
        "xor: gamma_f = {=f64}, eps0 = {=f64}, stop when 1/2 sum e^2 < {=f64} (half-SSE: {=bool})",
        gehf.gamma,
        gehf.eps0,
        train.tol,
        train.criterion == StopCriterion::HalfSse
    );
    let stack = step_stack_depth(&mut new_learner(p, spec, gehf, SEED)?)?;
    // Start the stream over from fresh weights (the measured step counted).
    let mut l = new_learner(p, spec, gehf, SEED)?;
    let ok = match online::run_xor(&mut l, &mut XorStream::new(), cfg, &board.counter) {
        Ok(r) => report_xor(&r, stack, board),
        Err((why, r)) => {
            report_xor_failure(why, &r);
            false
        }
    };
    Some(ok)
}

/// Bytes of stack one learning step takes: paints the stack, makes one
/// step (XOR pattern 0) and finds the lowest overwritten word. The step
/// changes the learner.
fn step_stack_depth(l: &mut Lent<'_>) -> Option<usize> {
    let painted = measure::paint_stack(8 * 1024);
    let first = OnlineLearner::<2>::step(l, &[-1.0, -1.0], 0.0);
    let stack = measure::painted_stack_used(painted);
    if let Err(e) = first {
        defmt::error!("first step: {}", e);
        return None;
    }
    Some(stack)
}

/// Logs and prints a converged XOR run with the step cost and stack depth,
/// switches the LED on; `true` if the LED reads back on.
fn report_xor(r: &XorReport, stack: usize, board: &mut Board) -> bool {
    let mean = (r.step_counts / u64::from(r.steps.max(1))) as u32;
    defmt::info!(
        "xor: converged after {=u32} epochs ({=u32} steps), 1/2 SSE = {=f32}",
        r.epochs,
        r.steps,
        r.error
    );
    defmt::info!(
        "g-EHF step at L = 5: mean {=u32}, max {=u32} {=str}; stack {=usize} bytes",
        mean,
        r.max_step_counts,
        board.counter.unit(),
        stack
    );
    println!(
        "xor: converged after {} epochs ({} steps), 1/2 SSE = {}",
        r.epochs,
        r.steps,
        Fixed(r.error, 5)
    );
    if board.counter.counts_cycles() {
        println!(
            "g-EHF step (L = 5, N_w = 76): mean {}, max {} cycles; stack {} bytes; learner {} bytes",
            board.cost(mean),
            r.max_step_counts,
            stack,
            LEARNER_BYTES
        );
    } else {
        println!(
            "g-EHF step (L = 5, N_w = 76): mean {} max {} counts = {} instructions ({} counts per 2000000 instructions); stack {} bytes; learner {} bytes",
            mean,
            r.max_step_counts,
            board::instructions(u64::from(mean), board.per_2m),
            board.per_2m,
            stack,
            LEARNER_BYTES
        );
    }
    led_on(board)
}

/// Switches the LED on; `true` if it reads back on, or, where the LED
/// cannot be read back (QEMU `netduinoplus2` drops GPIO writes), if the
/// write succeeded.
fn led_on(board: &mut Board) -> bool {
    let set = board.led.set_high().is_ok();
    let on = if board.led_reads_back {
        set && board.led.is_set_high().unwrap_or(false)
    } else {
        set
    };
    defmt::info!(
        "LED on: {=bool} (read back: {=bool})",
        on,
        board.led_reads_back
    );
    println!(
        "LED (convergence) on: {}{}",
        on,
        if board.led_reads_back {
            ""
        } else {
            " (written through the HAL; not read back: QEMU does not model GPIO)"
        }
    );
    on
}

/// Logs and prints an XOR run that did not converge.
fn report_xor_failure(why: Failure<hinf::Error>, r: &XorReport) {
    defmt::error!(
        "xor: failed ({}) after {=u32} epochs, 1/2 SSE = {=f32}",
        why,
        r.epochs,
        r.error
    );
    println!(
        "xor: FAILED after {} epochs, 1/2 SSE = {}",
        r.epochs,
        Fixed(r.error, 5)
    );
}

/// Phase 2: loads the host-trained XOR learner (network and `P`, kept in
/// `p`) and keeps learning on the XOR stream. Passes if the file is the one
/// [`reference`] describes (length, CRC), its error is the host's, and the
/// stopping rule holds after the host's number of further epochs, at the
/// host's error, bit for bit.
///
/// Not inlined into [`run`] (it was a function of its own before the split
/// too): the load is inlined here, and its measured cost depends on the
/// code around it.
#[inline(never)]
fn continue_host_model(p: &mut [f32], cfg: &XorConfig, board: &Board) -> bool {
    let Some((mut l, info)) = load_host_model(p, board) else {
        return false;
    };
    let Ok(loaded) = online::xor_error(&mut l) else {
        return false;
    };
    match online::run_xor(&mut l, &mut XorStream::new(), cfg, &board.counter) {
        Ok(r) => report_host_model(&info, loaded, &r),
        Err((why, r)) => {
            defmt::error!(
                "host model: failed ({}) after {=u32} more epochs, 1/2 SSE = {=f32}",
                why,
                r.epochs,
                r.error
            );
            println!(
                "host model: FAILED after {} more epochs, 1/2 SSE = {}",
                r.epochs,
                Fixed(r.error, 5)
            );
            false
        }
    }
}

/// Builds a learner (`P` in `p`) with other weights (seed 2) and
/// `P = ε0 I`, so that the load must replace all of it, then loads the
/// embedded model and reports the cost of the load. `None` if the load
/// fails or the file is not the one [`reference`] describes.
fn load_host_model<'a>(p: &'a mut [f32], board: &Board) -> Option<(Lent<'a>, LoadedModel)> {
    let mut l = new_learner(p, xor_spec()?, GEhfConfig::default(), SEED + 1)?;
    let t0 = board.counter.now();
    let loaded = l.load_model(pretrained::XOR_L5_PARTIAL);
    let load_counts = board.counter.since(t0);
    let info = match loaded {
        Ok(info) => info,
        Err(e) => {
            defmt::error!("host model: load failed: {}", e);
            println!("host model: FAILED to load");
            return None;
        }
    };
    defmt::info!(
        "host model: {=usize} bytes, CRC {=u32:#010x}, gamma_f = {=f64}, eps0 = {=f64}",
        info.len,
        info.crc,
        info.config.gamma,
        info.config.eps0
    );
    println!(
        "host model load (parse, CRC, checks, copy into the learner): {}",
        board.cost(load_counts)
    );
    if info.len != reference::MODEL_LEN || info.crc != reference::MODEL_CRC {
        println!("host model: FAILED: not the model src/reference.rs describes");
        return None;
    }
    Some((l, info))
}

/// Compares the continuation from the host model (½ SSE `loaded` at load,
/// then the run `r`) with the host's, logs and prints it; `true` if it is
/// the host's, bit for bit.
fn report_host_model(info: &LoadedModel, loaded: f32, r: &XorReport) -> bool {
    let same = r.epochs == reference::MODEL_MORE_EPOCHS
        && loaded.to_bits() == reference::MODEL_ERROR.to_bits()
        && r.error.to_bits() == reference::MODEL_FINAL_ERROR.to_bits();
    defmt::info!(
        "host model: 1/2 SSE {=f32} at load, converged after {=u32} more epochs, 1/2 SSE = {=f32}; host {=u32} more epochs; bit-identical {=bool}",
        loaded,
        r.epochs,
        r.error,
        reference::MODEL_MORE_EPOCHS,
        same
    );
    println!(
        "host model: {} bytes (CRC {:#010x}, {} epochs on the host), 1/2 SSE {} at load; converged after {} more epochs ({} steps), 1/2 SSE = {}; host: {} more epochs; bit-identical to the host: {}",
        info.len,
        info.crc,
        reference::MODEL_EPOCHS,
        Fixed(loaded, 5),
        r.epochs,
        r.steps,
        Fixed(r.error, 5),
        reference::MODEL_MORE_EPOCHS,
        same
    );
    same
}

/// Phase 3: a streaming calibration of an NTC thermistor (1 input,
/// ε0 = [`CAL_EPS0`], `P` in `p`) over [`CAL_SAMPLES`] noisy samples.
/// Returns whether the grid RMS error ended below [`CAL_TARGET_C`]; `None`
/// if the learner cannot be built.
fn learn_calibration(p: &mut [f32]) -> Option<bool> {
    let spec = gehf_learner::spec(1).ok()?;
    let config = GEhfConfig {
        eps0: CAL_EPS0,
        ..GEhfConfig::default()
    };
    let mut l = new_learner(p, spec, config, SEED)?;
    let cal = CalibrationConfig {
        samples: CAL_SAMPLES,
        report_every: 500,
        target_rms_c: CAL_TARGET_C,
    };
    // ADC noise 0.05 % of full scale (σ ≈ 16 LSB of a 16-bit ADC), reference
    // thermometer noise σ = 0.1 °C.
    let mut stream = CalibrationStream::new(0x5EED_CA11, 0.0005, 0.1);
    Some(match online::run_calibration(&mut l, &mut stream, &cal) {
        Ok(r) => {
            report_calibration(&r, &cal);
            true
        }
        Err((why, r)) => {
            defmt::error!(
                "calibration: failed ({}), grid RMS {=f32} C",
                why,
                r.grid_rms_c
            );
            println!("calibration: FAILED, grid RMS {} C", Fixed(r.grid_rms_c, 3));
            false
        }
    })
}

/// Logs and prints a calibration run that met its target.
fn report_calibration(r: &CalibrationReport, cal: &CalibrationConfig) {
    defmt::info!(
        "calibration: grid RMS error {=f32} C (max {=f32} C), was {=f32} C; target < {=f32} C",
        r.grid_rms_c,
        r.grid_max_c,
        r.initial_grid_rms_c,
        cal.target_rms_c
    );
    println!(
        "calibration: {} samples, running RMS {} C -> {} C, grid RMS {} C (max {} C, initially {} C), target < {} C",
        r.steps,
        Fixed(r.first_running_rms_c, 3),
        Fixed(r.last_running_rms_c, 3),
        Fixed(r.grid_rms_c, 3),
        Fixed(r.grid_max_c, 3),
        Fixed(r.initial_grid_rms_c, 3),
        Fixed(cal.target_rms_c, 3)
    );
}

/// Prints the summary line; `true` if all runs passed.
fn verdict(runs: &[bool]) -> bool {
    let passed = runs.iter().filter(|ok| **ok).count();
    println!(
        "firmware: {} passed, {} failed",
        passed,
        runs.len() - passed
    );
    passed == runs.len()
}

#[cfg(feature = "inject-panic")]
fn inject_panic() {
    let v: [u32; 1] = [0];
    let i = core::hint::black_box(3usize);
    defmt::info!("inject-panic: indexing out of bounds");
    defmt::info!("{=u32}", v[i]);
}

#[cfg(feature = "inject-hardfault")]
fn inject_hardfault() {
    defmt::info!("inject-hardfault: executing an undefined instruction");
    cortex_m::asm::udf();
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    exit::hard_fault(frame)
}
