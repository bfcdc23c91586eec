//! The block-diagonal covariance (the l-EHF read as the printed g-EHF with
//! `P` restricted to its diagonal blocks, issue 15 item 1) against the
//! packed g-EHF (one block: bit for bit) and against a dense `P` whose
//! off-diagonal blocks are zeroed after every downdate (computed here,
//! independently of the crate).

mod common;
use common::*;
use hinf::*;

fn bits<T: Real>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|x| x.to_f64().to_bits()).collect()
}

/// Block j of every weight, derived here from eq. (16) as the spec's
/// transitions describe it (independently of `BlockLayout`).
fn block_ids(spec: &ResNetSpec, per_neuron: bool) -> Vec<usize> {
    let mut ids = Vec::new();
    let mut next = 0;
    for t in 1..spec.layers() {
        let tr = spec.transition(t).unwrap();
        for _neuron in 0..tr.outputs {
            for _ in 0..tr.row_len() {
                ids.push(next);
            }
            if per_neuron {
                next += 1;
            }
        }
        if !per_neuron {
            next += 1;
        }
    }
    assert_eq!(ids.len(), spec.n_weights());
    ids
}

/// A dense `P` that, after every downdate `P − c u uᵀ`, sets the entries
/// outside the diagonal blocks to zero: the restriction, computed the
/// obvious way.
struct DenseRestricted {
    n: usize,
    a: Vec<f64>,
    block: Vec<usize>,
}

impl DenseRestricted {
    fn new(block: Vec<usize>, eps0: f64) -> Self {
        let n = block.len();
        let mut d = Self {
            n,
            a: vec![0.0; n * n],
            block,
        };
        d.reset(eps0);
        d
    }
    fn mat(&self) -> Mat {
        Mat {
            n: self.n,
            a: self.a.clone(),
        }
    }
}

impl Covariance<f64> for DenseRestricted {
    fn dim(&self) -> usize {
        self.n
    }
    fn mul_vec(&self, v: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate().take(self.n) {
            *o = (0..self.n).map(|j| self.a[i * self.n + j] * v[j]).sum();
        }
    }
    fn downdate(&mut self, c: f64, u: &[f64]) {
        for i in 0..self.n {
            for j in 0..self.n {
                self.a[i * self.n + j] -= c * u[i] * u[j];
                if self.block[i] != self.block[j] {
                    self.a[i * self.n + j] = 0.0;
                }
            }
        }
    }
    fn reset(&mut self, eps0: f64) {
        for i in 0..self.n {
            for j in 0..self.n {
                self.a[i * self.n + j] = if i == j { eps0 } else { 0.0 };
            }
        }
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        self.a[i * self.n + j]
    }
}

fn layout(spec: &ResNetSpec, blocking: Blocking) -> BlockLayout<Vec<usize>> {
    BlockLayout::standard(blocking, spec, vec![0; blocking.layout_len(spec)]).unwrap()
}

fn block_cov<T: Real>(
    spec: &ResNetSpec,
    blocking: Blocking,
    eps0: f64,
) -> BlockCovariance<T, Vec<usize>, Vec<T>> {
    BlockCovariance::new(
        layout(spec, blocking),
        T::from_f64(eps0),
        vec![T::ZERO; blocking.packed_len(spec)],
    )
    .unwrap()
}

#[test]
fn the_standard_layouts_at_l5_by_hand() {
    let spec = ResNetSpec::xor(5).unwrap();
    // W¹: 5 neurons of [b, w1, w2]; W²: 5 of [b, w1..w5]; W³ (identity):
    // 5 of [w1..w5]; W⁴: the output [b, w1..w5].
    let neurons = layout(&spec, Blocking::PerNeuron);
    let mut expected = vec![0];
    expected.extend((1..=5).map(|j| 3 * j));
    expected.extend((1..=5).map(|j| 15 + 6 * j));
    expected.extend((1..=5).map(|j| 45 + 5 * j));
    expected.push(76);
    assert_eq!(neurons.bounds(), &expected[..]);
    assert_eq!(neurons.blocks(), Blocking::PerNeuron.blocks(&spec));
    assert_eq!(
        neurons.packed_len(),
        5 * 6 + 5 * 21 + 5 * 15 + 21 // Σ b(b+1)/2
    );
    assert_eq!(Blocking::PerNeuron.packed_len(&spec), neurons.packed_len());
    let layers = layout(&spec, Blocking::PerLayer);
    assert_eq!(layers.bounds(), &[0, 15, 45, 70, 76]);
    assert_eq!(
        Blocking::PerLayer.packed_len(&spec),
        packed_len(15) + packed_len(30) + packed_len(25) + packed_len(6)
    );
    let whole = layout(&spec, Blocking::Whole);
    assert_eq!(whole.bounds(), &[0, 76]);
    assert_eq!(Blocking::Whole.packed_len(&spec), spec.n_packed());
    for i in 0..76 {
        let j = neurons.block_of(i).unwrap();
        assert!(neurons.block(j).unwrap().contains(&i));
    }
    assert_eq!(neurons.block_of(76), None);
    // The same partition from its boundaries.
    let custom = BlockLayout::from_bounds(&spec, &expected, vec![0; block_layout_len(16)]).unwrap();
    assert_eq!(custom, neurons);
    // And the independent derivation agrees at several depths and widths.
    for spec in [
        ResNetSpec::xor(7).unwrap(),
        ResNetSpec::xor(21).unwrap(),
        ResNetSpec::new(3, 4, 2, 9, 1.0).unwrap(),
    ] {
        for (blocking, per_neuron) in [(Blocking::PerNeuron, true), (Blocking::PerLayer, false)] {
            let l = layout(&spec, blocking);
            let ids = block_ids(&spec, per_neuron);
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(l.block_of(i), Some(*id));
            }
            let sizes: usize = (0..l.blocks())
                .map(|j| packed_len(l.block(j).unwrap().len()))
                .sum();
            assert_eq!(sizes, blocking.packed_len(&spec));
        }
    }
}

/// With one block the block covariance is the packed g-EHF, bit for bit:
/// weights and P after every step of whole XOR runs, in f32 and f64, for
/// the printed step, the covariance-first order, the trust region and a
/// regularized P.
fn one_block_is_packed<T: Real>() {
    let configs = [
        (GEhfConfig::default(), Extension::None, Regularization::NONE),
        (
            GEhfConfig {
                gain_order: GainOrder::CovarianceFirst,
                ..GEhfConfig::default()
            },
            Extension::None,
            Regularization::NONE,
        ),
        (
            GEhfConfig {
                eps0: EXTENSION_EPS0,
                ..GEhfConfig::default()
            },
            Extension::OutputTrustRegion(TrustRegion::RECOMMENDED),
            Regularization::NONE,
        ),
        (
            GEhfConfig::default(),
            Extension::None,
            Regularization {
                process_noise: 1e-4,
                forgetting: 0.999,
                diagonal_floor: 1e-3,
            },
        ),
    ];
    for layers in [5, 7] {
        for (seed, (cfg, ext, reg)) in configs.iter().enumerate() {
            let mut net_p = xor_net::<T>(layers, seed as u64);
            let mut net_b = net_p.clone();
            let spec = *net_p.spec();
            let n = spec.n_weights();
            let packed = PackedCovariance::new(n, T::ONE, vec![T::ZERO; packed_len(n)]).unwrap();
            let blocks = block_cov::<T>(&spec, Blocking::Whole, 1.0);
            let mut fp = GEhf::new(*cfg, packed, vec![T::ZERO; 2 * n])
                .unwrap()
                .with_extension(*ext)
                .unwrap()
                .with_regularization(*reg)
                .unwrap();
            let mut fb = GEhf::new(*cfg, blocks, vec![T::ZERO; 2 * n])
                .unwrap()
                .with_extension(*ext)
                .unwrap()
                .with_regularization(*reg)
                .unwrap();
            let xor = Xor::<T>::new(InputCoding::default());
            for epoch in 0..40 {
                for k in ORDER {
                    let (x, y) = xor.samples().get(k).unwrap();
                    let rp = fp.step(&mut net_p, x, y);
                    let rb = fb.step(&mut net_b, x, y);
                    assert_eq!(rp.is_ok(), rb.is_ok());
                    if let (Ok(a), Ok(b)) = (rp, rb) {
                        assert_eq!(a.hph.to_f64().to_bits(), b.hph.to_f64().to_bits());
                    }
                    let at = format!("{} L = {layers} cfg {seed} epoch {epoch}", T::NAME);
                    assert_eq!(bits(net_p.weights()), bits(net_b.weights()), "{at}");
                    assert_eq!(
                        bits(fp.covariance().packed()),
                        bits(fb.covariance().blocks()),
                        "{at}"
                    );
                }
            }
            assert_eq!(fp.health(), fb.health());
            assert_eq!(
                fp.covariance().diagonal_bounds(),
                fb.covariance().diagonal_bounds()
            );
        }
    }
}

#[test]
fn one_block_is_the_packed_gehf_bit_for_bit_f64() {
    one_block_is_packed::<f64>();
}

#[test]
fn one_block_is_the_packed_gehf_bit_for_bit_f32() {
    one_block_is_packed::<f32>();
}

/// The block covariance against the dense P restricted after every
/// downdate, for neuron and layer blocks at L = 5 and 7, over XOR runs.
#[test]
fn blocks_are_the_dense_p_restricted_to_its_diagonal_blocks() {
    for layers in [5, 7] {
        for (blocking, per_neuron) in [(Blocking::PerNeuron, true), (Blocking::PerLayer, false)] {
            for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
                let cfg = GEhfConfig {
                    gain_order: order,
                    ..GEhfConfig::default()
                };
                let mut net_b = xor_net::<f64>(layers, 3);
                let mut net_d = net_b.clone();
                let spec = *net_b.spec();
                let n = spec.n_weights();
                let blocks = block_cov::<f64>(&spec, blocking, cfg.eps0);
                let dense = DenseRestricted::new(block_ids(&spec, per_neuron), cfg.eps0);
                let mut fb = GEhf::new(cfg, blocks, vec![0.0; n]).unwrap();
                let mut fd = GEhf::new(cfg, dense, vec![0.0; n]).unwrap();
                let xor = Xor::<f64>::new(InputCoding::default());
                let mut moved = 0.0f64;
                for epoch in 0..30 {
                    for k in ORDER {
                        let (x, y) = xor.samples().get(k).unwrap();
                        let w0 = net_b.weights().to_vec();
                        fb.step(&mut net_b, x, y).unwrap();
                        fd.step(&mut net_d, x, y).unwrap();
                        let at = format!("L = {layers} {blocking:?} {order:?} epoch {epoch}");
                        for (i, (a, b)) in net_b.weights().iter().zip(net_d.weights()).enumerate() {
                            assert!(
                                (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                                "{at}: weight {i}: {a} vs {b}"
                            );
                        }
                        moved = moved.max(
                            net_b
                                .weights()
                                .iter()
                                .zip(&w0)
                                .map(|(a, b)| (a - b).abs())
                                .fold(0.0, f64::max),
                        );
                        let pb = dense_of(fb.covariance());
                        let pd = fd.covariance().mat();
                        let scale = pd.max_abs();
                        assert!(
                            pb.max_abs_diff(&pd) <= 1e-10 * scale,
                            "{at}: P differs by {}",
                            pb.max_abs_diff(&pd)
                        );
                    }
                }
                assert!(moved > 1e-3, "the run did learn something");
                let p = fb.covariance();
                assert!(p.is_positive_definite(&mut vec![0.0; n * n]).unwrap());
                // Nothing outside the blocks, ever.
                let ids = block_ids(&spec, per_neuron);
                for i in 0..n {
                    for j in 0..n {
                        if ids[i] != ids[j] {
                            assert_eq!(p.get(i, j), 0.0);
                        }
                    }
                }
            }
        }
    }
}

/// The same run in f32 and f64 stays close.
#[test]
fn f32_blocks_track_f64() {
    for blocking in [Blocking::PerNeuron, Blocking::PerLayer] {
        let n64 = xor_net::<f64>(7, 5);
        let spec = *n64.spec();
        let cfg = GEhfConfig::default();
        let (diff, f64f, f32f) = f32_vs_f64(
            n64,
            block_cov::<f64>(&spec, blocking, cfg.eps0),
            block_cov::<f32>(&spec, blocking, cfg.eps0),
        );
        assert!(
            diff < 1e-3,
            "{blocking:?}: f32 vs f64 weights differ by {diff}"
        );
        let pdiff = dense_of(f64f.covariance()).max_abs_diff(&dense_of(f32f.covariance()));
        assert!(
            pdiff < 1e-3 * cfg.eps0,
            "{blocking:?}: P differs by {pdiff}"
        );
    }
}

/// Matrix helpers for the multi-output block form.
fn matmul(a: &[f64], b: &[f64], r: usize, k: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            out[i * c + j] = (0..k).map(|t| a[i * k + t] * b[t * c + j]).sum();
        }
    }
    out
}

fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            out[j * r + i] = a[i * c + j];
        }
    }
    out
}

/// The printed multi-output filter for H (m × n), eqs. (3)–(6): gain
/// `K = P Hᵀ (H P Hᵀ + I)⁻¹` and `P − P [Hᵀ Hᵀ] R_e⁻¹ [H; H] P`.
fn block_form(p: &Mat, h: &[f64], m: usize, gamma: f64) -> (Vec<f64>, Mat) {
    let n = p.n;
    let pht = matmul(&p.a, &transpose(h, m, n), n, n, m);
    let mut s = Mat {
        n: m,
        a: matmul(h, &pht, m, n, m),
    };
    for i in 0..m {
        s.a[i * m + i] += 1.0;
    }
    let k = matmul(&pht, &s.inverse().a, n, m, m);
    let mut hh = h.to_vec();
    hh.extend_from_slice(h);
    let hht = transpose(&hh, 2 * m, n);
    let phh = matmul(&p.a, &hht, n, n, 2 * m);
    let mut re = Mat {
        n: 2 * m,
        a: matmul(&hh, &phh, 2 * m, n, 2 * m),
    };
    for i in 0..m {
        re.a[i * 2 * m + i] += 1.0;
        re.a[(m + i) * 2 * m + m + i] -= gamma * gamma;
    }
    let middle = matmul(&phh, &re.inverse().a, n, 2 * m, 2 * m);
    let corr = matmul(&middle, &transpose(&phh, n, 2 * m), n, 2 * m, n);
    let mut p1 = p.clone();
    for (x, c) in p1.a.iter_mut().zip(&corr) {
        *x -= c;
    }
    (k, p1)
}

/// Several outputs: one measurement update from a random block-diagonal
/// `P` is the printed block form of eqs. (4)–(6) (the global N_L × N_L
/// innovation), restricted to the diagonal blocks; and whole runs agree
/// with the dense restricted `P`.
#[test]
fn several_outputs_are_the_block_form_restricted() {
    let spec = ResNetSpec::new(2, 3, 3, 7, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut r = rng(17);
    for (blocking, per_neuron) in [(Blocking::PerNeuron, true), (Blocking::PerLayer, false)] {
        let ids = block_ids(&spec, per_neuron);
        for trial in 0..6 {
            let m = 2 + trial % 2;
            let gamma = 1.2 + 0.3 * trial as f64;
            // A random block-diagonal SPD P.
            let mut p = Mat::zeros(n);
            let l = layout(&spec, blocking);
            for j in 0..l.blocks() {
                let w = l.block(j).unwrap();
                let b = Mat::random_spd(w.len(), &mut r);
                for (a, i) in w.clone().enumerate() {
                    for (c, k) in w.clone().enumerate() {
                        p.a[i * n + k] = b.at(a, c) / w.len() as f64;
                    }
                }
            }
            let h: Vec<f64> = (0..m * n).map(|_| uniform(&mut r, 1.0)).collect();
            let e: Vec<f64> = (0..m).map(|_| uniform(&mut r, 1.0)).collect();
            let w0: Vec<f64> = (0..n).map(|_| uniform(&mut r, 1.0)).collect();
            let (k, mut p1) = block_form(&p, &h, m, gamma);
            for i in 0..n {
                for j in 0..n {
                    if ids[i] != ids[j] {
                        p1.a[i * n + j] = 0.0;
                    }
                }
            }
            let cfg = GEhfConfig {
                gamma,
                ..GEhfConfig::default()
            };
            let mut f = GEhf::new(
                cfg,
                block_cov::<f64>(&spec, blocking, 1.0),
                vec![0.0; m * n],
            )
            .unwrap();
            f.covariance_mut().load_packed(&p.packed()).unwrap();
            assert!(dense_of(f.covariance()).max_abs_diff(&p) == 0.0);
            let mut w = w0.clone();
            f.measurement_update(&mut w, &h, &e).unwrap();
            for i in 0..n {
                let expected = w0[i] + (0..m).map(|o| k[i * m + o] * e[o]).sum::<f64>();
                assert!(
                    (w[i] - expected).abs() < 1e-11 * (1.0 + expected.abs()),
                    "{blocking:?} trial {trial}: weight {i}: {} vs {expected}",
                    w[i]
                );
            }
            let got = dense_of(f.covariance());
            assert!(
                got.max_abs_diff(&p1) < 1e-10 * p1.max_abs(),
                "{blocking:?} trial {trial}: P differs by {}",
                got.max_abs_diff(&p1)
            );
        }

        // Whole runs on a 3-output net: blocks vs the dense restricted P.
        let mut net_b = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
        net_b.init_uniform(&mut rng(6), 0.3).unwrap();
        let mut net_d = net_b.clone();
        let cfg = GEhfConfig::default();
        let mut fb = GEhf::new(
            cfg,
            block_cov::<f64>(&spec, blocking, cfg.eps0),
            vec![0.0; 3 * n],
        )
        .unwrap();
        let mut fd = GEhf::new(
            cfg,
            DenseRestricted::new(ids.clone(), cfg.eps0),
            vec![0.0; 3 * n],
        )
        .unwrap();
        for step in 0..60 {
            let t = step as f64 * 0.7;
            let x = [t.sin(), t.cos()];
            let class = step % 3;
            let y: Vec<f64> = (0..3).map(|o| if o == class { 1.0 } else { 0.0 }).collect();
            fb.step(&mut net_b, &x, &y).unwrap();
            fd.step(&mut net_d, &x, &y).unwrap();
            for (a, b) in net_b.weights().iter().zip(net_d.weights()) {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "step {step}: {a} vs {b}"
                );
            }
            let pd = fd.covariance().mat();
            assert!(dense_of(fb.covariance()).max_abs_diff(&pd) <= 1e-10 * pd.max_abs());
        }
        assert!(
            fb.covariance()
                .is_positive_definite(&mut vec![0.0; n * n])
                .unwrap()
        );
    }
}

/// With one block and several outputs: the packed multi-output g-EHF, bit
/// for bit.
#[test]
fn several_outputs_with_one_block_are_the_packed_filter_bit_for_bit() {
    let spec = ResNetSpec::new(2, 5, 3, 5, PAPER_SLOPE).unwrap();
    let n = spec.n_weights();
    let mut net_p = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net_p.init_uniform(&mut rng(2), 0.3).unwrap();
    let mut net_b = net_p.clone();
    let cfg = GEhfConfig::default();
    let packed = PackedCovariance::new(n, 1.0, vec![0.0; packed_len(n)]).unwrap();
    let mut fp = GEhf::new(cfg, packed, vec![0.0; 3 * n]).unwrap();
    let mut fb = GEhf::new(
        cfg,
        block_cov::<f64>(&spec, Blocking::Whole, 1.0),
        vec![0.0; 3 * n],
    )
    .unwrap();
    for step in 0..40 {
        let t = step as f64 * 0.41;
        let x = [t.sin(), (1.3 * t).cos()];
        let y = [0.5 + 0.4 * t.sin(), 0.2, 0.5 - 0.3 * t.cos()];
        let a = fp.step(&mut net_p, &x, &y).unwrap();
        let b = fb.step(&mut net_b, &x, &y).unwrap();
        assert_eq!(a.hph.to_bits(), b.hph.to_bits());
        assert_eq!(bits(net_p.weights()), bits(net_b.weights()), "step {step}");
        assert_eq!(
            bits(fp.covariance().packed()),
            bits(fb.covariance().blocks())
        );
    }
}

#[test]
fn bad_layouts_and_storage_are_typed_errors() {
    let spec = ResNetSpec::xor(5).unwrap();
    let bad = Error::InvalidParameter {
        name: Param::BlockLayout,
    };
    for bounds in [
        &[][..],
        &[0],
        &[0, 75],         // does not cover N_w
        &[0, 77],         // beyond N_w
        &[1, 76],         // does not start at 0
        &[0, 30, 30, 76], // an empty block
        &[0, 40, 30, 76], // not increasing
    ] {
        assert_eq!(
            BlockLayout::from_bounds(&spec, bounds, vec![0; 16]),
            Err(bad),
            "{bounds:?}"
        );
    }
    // A layout of another spec.
    let other = ResNetSpec::xor(7).unwrap();
    let bounds7 = layout(&other, Blocking::PerLayer).bounds().to_vec();
    assert_eq!(
        BlockLayout::from_bounds(&spec, &bounds7, vec![0; 16]),
        Err(bad)
    );
    // Short layout storage.
    let need = Blocking::PerNeuron.layout_len(&spec);
    assert_eq!(
        BlockLayout::per_neuron(&spec, vec![0; need - 1]),
        Err(Error::CapacityExceeded {
            what: "block layout",
            needed: need,
            capacity: need - 1
        })
    );
    assert!(matches!(
        BlockLayout::from_bounds(&spec, &[0, 30, 76], [0usize; 5]),
        Err(Error::CapacityExceeded { needed: 6, .. })
    ));
    // Short covariance storage, bad ε0.
    let need = Blocking::PerNeuron.packed_len(&spec);
    assert!(matches!(
        BlockCovariance::new(
            layout(&spec, Blocking::PerNeuron),
            1.0,
            vec![0.0f64; need - 1]
        ),
        Err(Error::CapacityExceeded { needed, .. }) if needed == need
    ));
    for eps0 in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            BlockCovariance::new(layout(&spec, Blocking::PerNeuron), eps0, vec![0.0; need]).err(),
            Some(Error::InvalidEps0)
        );
    }
}

#[test]
fn bad_values_change_nothing() {
    let spec = ResNetSpec::xor(5).unwrap();
    let n = spec.n_weights();
    let mut net = xor_net::<f64>(5, 1);
    let mut f = GEhf::new(
        GEhfConfig::default(),
        block_cov::<f64>(&spec, Blocking::PerNeuron, 1.0),
        vec![0.0; n],
    )
    .unwrap();
    let xor = Xor::<f64>::new(InputCoding::default());
    for k in 0..8 {
        let (x, y) = xor.samples().get(k % 4).unwrap();
        f.step(&mut net, x, y).unwrap();
    }
    let p0 = bits(f.covariance().blocks());
    let w0 = bits(net.weights());
    let cov = f.covariance_mut();

    // Non-finite or wrongly sized P.
    let mut blocks = cov.blocks().to_vec();
    blocks[7] = f64::NAN;
    assert!(matches!(
        cov.set_blocks(&blocks),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        cov.set_blocks(&blocks[1..]),
        Err(Error::LengthMismatch { .. })
    ));
    let mut full = dense_of(cov).packed();
    full[packed_len(4)] = 0.5; // P[4][0]: another neuron's block
    assert!(matches!(
        cov.load_packed(&full),
        Err(Error::Unsupported { .. })
    ));
    full[packed_len(4)] = f64::INFINITY;
    assert!(matches!(
        cov.load_packed(&full),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        cov.load_packed(&full[1..]),
        Err(Error::LengthMismatch { .. })
    ));
    // Regularization operations out of range or overflowing.
    assert!(cov.add_diagonal(-1.0).is_err());
    assert!(cov.add_diagonal(f64::NAN).is_err());
    assert!(cov.scale(0.0).is_err());
    assert!(cov.scale(f64::INFINITY).is_err());
    assert!(cov.floor_diagonal(f64::NAN).is_err());
    let mut big = cov.clone();
    big.add_diagonal(f64::MAX / 2.0).unwrap();
    let before = bits(big.blocks());
    assert_eq!(
        big.add_diagonal(f64::MAX),
        Err(Error::Diverged { what: "covariance" })
    );
    assert_eq!(big.scale(4.0), Err(Error::Diverged { what: "covariance" }));
    assert_eq!(bits(big.blocks()), before);
    assert_eq!(bits(cov.blocks()), p0);

    // A network whose size does not match P, a non-finite target.
    let mut net7 = xor_net::<f64>(7, 1);
    let (x, _) = xor.samples().get(0).unwrap();
    assert!(matches!(
        f.step(&mut net7, x, &[1.0]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        f.step(&mut net, x, &[f64::NAN]),
        Err(Error::NonFinite { .. })
    ));
    assert_eq!(bits(f.covariance().blocks()), p0);
    assert_eq!(bits(net.weights()), w0);

    // The loaded P round-trips exactly; the regularization operations act
    // on every block's diagonal.
    let cov = f.covariance_mut();
    let full = dense_of(cov).packed();
    let mut again = block_cov::<f64>(&spec, Blocking::PerNeuron, 1.0);
    again.load_packed(&full).unwrap();
    assert_eq!(bits(again.blocks()), p0);
    let (lo, hi) = again.diagonal_bounds();
    assert!(0.0 < lo && lo <= hi && hi <= DEFAULT_EPS0);
    assert_eq!(again.floor_diagonal(20.0), Ok(n));
    assert_eq!(again.diagonal_bounds(), (20.0, 20.0));
    again.add_diagonal(1.0).unwrap();
    again.scale(0.5).unwrap();
    assert_eq!(again.diagonal_bounds(), (10.5, 10.5));
    // Block Cholesky needs only the largest block's triangle.
    assert!(again.is_positive_definite(&mut [0.0; 21]).unwrap());
    assert!(matches!(
        again.is_positive_definite(&mut [0.0; 20]),
        Err(Error::CapacityExceeded { needed: 21, .. })
    ));
}
