//! Model files: exact round trips, every kind of corruption refused, and
//! nothing half-loaded.

mod common;
use common::*;
use hinf::model::{self, FORMAT_VERSION, Model, crc32, saved_len};
use hinf::*;

fn trained_net<T: Real>(layers: usize, seed: u64) -> ResNet<T, Vec<T>> {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(seed), 0.5).unwrap();
    net
}

type Filter<T> = GEhf<T, PackedCovariance<T, Vec<T>>, Vec<T>>;

fn trained_filter<T: Real>(net: &mut ResNet<T, Vec<T>>) -> Filter<T> {
    let n = net.spec().n_weights();
    let cov = PackedCovariance::new(n, T::ONE, vec![T::ZERO; packed_len(n)]).unwrap();
    let cfg = GEhfConfig {
        gamma: 2.5,
        eps0: 3.0,
        gain_order: GainOrder::CovarianceFirst,
    };
    let reg = Regularization {
        process_noise: 1e-4,
        forgetting: 0.999,
        diagonal_floor: 1e-6,
    };
    let mut f = GEhf::new(cfg, cov, vec![T::ZERO; n])
        .unwrap()
        .with_regularization(reg)
        .unwrap();
    let xor = Xor::<T>::new(InputCoding::Bipolar);
    for k in 0..12 {
        let (x, y) = xor.samples().get(k % 4).expect("a sample in range");
        f.step(net, x, y).unwrap();
    }
    f
}

fn trained_adam<T: Real>(net: &mut ResNet<T, Vec<T>>, mode: AdamMode) -> Adam<T, Vec<T>> {
    let n = net.spec().n_weights();
    let cfg = AdamConfig {
        mode,
        ..AdamConfig::default()
    };
    let mut adam = Adam::new(cfg, n, vec![T::ZERO; 3 * n]).unwrap();
    let xor = Xor::<T>::new(InputCoding::Bipolar);
    for k in 0..7 {
        let (x, y) = xor.samples().get(k % 4).expect("a sample in range");
        adam.observe(net, x, y).unwrap();
        if k == 3 {
            adam.end_epoch(net).unwrap();
        }
    }
    adam
}

fn bits<T: Real>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn packed_bits<T: Real, C: Covariance<T>>(c: &C) -> Vec<u64> {
    let n = c.dim();
    let mut v = Vec::new();
    for i in 0..n {
        for j in 0..=i {
            v.push(c.get(i, j).to_f64().to_bits());
        }
    }
    v
}

fn round_trip_network<T: Real>() {
    for layers in [5, 7] {
        let net = trained_net::<T>(layers, 3);
        let spec = *net.spec();
        let mut buf = vec![0u8; saved_len::<T>(&spec, false, false)];
        let n = model::save_network(&net, &mut buf).unwrap();
        assert_eq!(n, buf.len());
        let m = Model::parse(&buf).unwrap();
        assert_eq!(m.spec(), spec);
        assert_eq!(m.precision() as usize, core::mem::size_of::<T>());
        assert!(!m.has_covariance());
        let mut copy = ResNet::new(m.spec(), vec![T::ZERO; spec.buffer_len()]).unwrap();
        m.load_network(&mut copy).unwrap();
        assert_eq!(bits(copy.weights()), bits(net.weights()));
        // Saving the copy gives the same bytes.
        let mut again = vec![0u8; buf.len()];
        model::save_network(&copy, &mut again).unwrap();
        assert!(again == buf);
    }
}

fn round_trip_gehf<T: Real>() {
    let mut net = trained_net::<T>(5, 4);
    let f = trained_filter(&mut net);
    let spec = *net.spec();
    let nw = spec.n_weights();
    let mut buf = vec![0u8; saved_len::<T>(&spec, true, false)];
    model::save_gehf(&net, &f, &mut buf).unwrap();
    let m = Model::parse(&buf).unwrap();
    assert_eq!(m.gehf_config(), Some(*f.config()));

    assert_eq!(m.regularization(), Some(*f.regularization()));
    // Into a packed filter with other parameters: all restored.
    let mut net2 = trained_net::<T>(5, 99);
    let cov = PackedCovariance::new(nw, T::ONE, vec![T::ZERO; packed_len(nw)]).unwrap();
    let mut f2 = GEhf::new(GEhfConfig::default(), cov, vec![T::ZERO; nw]).unwrap();
    m.load_gehf(&mut net2, &mut f2).unwrap();
    assert_eq!(bits(net2.weights()), bits(net.weights()));
    assert_eq!(packed_bits(f2.covariance()), packed_bits(f.covariance()));
    assert_eq!(f2.config(), f.config());

    // Into a dense filter through the generic path.
    let mut net3 = trained_net::<T>(5, 98);
    let cov = DenseCovariance::new(nw, T::ONE, vec![T::ZERO; nw * nw]).unwrap();
    let mut f3 = GEhf::new(GEhfConfig::default(), cov, vec![T::ZERO; nw]).unwrap();
    let mut scratch = vec![T::ZERO; packed_len(nw)];
    m.load_gehf_via(&mut net3, &mut f3, &mut scratch).unwrap();
    assert_eq!(bits(net3.weights()), bits(net.weights()));
    assert_eq!(packed_bits(f3.covariance()), packed_bits(f.covariance()));
    assert_eq!(f3.config(), f.config());
    assert_eq!(f3.regularization(), f.regularization());
    assert_eq!(f3.covariance().asymmetry(), T::ZERO);

    // Both filters continue exactly like the original.
    let mut f_orig = f.clone();
    let mut net_orig = net.clone();
    let x = [T::ONE, -T::ONE];
    let y = [T::ONE];
    f_orig.step(&mut net_orig, &x, &y).unwrap();
    f2.step(&mut net2, &x, &y).unwrap();
    assert_eq!(bits(net2.weights()), bits(net_orig.weights()));
    assert_eq!(
        packed_bits(f2.covariance()),
        packed_bits(f_orig.covariance())
    );

    let mut again = vec![0u8; buf.len()];
    model::save_gehf(&net3, &f3, &mut again).unwrap();
    assert!(again == buf, "dense re-save differs");
}

fn round_trip_adam<T: Real>() {
    for mode in [AdamMode::Sample, AdamMode::Batch] {
        let mut net = trained_net::<T>(5, 5);
        let adam = trained_adam(&mut net, mode);
        let spec = *net.spec();
        let nw = spec.n_weights();
        let mut buf = vec![0u8; saved_len::<T>(&spec, false, true)];
        model::save_adam(&net, &adam, &mut buf).unwrap();
        let m = Model::parse(&buf).unwrap();
        assert_eq!(m.adam_config(), Some(*adam.config()));
        let mut net2 = trained_net::<T>(5, 6);
        let mut adam2 = Adam::new(AdamConfig::default(), nw, vec![T::ZERO; 3 * nw]).unwrap();
        m.load_adam(&mut net2, &mut adam2).unwrap();
        assert_eq!(bits(net2.weights()), bits(net.weights()));
        let (s1, t1, a1, b1) = adam.state();
        let (s2, t2, a2, b2) = adam2.state();
        assert_eq!(bits(s1), bits(s2));
        assert_eq!(
            (t1, a1.to_bits(), b1.to_bits()),
            (t2, a2.to_bits(), b2.to_bits())
        );
        assert_eq!(adam2.config(), adam.config());
        // And they continue identically.
        let (mut adam, mut net) = (adam, net);
        for opt in [(&mut adam, &mut net), (&mut adam2, &mut net2)] {
            opt.0.observe(opt.1, &[T::ONE, T::ONE], &[T::ZERO]).unwrap();
            opt.0.end_epoch(opt.1).unwrap();
        }
        assert_eq!(bits(net2.weights()), bits(net.weights()));
    }
}

#[test]
fn round_trips_are_exact_f32_and_f64() {
    round_trip_network::<f32>();
    round_trip_network::<f64>();
    round_trip_gehf::<f32>();
    round_trip_gehf::<f64>();
    round_trip_adam::<f32>();
    round_trip_adam::<f64>();
}

#[test]
fn crc_is_the_ieee_one() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

fn small_file() -> Vec<u8> {
    let mut net = trained_net::<f32>(5, 7);
    let f = trained_filter(&mut net);
    let mut buf = vec![0u8; saved_len::<f32>(net.spec(), true, false)];
    model::save_gehf(&net, &f, &mut buf).unwrap();
    buf
}

/// Rewrites the CRC trailer so that a deliberate edit passes the checksum.
fn fix_crc(buf: &mut [u8]) {
    let n = buf.len() - 4;
    let c = crc32(&buf[..n]);
    buf[n..].copy_from_slice(&c.to_le_bytes());
}

fn model_err(r: Result<Model<'_>>) -> ModelError {
    match r {
        Err(Error::Model(e)) => e,
        other => panic!("expected a model error, got {other:?}"),
    }
}

#[test]
fn every_truncation_is_refused() {
    let buf = small_file();
    for len in 0..buf.len() {
        let e = model_err(Model::parse(&buf[..len]));
        assert!(
            matches!(
                e,
                ModelError::Truncated { .. }
                    | ModelError::BadMagic
                    | ModelError::UnsupportedVersion { .. }
            ),
            "len {len}: {e:?}"
        );
        if len >= 8 {
            assert!(
                matches!(e, ModelError::Truncated { .. }),
                "len {len}: {e:?}"
            );
        }
    }
    let mut long = buf.clone();
    long.push(0);
    assert!(matches!(
        model_err(Model::parse(&long)),
        ModelError::TrailingBytes { .. }
    ));
}

#[test]
fn every_single_bit_flip_is_refused() {
    let mut net = trained_net::<f32>(5, 8);
    let mut buf = vec![0u8; saved_len::<f32>(net.spec(), false, false)];
    model::save_network(&net, &mut buf).unwrap();
    let before = bits(net.weights());
    for byte in 0..buf.len() {
        for bit in 0..8 {
            let mut bad = buf.clone();
            bad[byte] ^= 1 << bit;
            let r = Model::parse(&bad);
            assert!(r.is_err(), "flip {byte}:{bit} accepted");
        }
    }
    // And a flip in a big file with P too (sampled positions).
    let big = small_file();
    for byte in (0..big.len()).step_by(7) {
        let mut bad = big.clone();
        bad[byte] ^= 0x10;
        assert!(Model::parse(&bad).is_err(), "flip at {byte} accepted");
    }
    assert_eq!(bits(net.weights()), before);
    let m = Model::parse(&buf).unwrap();
    m.load_network(&mut net).unwrap();
}

#[test]
fn wrong_magic_version_precision_sections_and_values_are_named() {
    let buf = small_file();
    let mut b = buf.clone();
    b[0] = b'X';
    assert_eq!(model_err(Model::parse(&b)), ModelError::BadMagic);

    let mut b = buf.clone();
    b[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    fix_crc(&mut b);
    assert_eq!(
        model_err(Model::parse(&b)),
        ModelError::UnsupportedVersion {
            found: FORMAT_VERSION + 1
        }
    );

    let mut b = buf.clone();
    b[6] = 2;
    fix_crc(&mut b);
    assert_eq!(
        model_err(Model::parse(&b)),
        ModelError::UnknownPrecision { tag: 2 }
    );

    let mut b = buf.clone();
    b[7] |= 0x80;
    fix_crc(&mut b);
    assert_eq!(
        model_err(Model::parse(&b)),
        ModelError::UnknownSections { flags: 0x81 }
    );

    // A section bit without its bytes: the spec no longer adds up.
    let mut b = buf.clone();
    b[7] |= 2;
    fix_crc(&mut b);
    assert_eq!(model_err(Model::parse(&b)), ModelError::InvalidSpec);

    // Depth 0 blocks.
    let mut b = buf.clone();
    b[24..28].copy_from_slice(&0u32.to_le_bytes());
    fix_crc(&mut b);
    assert_eq!(model_err(Model::parse(&b)), ModelError::InvalidSpec);

    // A NaN weight with a valid checksum.
    let mut b = buf.clone();
    b[40..44].copy_from_slice(&f32::NAN.to_le_bytes());
    fix_crc(&mut b);
    assert!(matches!(
        model_err(Model::parse(&b)),
        ModelError::InvalidValue { what: "weights" }
    ));

    // γ_f = 1 with a valid checksum.
    let nw = 76;
    let at = 40 + 4 * nw;
    let mut b = buf.clone();
    b[at..at + 8].copy_from_slice(&1.0f64.to_le_bytes());
    fix_crc(&mut b);
    assert!(matches!(
        model_err(Model::parse(&b)),
        ModelError::InvalidValue { .. }
    ));

    // A negative diagonal of P with a valid checksum.
    let p0 = at + 41;
    let mut b = buf.clone();
    b[p0..p0 + 4].copy_from_slice(&(-1.0f32).to_le_bytes());
    fix_crc(&mut b);
    assert!(matches!(
        model_err(Model::parse(&b)),
        ModelError::InvalidValue { .. }
    ));
}

#[test]
fn wrong_target_is_refused_and_nothing_is_half_loaded() {
    let buf = small_file();
    let m = Model::parse(&buf).unwrap();

    // Another depth.
    let mut net7 = trained_net::<f32>(7, 1);
    let w7 = bits(net7.weights());
    assert_eq!(
        m.load_network(&mut net7),
        Err(Error::Model(ModelError::SpecMismatch))
    );
    assert_eq!(bits(net7.weights()), w7);

    // Another precision.
    let mut net64 = trained_net::<f64>(5, 1);
    assert_eq!(
        m.load_network(&mut net64),
        Err(Error::Model(ModelError::PrecisionMismatch {
            file: 4,
            target: 8
        }))
    );

    // Another slope.
    let spec = ResNetSpec::new(2, 5, 1, 5, 1.0).unwrap();
    let mut other = ResNet::new(spec, vec![0.0f32; spec.buffer_len()]).unwrap();
    assert_eq!(
        m.load_network(&mut other),
        Err(Error::Model(ModelError::SpecMismatch))
    );

    // A covariance of the wrong size: neither the net nor P change.
    let mut net = trained_net::<f32>(5, 2);
    let w = bits(net.weights());
    let cov = PackedCovariance::new(10, 1.0f32, vec![0.0; packed_len(10)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; 10]).unwrap();
    assert!(matches!(
        m.load_gehf(&mut net, &mut f),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(bits(net.weights()), w);

    // An isotropic covariance cannot hold a trained P: the generic load
    // fails at P and the weights stay as they were.
    let iso = IsotropicCovariance::new(76, 1.0f32).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), iso, vec![0.0; 76]).unwrap();
    let mut scratch = vec![0.0f32; packed_len(76)];
    assert!(matches!(
        m.load_gehf_via(&mut net, &mut f, &mut scratch),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(bits(net.weights()), w);
    assert_eq!(f.config(), &GEhfConfig::default());
    // Too short a scratch.
    assert!(matches!(
        m.load_gehf_via(&mut net, &mut f, &mut scratch[..10]),
        Err(Error::CapacityExceeded { .. })
    ));

    // No Adam section.
    let n = 76;
    let mut adam = Adam::new(AdamConfig::default(), n, vec![0.0f32; 3 * n]).unwrap();
    assert_eq!(
        m.load_adam(&mut net, &mut adam),
        Err(Error::Model(ModelError::MissingSection { what: "adam" }))
    );
    assert_eq!(bits(net.weights()), w);

    // A network-only file has no P.
    let mut b = vec![0u8; saved_len::<f32>(net.spec(), false, false)];
    model::save_network(&net, &mut b).unwrap();
    let m = Model::parse(&b).unwrap();
    let cov = PackedCovariance::new(n, 1.0f32, vec![0.0; packed_len(n)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), cov, vec![0.0; n]).unwrap();
    assert_eq!(
        m.load_gehf(&mut net, &mut f),
        Err(Error::Model(ModelError::MissingSection { what: "g-EHF" }))
    );
}

#[test]
fn too_small_an_output_buffer_is_an_error_and_writes_nothing() {
    let mut net = trained_net::<f64>(5, 9);
    let f = trained_filter(&mut net);
    let need = saved_len::<f64>(net.spec(), true, false);
    let mut buf = vec![0xAAu8; need - 1];
    assert_eq!(
        model::save_gehf(&net, &f, &mut buf),
        Err(Error::CapacityExceeded {
            what: "model buffer (bytes)",
            needed: need,
            capacity: need - 1
        })
    );
    assert!(buf.iter().all(|b| *b == 0xAA));
    assert!(model::save_network(&net, &mut []).is_err());
    // A longer buffer is fine: the file is the prefix.
    let mut buf = vec![0u8; need + 10];
    assert_eq!(model::save_gehf(&net, &f, &mut buf), Ok(need));
    assert!(Model::parse(&buf[..need]).is_ok());
}

#[test]
fn a_static_buffer_sized_at_compile_time_works_without_a_heap() {
    const SPEC: ResNetSpec = ResNetSpec::xor_const(1);
    const LEN: usize = saved_len::<f32>(&SPEC, true, false);
    let mut net = ResNet::new(SPEC, [0.0f32; SPEC.buffer_len()]).unwrap();
    net.init_uniform(&mut rng(3), 0.05).unwrap();
    let p = PackedCovariance::new(SPEC.n_weights(), 1.0, [0.0f32; SPEC.n_packed()]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), p, [0.0f32; SPEC.n_weights()]).unwrap();
    f.step(&mut net, &[1.0, 1.0], &[0.0]).unwrap();
    let mut file = [0u8; LEN];
    model::save_gehf(&net, &f, &mut file).unwrap();
    let m = Model::parse(&file).unwrap();
    let mut net2 = ResNet::new(SPEC, [0.0f32; SPEC.buffer_len()]).unwrap();
    let p = PackedCovariance::new(SPEC.n_weights(), 1.0, [0.0f32; SPEC.n_packed()]).unwrap();
    let mut f2 = GEhf::new(GEhfConfig::default(), p, [0.0f32; SPEC.n_weights()]).unwrap();
    m.load_gehf(&mut net2, &mut f2).unwrap();
    assert_eq!(net2.weights(), net.weights());
    assert_eq!(f2.covariance().packed(), f.covariance().packed());
}
