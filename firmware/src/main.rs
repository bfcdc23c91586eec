//! The firmware: learns XOR as a stream until the paper's stopping rule
//! holds, lights the LED; loads the XOR learner trained for 5 epochs on the
//! host (embedded with `include_bytes!`) and keeps learning until the rule
//! holds, in the host's number of further epochs; then learns an NTC
//! thermistor calibration curve from a noisy stream. Exits 0 only if all
//! three met their targets.
#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use embedded_hal::digital::{OutputPin, StatefulOutputPin};
use hinf::{GEhfConfig, StopCriterion, TrainConfig};
use hinf_firmware::board::{self, Counter, Led};
use hinf_firmware::fmt::Fixed;
use hinf_firmware::gehf_learner::{self, LEARNER_BYTES, Learner};
use hinf_firmware::online::{self, CalibrationConfig, XorConfig};
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
    let ok = run();
    exit::finish(ok)
}

fn run() -> bool {
    let Some(cp) = cortex_m::Peripherals::take() else {
        println!("firmware: core peripherals already taken");
        return false;
    };
    #[cfg(feature = "qemu")]
    let counter = Counter::new(cp.SYST);
    #[cfg(not(feature = "qemu"))]
    let counter = Counter::new(cp.DCB, cp.DWT);
    let Some(mut led) = Led::take() else {
        return false;
    };

    defmt::info!(
        "hinf firmware on {=str}: L = 5 ResNet, f32, g-EHF with packed P; learner {=usize} bytes",
        board::NAME,
        LEARNER_BYTES
    );
    let per_2m = counter.calibrate(1_000_000);
    defmt::info!(
        "counter calibration: 2000000 instructions (delay loop) = {=u32} {=str}",
        per_2m,
        board::COUNT_UNIT
    );

    #[cfg(feature = "inject-panic")]
    inject_panic();
    #[cfg(feature = "inject-hardfault")]
    inject_hardfault();

    // The learner lives in a static (its RAM shows in `size`'s .bss).
    let Some(learner) = cortex_m::singleton!(: Option<Learner> = None) else {
        return false;
    };

    // --- 1. XOR as a stream, until ½ Σ e² < 0.01 over the 4 patterns ---
    let train = TrainConfig::default();
    let gehf = GEhfConfig::default();
    let xor_spec = match gehf_learner::spec(2) {
        Ok(s) => s,
        Err(e) => {
            defmt::error!("spec: {}", e);
            return false;
        }
    };
    let l = match Learner::new(xor_spec, gehf, SEED) {
        Ok(l) => learner.insert(l),
        Err(e) => {
            defmt::error!("learner: {}", e);
            return false;
        }
    };
    defmt::info!(
        "xor: gamma_f = {=f64}, eps0 = {=f64}, stop when 1/2 sum e^2 < {=f64} (half-SSE: {=bool})",
        gehf.gamma,
        gehf.eps0,
        train.tol,
        train.criterion == StopCriterion::HalfSse
    );
    let cfg = XorConfig {
        tolerance: train.tol as f32,
        max_epochs: 1000,
    };
    // Paint the stack, then measure the depth of one learning step.
    let painted = measure::paint_stack(8 * 1024);
    let first = online::OnlineLearner::<2>::step(l, &[-1.0, -1.0], 0.0);
    let stack = measure::painted_stack_used(painted);
    if let Err(e) = first {
        defmt::error!("first step: {}", e);
        return false;
    }
    // Start the stream over from fresh weights (the measured step counted).
    match Learner::new(xor_spec, gehf, SEED) {
        Ok(fresh) => *l = fresh,
        Err(_) => return false,
    }
    let mut xor_ok = false;
    match online::run_xor(l, &mut XorStream::new(), &cfg, &counter) {
        Ok(r) => {
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
                board::COUNT_UNIT,
                stack
            );
            println!(
                "xor: converged after {} epochs ({} steps), 1/2 SSE = {}",
                r.epochs,
                r.steps,
                Fixed(r.error, 5)
            );
            // Counts → instructions with the delay-loop calibration.
            let instr = u64::from(mean) * 2_000_000 / u64::from(per_2m.max(1));
            println!(
                "g-EHF step (L = 5, N_w = 76): mean {} max {} counts = {} instructions ({} counts per 2000000 instructions); stack {} bytes; learner {} bytes",
                mean, r.max_step_counts, instr, per_2m, stack, LEARNER_BYTES
            );
            xor_ok = led.set_high().is_ok() && led.is_set_high().unwrap_or(false);
            defmt::info!("LED0 on: {=bool}", xor_ok);
            println!("LED0 (convergence) on: {}", xor_ok);
        }
        Err((why, r)) => {
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
    }

    // --- 2. XOR from the model trained on the host, embedded in flash ---
    let host_ok = continue_host_model(l, xor_spec, &cfg, &counter, per_2m);

    // --- 3. Streaming calibration of an NTC thermistor ---
    let cal_spec = match gehf_learner::spec(1) {
        Ok(s) => s,
        Err(_) => return false,
    };
    let cal_gehf = GEhfConfig {
        eps0: CAL_EPS0,
        ..gehf
    };
    match Learner::new(cal_spec, cal_gehf, SEED) {
        Ok(fresh) => *l = fresh,
        Err(e) => {
            defmt::error!("learner: {}", e);
            return false;
        }
    }
    let cal = CalibrationConfig {
        samples: CAL_SAMPLES,
        report_every: 500,
        target_rms_c: CAL_TARGET_C,
    };
    // ADC noise 0.05 % of full scale (σ ≈ 16 LSB of a 16-bit ADC), reference
    // thermometer noise σ = 0.1 °C.
    let mut stream = CalibrationStream::new(0x5EED_CA11, 0.0005, 0.1);
    let cal_ok = match online::run_calibration(l, &mut stream, &cal) {
        Ok(r) => {
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
    };

    let passed = u32::from(xor_ok) + u32::from(host_ok) + u32::from(cal_ok);
    println!("firmware: {} passed, {} failed", passed, 3 - passed);
    xor_ok && host_ok && cal_ok
}

/// Loads the host-trained XOR learner (network and `P`) into `l` and keeps
/// learning on the XOR stream. Passes if the file is the one
/// `src/reference.rs` describes (length, CRC), its error is the host's,
/// and the stopping rule holds after the host's number of further epochs.
/// `per_2m`: counter counts per 2 000 000 instructions (to report the cost
/// of the load).
fn continue_host_model(
    l: &mut Learner,
    spec: hinf::ResNetSpec,
    cfg: &XorConfig,
    counter: &Counter,
    per_2m: u32,
) -> bool {
    // Start from other weights (seed 2) and P = eps0 I: the load must
    // replace all of it.
    match Learner::new(spec, GEhfConfig::default(), SEED + 1) {
        Ok(fresh) => *l = fresh,
        Err(_) => return false,
    }
    let t0 = counter.now();
    let loaded = l.load_model(pretrained::XOR_L5_PARTIAL);
    let load_counts = counter.since(t0);
    let info = match loaded {
        Ok(info) => info,
        Err(e) => {
            defmt::error!("host model: load failed: {}", e);
            println!("host model: FAILED to load");
            return false;
        }
    };
    defmt::info!(
        "host model: {=usize} bytes, CRC {=u32:#010x}, gamma_f = {=f64}, eps0 = {=f64}",
        info.len,
        info.crc,
        info.config.gamma,
        info.config.eps0
    );
    let load_instr = u64::from(load_counts) * 2_000_000 / u64::from(per_2m.max(1));
    println!(
        "host model load (parse, CRC, checks, copy into the learner): {} counts = {} instructions",
        load_counts, load_instr
    );
    if info.len != reference::MODEL_LEN || info.crc != reference::MODEL_CRC {
        println!("host model: FAILED: not the model src/reference.rs describes");
        return false;
    }
    let loaded = match online::xor_error(l) {
        Ok(e) => e,
        Err(_) => return false,
    };
    match online::run_xor(l, &mut XorStream::new(), cfg, counter) {
        Ok(r) => {
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
