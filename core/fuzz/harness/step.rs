//! The step fuzzing harness, shared by the `step` fuzz target and the
//! regression tests in core/tests/fuzz_regressions.rs: the bytes choose a
//! small spec, the filter's parameters and regularization, the weights and
//! a stream of samples (any f32/f64 bit patterns, so NaN, ∞ and huge
//! values too). Nothing may panic; an error must leave weights and P
//! unchanged; the final state must save and parse back.
#![allow(dead_code)]

use hinf::*;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn f64(&mut self) -> f64 {
        let mut a = [0u8; 8];
        for b in &mut a {
            *b = self.u8();
        }
        f64::from_le_bytes(a)
    }
    fn small(&mut self) -> f64 {
        // Mostly moderate values, sometimes raw bit patterns.
        let sel = self.u8();
        if sel < 200 {
            (f64::from(self.u8()) - 128.0) / 32.0
        } else {
            self.f64()
        }
    }
}

fn run<T: Real>(b: &mut Bytes<'_>) {
    let inputs = 1 + usize::from(b.u8() % 3);
    let width = 1 + usize::from(b.u8() % 4);
    let blocks = usize::from(b.u8() % 3); // 0 is invalid on purpose
    let slope = b.small();
    let Ok(spec) = ResNetSpec::with_blocks(inputs, width, 1, blocks, slope) else {
        return;
    };
    let n = spec.n_weights();
    let Ok(mut net) = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]) else {
        return;
    };
    let w: Vec<T> = (0..n).map(|_| T::from_f64(b.small())).collect();
    if net.set_weights(&w).is_err() {
        return;
    }
    let cfg = GEhfConfig {
        gamma: b.small(),
        eps0: b.small(),
        gain_order: if b.u8().is_multiple_of(2) {
            GainOrder::Paper
        } else {
            GainOrder::CovarianceFirst
        },
    };
    let reg = Regularization {
        process_noise: b.small().abs() / 8.0,
        forgetting: 1.0 - b.small().abs() / 64.0,
        diagonal_floor: b.small().abs() / 64.0,
    };
    let Ok(cov) = PackedCovariance::new(n, T::ONE, vec![T::ZERO; packed_len(n)]) else {
        return;
    };
    let Ok(f) = GEhf::new(cfg, cov, vec![T::ZERO; n]) else {
        return;
    };
    let Ok(mut f) = f.with_regularization(reg) else {
        return;
    };
    let mut adam = Adam::new(AdamConfig::default(), n, vec![T::ZERO; 3 * n]).ok();
    for _ in 0..(b.u8() % 32) {
        let xl = usize::from(b.u8() % 4);
        let x: Vec<T> = (0..xl).map(|_| T::from_f64(b.small())).collect();
        let y = [T::from_f64(b.small())];
        let w0: Vec<u64> = net.weights().iter().map(|v| v.to_f64().to_bits()).collect();
        let p0: Vec<u64> = f
            .covariance()
            .packed()
            .iter()
            .map(|v| v.to_f64().to_bits())
            .collect();
        if f.step(&mut net, &x, &y).is_err() {
            let w1: Vec<u64> = net.weights().iter().map(|v| v.to_f64().to_bits()).collect();
            let p1: Vec<u64> = f
                .covariance()
                .packed()
                .iter()
                .map(|v| v.to_f64().to_bits())
                .collect();
            assert_eq!(w0, w1, "weights changed by a failed step");
            assert_eq!(p0, p1, "P changed by a failed step");
        }
        assert!(net.weights().iter().all(|v| v.is_finite()));
        assert!(f.covariance().packed().iter().all(|v| v.is_finite()));
        if let Some(a) = adam.as_mut() {
            let _ = a.observe(&mut net, &x, &y);
            assert!(net.weights().iter().all(|v| v.is_finite()));
        }
    }
    // The state saves and parses back.
    let mut file = vec![0u8; model::saved_len::<T>(&spec, true, false)];
    let len = model::save_gehf(&net, &f, &mut file).expect("save");
    let m = Model::parse(&file[..len]).expect("a saved learner must parse");
    let mut net2 = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).expect("net");
    m.load_network(&mut net2).expect("load");
    assert!(net2.weights() == net.weights());
}

/// Runs the harness on `data`.
pub fn run_bytes(data: &[u8]) {
    let mut b = Bytes(data);
    if b.u8().is_multiple_of(2) {
        run::<f32>(&mut b);
    } else {
        run::<f64>(&mut b);
    }
}
