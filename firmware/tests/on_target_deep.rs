//! On-target tests of the deep learner (L = 101, the bounded-memory
//! information window), run under QEMU by `cargo test --release` (a
//! `harness = false` binary of its own: its 84 KB of buffers and the
//! L = 5 tests' stack do not fit 128 KiB together).
//!
//! The XOR stream like the host's bit for bit; bad samples (NaN and
//! infinite values, out of range, an I²C error) rejected by the gate and
//! counted with the learner unchanged; a stream with injected bad samples
//! ending like the clean one; the buffers' size.
//!
//! Prints one line per test and a closing `N passed, N failed`.
#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use hinf::Covariance;
use hinf_firmware::board::{self, Counter};
use hinf_firmware::deep::{
    self, DEEP_BUFFER_BYTES, DEEP_LAYERS, DeepBuffers, DeepLearner, Setting,
};
use hinf_firmware::deep_runs::XOR_HOST;
use hinf_firmware::gate::{Gate, Injecting, Rejects};
use hinf_firmware::online::{self, OnlineLearner, XorConfig};
use hinf_firmware::source::{
    CalibrationStream, I2cCalibrationSource, Sample, SampleSource, XorStream,
};
use hinf_firmware::{exit, println, reference};

type TestResult = Result<(), &'static str>;

struct Ctx {
    counter: Counter,
    /// The deep learner's buffers.
    deep: &'static mut DeepBuffers,
}

/// A stream of fixed samples (then the last one over and over).
struct ListSource<'a, const N: usize>(&'a [Sample<N>], usize);

impl<const N: usize> SampleSource<N> for ListSource<'_, N> {
    type Error = core::convert::Infallible;
    fn next_sample(&mut self) -> Result<Sample<N>, Self::Error> {
        let i = self.1.min(self.0.len().saturating_sub(1));
        self.1 += 1;
        Ok(self.0.get(i).copied().unwrap_or(Sample {
            x: [0.0; N],
            y: 0.5,
        }))
    }
}

/// An I²C bus on which the ADC (0x48) takes its configuration but no
/// device answers a read: the sensor's I²C error.
struct DeadSensorBus;

impl ErrorType for DeadSensorBus {
    type Error = ErrorKind;
}

impl I2c for DeadSensorBus {
    fn transaction(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), ErrorKind> {
        let write_only = ops.iter().all(|op| matches!(op, Operation::Write(_)));
        if address == 0x48 && write_only {
            Ok(())
        } else {
            Err(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data))
        }
    }
}

/// FNV-1a over the bits of a deep learner's weights, its window's rows
/// and their weights, the rows kept and the steps counted.
fn fingerprint(l: &DeepLearner<'_>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut mix = |x: u64| h = (h ^ x).wrapping_mul(0x0000_0100_0000_01b3);
    for x in l.net().weights() {
        mix(u64::from(x.to_bits()));
    }
    let w = l.filter().covariance();
    mix(w.len() as u64);
    for q in 0..w.len() {
        if let Some((a, row)) = w.window_row(q) {
            mix(u64::from(a.to_bits()));
            row.iter().for_each(|x| mix(u64::from(x.to_bits())));
        }
    }
    mix(l.filter().health().steps);
    h
}

/// The firmware's calibration stream (L = 5 and L = 101 runs).
fn calibration_stream() -> CalibrationStream {
    let (seed, adc, reference_c) = reference::DEEP_CAL_STREAM;
    CalibrationStream::new(seed, adc, reference_c)
}

/// The deep calibration learner (L = 101, 1 input, [`Setting::ONLINE`])
/// after `warm` samples of the calibration stream.
fn calibration_learner(
    buffers: &mut DeepBuffers,
    warm: u32,
) -> Result<DeepLearner<'_>, &'static str> {
    let spec = deep::spec(1).map_err(|_| "spec")?;
    let mut l = DeepLearner::new(buffers, spec, Setting::ONLINE, reference::DEEP_SEED)
        .map_err(|_| "learner")?;
    let mut stream = calibration_stream();
    for _ in 0..warm {
        let s = stream.next_sample().map_err(|_| "source")?;
        OnlineLearner::<1>::step(&mut l, &s.x, s.y).map_err(|_| "warm-up step")?;
    }
    Ok(l)
}

fn deep_learner_fits_in_96_kib(_: &mut Ctx) -> TestResult {
    let counted = 4 * (deep::NET_LEN + deep::WINDOW_LEN + deep::SCRATCH_LEN);
    if DEEP_BUFFER_BYTES != counted {
        return Err("buffers are not what the sizes say");
    }
    if DEEP_BUFFER_BYTES < 96 * 1024 {
        Ok(())
    } else {
        Err("deep learner is 96 KiB or more")
    }
}

/// XOR at L = 101 (window R = 8, trust region, ε0 = 1000) converges in
/// the host's epochs at the host's error, bit for bit.
fn deep_xor_matches_host(ctx: &mut Ctx) -> TestResult {
    let spec = deep::spec(2).map_err(|_| "spec")?;
    if spec.n_weights() != 27 * DEEP_LAYERS - 11 || XOR_HOST.layers != DEEP_LAYERS {
        return Err("not the net the host ran (N_w = 27 L - 11: 2716 at L = 101)");
    }
    let mut l = DeepLearner::new(ctx.deep, spec, Setting::XOR, reference::DEEP_SEED)
        .map_err(|_| "learner")?;
    let cfg = XorConfig {
        max_epochs: reference::DEEP_XOR_MAX_EPOCHS,
        ..XorConfig::default()
    };
    let r = online::run_xor(&mut l, &mut XorStream::new(), &cfg, &ctx.counter)
        .map_err(|_| "did not converge")?;
    if r.epochs != XOR_HOST.epochs || r.error.to_bits() != XOR_HOST.error.to_bits() {
        return Err("differs from the host's f32 run");
    }
    Ok(())
}

/// NaN and infinite values, inputs and targets out of range and an I²C
/// error are rejected and counted, the learner (weights, window)
/// unchanged; a good sample then changes it. A NaN handed to the learner
/// directly is refused by the core without a change either.
fn deep_bad_samples_are_rejected(ctx: &mut Ctx) -> TestResult {
    let mut l = calibration_learner(ctx.deep, 10)?;
    let before = fingerprint(&l);
    let bad = [
        Sample {
            x: [f32::NAN],
            y: 0.5,
        },
        Sample {
            x: [0.1],
            y: f32::INFINITY,
        },
        Sample { x: [1.5], y: 0.5 },
        Sample { x: [0.1], y: 1.5 },
        Sample { x: [0.1], y: -0.25 },
    ];
    let gate = Gate::UNIT;
    let mut rejects = Rejects::default();
    let mut list = ListSource(&bad, 0);
    for _ in 0..bad.len() {
        if gate.admit(&mut list, &mut rejects).is_some() {
            return Err("a bad sample passed the gate");
        }
    }
    type Src = I2cCalibrationSource<DeadSensorBus>;
    let mut i2c = Src::new(DeadSensorBus, Src::ADS1115_ADDR, Src::TMP117_ADDR, 26400)
        .map_err(|_| "i2c new")?;
    if gate.admit(&mut i2c, &mut rejects).is_some() {
        return Err("an I2C error passed the gate");
    }
    let want = Rejects {
        source: 1,
        non_finite: 2,
        out_of_range: 3,
    };
    if rejects != want {
        defmt::error!("rejects {}", rejects);
        return Err("rejections miscounted");
    }
    if OnlineLearner::<1>::step(&mut l, &[f32::NAN], 0.5).is_ok() {
        return Err("the learner took a NaN input");
    }
    if fingerprint(&l) != before {
        return Err("a rejected sample changed the learner");
    }
    let good = [Sample { x: [0.1], y: 0.5 }];
    let s = gate
        .admit(&mut ListSource(&good, 0), &mut rejects)
        .ok_or("a good sample was rejected")?;
    OnlineLearner::<1>::step(&mut l, &s.x, s.y).map_err(|_| "good step")?;
    if fingerprint(&l) == before || rejects.total() != 6 {
        return Err("a good sample did not reach the learner");
    }
    Ok(())
}

/// A stream with a bad sample every third read ends where the clean
/// stream ends, bit for bit, after the same good samples.
fn deep_injected_stream_ends_like_the_clean_one(ctx: &mut Ctx) -> TestResult {
    const GOOD: u32 = 40;
    let clean = fingerprint(&calibration_learner(ctx.deep, GOOD)?);
    let spec = deep::spec(1).map_err(|_| "spec")?;
    let mut l = DeepLearner::new(ctx.deep, spec, Setting::ONLINE, reference::DEEP_SEED)
        .map_err(|_| "learner")?;
    let mut stream = Injecting::new(calibration_stream(), 3);
    let mut rejects = Rejects::default();
    let mut steps = 0;
    while steps < GOOD {
        if let Some(s) = Gate::UNIT.admit(&mut stream, &mut rejects) {
            OnlineLearner::<1>::step(&mut l, &s.x, s.y).map_err(|_| "step")?;
            steps += 1;
        }
    }
    if rejects.total() != stream.injected() || stream.injected() < GOOD / 3 {
        return Err("injected samples not all rejected");
    }
    if fingerprint(&l) != clean {
        return Err("the injected stream ended elsewhere");
    }
    Ok(())
}

type Test = (&'static str, fn(&mut Ctx) -> TestResult);

const TESTS: &[Test] = &[
    ("deep_learner_fits_in_96_kib", deep_learner_fits_in_96_kib),
    ("deep_xor_matches_host", deep_xor_matches_host),
    (
        "deep_bad_samples_are_rejected",
        deep_bad_samples_are_rejected,
    ),
    (
        "deep_injected_stream_ends_like_the_clean_one",
        deep_injected_stream_ends_like_the_clean_one,
    ),
];

#[entry]
fn main() -> ! {
    let Some(parts) = board::take() else {
        exit::failure()
    };
    let Some(deep) = deep::take_buffers() else {
        exit::failure()
    };
    println!(
        "board: {}, {}; deep learner L = {}, buffers {} bytes",
        board::NAME,
        parts.platform.describe(),
        DEEP_LAYERS,
        DEEP_BUFFER_BYTES
    );
    let mut ctx = Ctx {
        counter: parts.counter,
        deep,
    };
    let (mut passed, mut failed) = (0u32, 0u32);
    println!("running {} deep on-target tests", TESTS.len());
    for (name, test) in TESTS {
        match test(&mut ctx) {
            Ok(()) => {
                passed += 1;
                defmt::info!("test {=str} ... ok", name);
                println!("test {} ... ok", name);
            }
            Err(why) => {
                failed += 1;
                defmt::error!("test {=str} ... FAILED: {=str}", name, why);
                println!("test {} ... FAILED: {}", name, why);
            }
        }
    }
    println!("{} passed, {} failed", passed, failed);
    exit::finish(failed == 0)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    exit::hard_fault(frame)
}
