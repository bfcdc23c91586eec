//! A network that keeps its Jacobian only by its per-neuron factors
//! ([`ResNet::factored`]): its products against the dense row's, whole
//! g-EHF runs with a factored information window against the same runs
//! on the dense network (bit for bit), and what it refuses.

mod common;
use common::*;
use hinf::*;

fn bits<T: Real>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|x| x.to_f64().to_bits()).collect()
}

/// A dense and a factored network with the same random weights.
fn pair<T: Real>(spec: ResNetSpec, seed: u64) -> (ResNet<T, Vec<T>>, ResNet<T, Vec<T>>) {
    let mut dense = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
    dense.init_uniform(&mut rng(seed), 0.8).unwrap();
    let mut factored = ResNet::factored(spec, vec![T::ZERO; spec.factored_buffer_len()]).unwrap();
    factored.set_weights(dense.weights()).unwrap();
    (dense, factored)
}

fn spec(inputs: usize, blocks: usize, outputs: usize) -> ResNetSpec {
    ResNetSpec::with_blocks(inputs, 5, outputs, blocks, PAPER_SLOPE).unwrap()
}

fn products_match_the_dense_row<T: Real>() {
    for (inputs, blocks, outputs) in [(2, 1, 1), (1, 9, 1), (2, 4, 3)] {
        let s = spec(inputs, blocks, outputs);
        let (mut dense, mut factored) = pair::<T>(s, 3 + blocks as u64);
        let mut r = rng(11);
        let x: Vec<T> = (0..inputs)
            .map(|_| T::from_f64(uniform(&mut r, 1.0)))
            .collect();
        let v: Vec<T> = (0..s.n_weights())
            .map(|_| T::from_f64(uniform(&mut r, 2.0)))
            .collect();
        dense.jacobian(&x).unwrap();
        factored.jacobian_factors(&x).unwrap();
        assert!(factored.last_jacobian().is_empty());
        let jf = factored.last_jacobian_factors();
        let nw = s.n_weights();
        let mut row = vec![T::ZERO; nw];
        for o in 0..outputs {
            let h = &dense.last_jacobian()[o * nw..(o + 1) * nw];
            // The dense row, entry for entry (values: the network's products).
            jf.expand(o, &mut row);
            assert!(row.iter().zip(h).all(|(a, b)| a == b), "expand, output {o}");
            // (Bits too, but for the sign of a zero: the network writes +0
            // for the other outputs' rows, the factors make 0 · z.)
            let nonzero = |r: &[T]| {
                r.iter()
                    .filter(|x| **x != T::ZERO)
                    .map(|x| x.to_f64().to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(nonzero(&row), nonzero(h), "expand, output {o}: the bits");
            // h · v in the dense order: the same bits as the dense dot.
            let want = h.iter().zip(&v).fold(T::ZERO, |acc, (a, b)| acc + *a * *b);
            assert_eq!(jf.dot(o, &v).to_f64().to_bits(), want.to_f64().to_bits());
        }
        // The factors are the dense network's own.
        let jd = dense.last_jacobian_factors();
        for l in 1..=s.layers() {
            assert_eq!(bits(jf.activations(l)), bits(jd.activations(l)));
            for o in 0..outputs {
                assert_eq!(bits(jf.deltas(o, l)), bits(jd.deltas(o, l)));
            }
        }
    }
}

#[test]
fn products_match_the_dense_row_f64() {
    products_match_the_dense_row::<f64>();
}

#[test]
fn products_match_the_dense_row_f32() {
    products_match_the_dense_row::<f32>();
}

fn window_filter<T: Real>(
    spec: &ResNetSpec,
    memory: usize,
    extension: Extension,
    reg: Regularization,
) -> GEhf<T, InfoWindow<T, Vec<T>>, Vec<T>> {
    let shape = FactoredShape::new(spec, memory);
    let cov = InfoWindow::factored(
        shape,
        T::from_f64(100.0),
        vec![T::ZERO; shape.storage_len()],
    );
    let nw = spec.n_weights();
    GEhf::new(GEhfConfig::default(), cov.unwrap(), vec![T::ZERO; 2 * nw])
        .unwrap()
        .with_extension(extension)
        .unwrap()
        .with_regularization(reg)
        .unwrap()
}

/// `epochs` XOR epochs on both networks with their own filter: every step
/// ends with the same outcome and, after each, the same weight bits.
fn same_run<T: Real>(blocks: usize, memory: usize, extension: Extension, reg: Regularization) {
    let s = ResNetSpec::xor(2 * blocks + 3).unwrap();
    let (mut dense, mut factored) = pair::<T>(s, 5);
    let mut fd = window_filter::<T>(&s, memory, extension, reg);
    let mut ff = window_filter::<T>(&s, memory, extension, reg);
    let xor = Xor::<T>::new(InputCoding::default());
    let mut steps = 0;
    for _ in 0..12 {
        for (x, y) in xor.samples().iter() {
            let a = fd.step(&mut dense, x, y);
            let b = ff.step(&mut factored, x, y);
            assert_eq!(a.is_ok(), b.is_ok(), "step {steps}");
            if let (Ok(a), Ok(b)) = (a, b) {
                assert_eq!(a.hph.to_f64().to_bits(), b.hph.to_f64().to_bits());
            }
            assert_eq!(
                bits(dense.weights()),
                bits(factored.weights()),
                "step {steps}"
            );
            steps += 1;
        }
    }
    assert_eq!(fd.health().steps, ff.health().steps);
    assert!(ff.health().steps > 0);
    // The windows hold the same P.
    for (i, j) in [(0, 0), (1, 7), (s.n_weights() - 1, 3)] {
        assert_eq!(
            fd.covariance().get(i, j).to_f64(),
            ff.covariance().get(i, j).to_f64()
        );
    }
}

#[test]
fn runs_equal_the_dense_network_bit_for_bit() {
    let tr = Extension::OutputTrustRegion(TrustRegion::RECOMMENDED);
    let forget = Regularization {
        forgetting: 0.99,
        ..Regularization::NONE
    };
    for blocks in [1, 9] {
        same_run::<f64>(blocks, 8, Extension::None, Regularization::NONE);
        same_run::<f64>(blocks, 4, tr, Regularization::NONE);
        same_run::<f32>(blocks, 8, tr, forget);
    }
    // A window longer than the run: the exact g-EHF.
    same_run::<f64>(1, 64, Extension::None, Regularization::NONE);
}

#[test]
fn a_covariance_that_needs_the_dense_row_is_refused_and_nothing_changes() {
    let s = ResNetSpec::xor(5).unwrap();
    let (_, mut net) = pair::<f64>(s, 1);
    let nw = s.n_weights();
    let cov = PackedCovariance::new(nw, 10.0, vec![0.0; nw * (nw + 1) / 2]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; nw]).unwrap();
    let w0 = bits(net.weights());
    let err = f.step(&mut net, &[1.0, -1.0], &[1.0]).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(bits(net.weights()), w0);
    assert_eq!(f.covariance().get(0, 0), 10.0);
    assert_eq!(f.health().steps, 0);
    // A window for another shape does not take these factors either.
    let other = ResNetSpec::xor(7).unwrap();
    let shape = FactoredShape::new(&other, 4);
    let cov = InfoWindow::factored(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap();
    assert!(!cov.takes_factors(&s));
    assert!(cov.takes_factors(&other));
}

#[test]
fn what_a_factored_network_does_not_do() {
    let s = ResNetSpec::xor(5).unwrap();
    let short = vec![0.0f64; s.factored_buffer_len() - 1];
    let err = ResNet::factored(s, short).unwrap_err();
    assert!(matches!(err, Error::CapacityExceeded { .. }), "{err:?}");
    let err = ResNet::new(s, vec![0.0f64; s.factored_buffer_len()]).unwrap_err();
    assert!(matches!(err, Error::CapacityExceeded { .. }), "{err:?}");
    let (mut dense, mut net) = pair::<f64>(s, 2);
    assert!(!net.has_dense_jacobian() && dense.has_dense_jacobian());
    let err = net.jacobian(&[1.0, 1.0]).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    // Steepest descent and Adam need the dense gradient.
    let cov = IsotropicCovariance::new(s.n_weights(), 0.1).unwrap();
    let mut sd = GEhf::new(GEhfConfig::default(), cov, vec![0.0; s.n_weights()]).unwrap();
    let w0 = bits(net.weights());
    let err = sd.step(&mut net, &[1.0, 1.0], &[0.0]).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(bits(net.weights()), w0);
    // Several outputs need the dense rows.
    let s3 = spec(2, 1, 3);
    let (_, mut net3) = pair::<f64>(s3, 4);
    let shape = FactoredShape::new(&s3, 4);
    let cov = InfoWindow::factored(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 3 * s3.n_weights()]).unwrap();
    let w3 = bits(net3.weights());
    assert!(f.step(&mut net3, &[0.5, -0.5], &[1.0, 0.0, 0.0]).is_err());
    assert_eq!(bits(net3.weights()), w3);
    // Evaluation is the dense network's.
    let xor = Xor::<f64>::new(InputCoding::default());
    let a = dense.evaluate(&xor.samples()).unwrap();
    let b = net.evaluate(&xor.samples()).unwrap();
    assert_eq!(a.sse.to_bits(), b.sse.to_bits());
}
