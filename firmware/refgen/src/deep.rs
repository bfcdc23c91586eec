//! The firmware's deep online runs on the host, in the same `f32` through
//! the same core: a sigmoid ResNet of L = [`LAYERS`] with the information
//! window of docs/bounded.md (eq. 7 cut to the last R samples, rows by
//! their per-neuron factors). Their outcomes go into `reference.rs`; the
//! firmware must reproduce them bit for bit.
//!
//! Settings, from docs/bounded.md (not tuned here): XOR with the
//! trust-region extension, ε0 = 1000, R = 8 (*Table 1's shape*, *In f32*);
//! the long calibration stream with the printed step, ε0 = 10, R = 8
//! (*Online*: the trust region at ε0 = 1000 breaks online).

use hinf::{
    Extension, FactoredShape, GEhf, GEhfConfig, InfoWindow, InputCoding, PAPER_INIT_RANGE,
    PAPER_SLOPE, PAPER_WIDTH, ResNet, ResNetSpec, TrustRegion, Xor,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::signals::{CalibrationStream, ntc};
use crate::xor_error;

/// Depth L of the deep nets (`DEEP_LAYERS` in firmware/src/deep.rs).
pub const LAYERS: usize = 101;
/// Depth of the Cortex-M7 build's deep XOR run (feature `mps2-an500`).
pub const M7_LAYERS: usize = 1001;
/// Depth of the STM32F411 build's deep XOR run (feature `stm32f411`): the
/// deepest whose learner fits its 128 KiB with 1 KiB of stack to spare
/// (firmware/README.md, *The deepest net that fits*).
pub const F411_LAYERS: usize = 165;
/// Samples R kept by the window.
pub const MEMORY: usize = 8;
/// ε0 of the XOR run (with the trust region).
pub const XOR_EPS0: f64 = hinf::EXTENSION_EPS0;
/// ε0 of the calibration run (printed step).
pub const CAL_EPS0: f64 = 10.0;
/// Seed of the initial weights (the firmware's `SEED`).
pub const SEED: u64 = 1;
/// XOR budget, epochs (docs/bounded.md's cap with the trust region).
pub const XOR_MAX_EPOCHS: u32 = 300;
/// Calibration budget, samples read.
pub const CAL_BUDGET: u32 = 100_000;
/// The calibration's grid error is checked every this many steps.
pub const CAL_CHECK_EVERY: u32 = 2500;
/// Calibration target: grid RMS error below this (°C), as at L = 5.
pub const CAL_TARGET_C: f32 = 0.5;
/// Calibration stream: seed, ADC noise, reference noise (°C), as in the
/// firmware's L = 5 run.
pub const CAL_STREAM: (u32, f32, f32) = (0x5EED_CA11, 0.0005, 0.1);

type Net = ResNet<f32, Vec<f32>>;
type Filter = GEhf<f32, InfoWindow<f32, Vec<f32>>, Vec<f32>>;

/// The deep net at depth `layers` for `inputs` inputs: width 5, one
/// sigmoid output, η0 = 2.5.
pub fn spec_at(layers: usize, inputs: usize) -> ResNetSpec {
    ResNetSpec::new(inputs, PAPER_WIDTH, 1, layers, PAPER_SLOPE).expect("spec")
}

/// A learner as the firmware builds it: weights uniform ±0.05 from
/// Xoshiro256++(`SEED`), `P = ε0 I` as an empty factored window, the
/// trust region if asked for.
pub fn learner(spec: ResNetSpec, eps0: f64, trust: bool) -> (Net, Filter) {
    let mut n = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).expect("network");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    n.init_uniform(&mut rng, PAPER_INIT_RANGE).expect("init");
    let shape = FactoredShape::new(&spec, MEMORY);
    let w = InfoWindow::factored(shape, eps0 as f32, vec![0.0f32; shape.storage_len()])
        .expect("window");
    let config = GEhfConfig {
        eps0,
        ..GEhfConfig::default()
    };
    let f = GEhf::new(config, w, vec![0.0f32; 2 * spec.n_weights()]).expect("filter");
    let f = if trust {
        f.with_extension(Extension::OutputTrustRegion(TrustRegion::RECOMMENDED))
            .expect("extension")
    } else {
        f
    };
    (n, f)
}

/// The deep XOR stream run at depth `layers`: (epochs, final ½ SSE);
/// epochs = the budget + 1 if it did not converge.
pub fn xor_run(layers: usize) -> (u32, f32) {
    let xor = Xor::<f32>::new(InputCoding::Bipolar);
    let (mut n, mut f) = learner(spec_at(layers, 2), XOR_EPS0, true);
    let mut err = f32::INFINITY;
    for epoch in 1..=XOR_MAX_EPOCHS {
        for k in 0..4 {
            f.step(
                &mut n,
                &xor.inputs[2 * k..2 * k + 2],
                &xor.targets[k..k + 1],
            )
            .expect("step");
        }
        err = xor_error(&mut n, &xor);
        if err < 0.01 {
            return (epoch, err);
        }
    }
    (XOR_MAX_EPOCHS + 1, err)
}

/// RMS and max error (°C) over the firmware's 41-point grid.
fn grid_error(n: &mut Net) -> (f32, f32) {
    const POINTS: u32 = 41;
    let mut sq = 0.0f32;
    let mut max = 0.0f32;
    for i in 0..POINTS {
        let t = ntc::T_MIN + (ntc::T_MAX - ntc::T_MIN) * i as f32 / (POINTS - 1) as f32;
        let y = n.forward(&[ntc::input(ntc::ratio_at(t))]).expect("forward")[0];
        let e = ntc::temperature_of(y) - t;
        sq += e * e;
        max = max.max(libm::fabsf(e));
    }
    (libm::sqrtf(sq / POINTS as f32), max)
}

/// The deep calibration run, the firmware's `run_calibration_to_target`
/// on a clean stream: (steps applied, steps refused, grid RMS °C at the
/// start, at the end, max at the end, target met).
pub fn calibration_run(layers: usize) -> (u32, u32, f32, f32, f32, bool) {
    let (mut n, mut f) = learner(spec_at(layers, 1), CAL_EPS0, false);
    let (rms0, _) = grid_error(&mut n);
    let (seed, adc_noise, ref_noise_c) = CAL_STREAM;
    let mut stream = CalibrationStream::new(seed, adc_noise, ref_noise_c);
    let (mut steps, mut refused) = (0, 0);
    let (mut rms, mut max) = (0.0, 0.0);
    for _ in 0..CAL_BUDGET {
        let (x, y) = stream.next_pair();
        if f.step(&mut n, &[x], &[y]).is_err() {
            refused += 1;
            continue;
        }
        steps += 1;
        if steps % CAL_CHECK_EVERY == 0 {
            (rms, max) = grid_error(&mut n);
            if rms < CAL_TARGET_C {
                return (steps, refused, rms0, rms, max, true);
            }
        }
    }
    (steps, refused, rms0, rms, max, false)
}
