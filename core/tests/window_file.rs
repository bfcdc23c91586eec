//! Model files with an information window (section bit 2): a window
//! learner saves by its rows and loads back bit for bit — the loaded
//! learner then runs exactly as the saved one; every bad file or target is
//! a typed error that changes nothing; packed files are as before.

mod common;
use common::*;
use hinf::model::{self, Model, saved_gehf_len, saved_len, saved_window_len};
use hinf::*;

type Win<T> = GEhf<T, InfoWindow<T, Vec<T>>, Vec<T>>;

fn window_filter<T: Real>(nw: usize, memory: usize, outputs: usize, cfg: GEhfConfig) -> Win<T> {
    let shape = WindowShape::new(nw, memory, outputs);
    let w = InfoWindow::new(shape, T::ONE, vec![T::ZERO; shape.storage_len()]).unwrap();
    GEhf::new(cfg, w, vec![T::ZERO; outputs * nw]).unwrap()
}

/// The kept rows and weights, newest first.
fn row_bits<T: Real, C: Covariance<T>>(c: &C) -> Vec<u64> {
    let n = c.window_state().map_or(0, |s| s.rows);
    (0..n)
        .flat_map(|q| {
            let (a, row) = c.window_row(q).unwrap();
            let mut v = vec![a.to_f64().to_bits()];
            v.extend(bits(row));
            v
        })
        .collect()
}

/// Train, save, load into a fresh learner (other weights, other
/// parameters, other ε0), then run both on: bit for bit throughout.
fn round_trip<T: Real>(spec: ResNetSpec, memory: usize, order: GainOrder, before: usize) {
    let (nw, outputs) = (spec.n_weights(), spec.outputs());
    let cfg = GEhfConfig {
        gamma: 2.5,
        eps0: 3.0,
        gain_order: order,
    };
    let mut net = network::<T>(spec, 4);
    let mut f = window_filter::<T>(nw, memory, outputs, cfg);
    run_steps(&mut f, &mut net, 0, before);
    let n = f.covariance().len();
    assert_eq!(n, (before * outputs).min(memory * outputs));

    let buf = save(&net, &f);
    assert_eq!(
        buf.len(),
        saved_window_len::<T>(&spec, n, RowStorage::Dense)
    );
    assert!(buf.len() <= saved_window_len::<T>(&spec, memory * outputs, RowStorage::Dense));
    let m = Model::parse(&buf).unwrap();
    let want = WindowState {
        memory,
        outputs,
        rows: n,
        storage: RowStorage::Dense,
        row_len: nw,
        eps0: 3.0,
    };
    assert_eq!(m.window(), Some(want));
    assert_eq!(m.gehf_config(), Some(cfg));
    assert_eq!(m.covariance_scratch_len(), n * (nw + 1));

    let mut net2 = network::<T>(spec, 99);
    let mut f2 = window_filter::<T>(nw, memory, outputs, GEhfConfig::default());
    run_steps(&mut f2, &mut net2, 3, 2);
    let mut scratch = vec![T::ZERO; m.covariance_scratch_len()];
    m.load_gehf_via(&mut net2, &mut f2, &mut scratch).unwrap();
    assert_eq!(f2.config(), f.config());
    assert_eq!(bits(net2.weights()), bits(net.weights()));
    assert_eq!(f2.covariance().len(), n);
    assert_eq!(row_bits(f2.covariance()), row_bits(f.covariance()));
    assert_eq!(p_bits(f2.covariance()), p_bits(f.covariance()));
    assert!(save(&net2, &f2) == buf, "re-save differs");

    for k in before..before + 3 * memory + 5 {
        run_steps(&mut f, &mut net, k, 1);
        run_steps(&mut f2, &mut net2, k, 1);
        assert_eq!(bits(net2.weights()), bits(net.weights()), "step {k}");
        assert_eq!(p_bits(f2.covariance()), p_bits(f.covariance()), "step {k}");
    }
    assert_eq!(f2.covariance().len(), memory * outputs);
}

/// Saved after eviction (r = 4, 10 samples) and before the window is full
/// (r = 40), at L = 5 and 7, f32 and f64, both gain orders; and with three
/// outputs.
#[test]
fn a_window_learner_saves_and_loads_back_bit_for_bit() {
    for layers in [5, 7] {
        let spec = ResNetSpec::xor(layers).unwrap();
        for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
            for (memory, before) in [(4, 10), (40, 10), (1, 3)] {
                round_trip::<f32>(spec, memory, order, before);
                round_trip::<f64>(spec, memory, order, before);
            }
        }
    }
    let spec = ResNetSpec::new(2, 5, 3, 7, PAPER_SLOPE).unwrap();
    round_trip::<f64>(spec, 3, GainOrder::Paper, 7);
    round_trip::<f32>(spec, 3, GainOrder::Paper, 7);
}

/// An empty window saves and loads too (n = 0: P = ε0 I).
#[test]
fn an_empty_window_round_trips() {
    let spec = ResNetSpec::xor(5).unwrap();
    let net = network::<f64>(spec, 1);
    let f = window_filter::<f64>(76, 4, 1, GEhfConfig::default());
    let buf = save(&net, &f);
    let m = Model::parse(&buf).unwrap();
    assert_eq!(m.window().map(|w| w.rows), Some(0));
    let mut net2 = network::<f64>(spec, 2);
    let mut f2 = window_filter::<f64>(76, 4, 1, GEhfConfig::default());
    run_steps(&mut f2, &mut net2, 0, 3);
    m.load_gehf_via(&mut net2, &mut f2, &mut []).unwrap();
    assert!(f2.covariance().is_empty());
    assert_eq!(p_bits(f2.covariance()), p_bits(f.covariance()));
}

/// A window file is far smaller than the packed P it stands for.
#[test]
fn a_window_file_is_small() {
    let spec = ResNetSpec::xor(101).unwrap();
    let nw = spec.n_weights();
    let window = saved_window_len::<f32>(&spec, 8, RowStorage::Dense);
    // Header, weights, trailer; parameters; r, N_L, n, storage, ε0; 8 (a, row).
    assert_eq!(window, 44 + 4 * nw + 41 + 21 + 8 * 4 * (nw + 1));
    assert!(window * 100 < saved_len::<f32>(&spec, true, false));
}

/// The firmware's committed version-1 file (packed P) still loads, and
/// the packed writer reproduces it byte for byte.
#[test]
fn a_version_1_packed_file_still_loads_and_is_rewritten_identically() {
    let file: &[u8] = include_bytes!("../../firmware/models/xor-l5-partial.hinf");
    let m = Model::parse(file).unwrap();
    assert_eq!(m.window(), None);
    assert_eq!(m.covariance_scratch_len(), packed_len(76));
    let spec = m.spec();
    let mut net = network::<f32>(spec, 1);
    let p = PackedCovariance::new(76, 1.0f32, vec![0.0; packed_len(76)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), p, vec![0.0; 76]).unwrap();
    m.load_gehf(&mut net, &mut f).unwrap();
    assert_eq!(saved_gehf_len(&spec, f.covariance()), file.len());
    assert!(save(&net, &f) == file);
}

/// A saved f64 window learner at L = 5, r = 3, full: (net, filter, file).
fn saved_window() -> (ResNet<f64, Vec<f64>>, Win<f64>, Vec<u8>) {
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 5);
    let mut f = window_filter::<f64>(76, 3, 1, GEhfConfig::default());
    run_steps(&mut f, &mut net, 0, 5);
    let buf = save(&net, &f);
    (net, f, buf)
}

/// Where the window's fields start in a file of [`saved_window`]: r at
/// `at`, then N_L, n, storage, ε0, the weights, the rows.
const WINDOW_AT: usize = 40 + 8 * 76 + 41;

/// Every field of the window section is checked by `parse`.
#[test]
fn bad_window_sections_are_refused_by_parse() {
    let (_, _, buf) = saved_window();
    assert!(Model::parse(&buf).is_ok());
    let edit = |at: usize, bytes: &[u8]| {
        let mut b = buf.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        fix_crc(&mut b);
        model_err(Model::parse(&b))
    };
    let invalid = |what| ModelError::InvalidValue { what };
    let shape = invalid("information window (shape)");
    assert_eq!(edit(WINDOW_AT, &0u32.to_le_bytes()), shape); // r = 0
    assert_eq!(edit(WINDOW_AT, &2u32.to_le_bytes()), shape); // n = 3 > r·N_L
    assert_eq!(edit(WINDOW_AT + 4, &0u32.to_le_bytes()), shape); // N_L = 0
    assert_eq!(
        edit(WINDOW_AT + 12, &[7]),
        invalid("information window (row storage)")
    );
    let eps = WINDOW_AT + 13;
    for e in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            edit(eps, &e.to_le_bytes()),
            invalid("information window (eps0)")
        );
    }
    let a0 = WINDOW_AT + 21;
    for a in [0.0, -0.1, 1.5, f64::NAN] {
        assert_eq!(
            edit(a0 + 8, &a.to_le_bytes()),
            invalid("information window (weights)")
        );
    }
    let row0 = a0 + 3 * 8;
    for x in [f64::NAN, f64::NEG_INFINITY] {
        assert_eq!(
            edit(row0 + 8 * 100, &x.to_le_bytes()),
            invalid("information window (rows)")
        );
    }
    // n that no longer matches the file's length.
    assert_eq!(
        edit(WINDOW_AT + 8, &2u32.to_le_bytes()),
        ModelError::InvalidSpec
    );
    // The window bit without the g-EHF bit.
    let flags = buf[7];
    assert_eq!(
        edit(7, &[flags & !1]),
        ModelError::UnknownSections { flags: flags & !1 }
    );
    // The window bit cleared: the rest is no packed P.
    assert_eq!(edit(7, &[flags & !4]), ModelError::InvalidSpec);
    // Truncated inside the rows, with a declared length to match.
    let mut b = buf[..buf.len() - 12].to_vec();
    let len = b.len() as u32;
    b[8..12].copy_from_slice(&len.to_le_bytes());
    fix_crc(&mut b);
    assert_eq!(model_err(Model::parse(&b)), ModelError::InvalidSpec);
}

/// A target that cannot take the file's P is refused, the net and the
/// learner unchanged: window into packed, dense, or a window too small or
/// of other outputs; packed into a window; wrong N_w; short scratch.
#[test]
fn wrong_targets_are_refused_and_change_nothing() {
    let (_, _, buf) = saved_window();
    let m = Model::parse(&buf).unwrap();
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 11);
    let w = bits(net.weights());
    let mut scratch = vec![0.0; packed_len(76) + m.covariance_scratch_len()];

    let p = PackedCovariance::new(76, 1.0, vec![0.0; packed_len(76)]).unwrap();
    let mut fp = GEhf::new(GEhfConfig::default(), p, vec![0.0; 76]).unwrap();
    run_steps(&mut fp, &mut network::<f64>(spec, 1), 0, 2);
    let before = p_bits(fp.covariance());
    assert!(matches!(
        m.load_gehf(&mut net, &mut fp),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        m.load_gehf_via(&mut net, &mut fp, &mut scratch),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(p_bits(fp.covariance()), before);
    let d = DenseCovariance::new(76, 1.0, vec![0.0; 76 * 76]).unwrap();
    let mut fd = GEhf::new(GEhfConfig::default(), d, vec![0.0; 76]).unwrap();
    assert!(matches!(
        m.load_gehf_via(&mut net, &mut fd, &mut scratch),
        Err(Error::Unsupported { .. })
    ));
    let mut packed = vec![0.0; packed_len(76)];
    assert!(matches!(
        m.covariance_into(&mut packed),
        Err(Error::Model(ModelError::MissingSection {
            what: "packed P"
        }))
    ));

    let check = |f: &mut Win<f64>, net: &mut ResNet<f64, Vec<f64>>, scratch: &mut [f64]| {
        let before = (p_bits(f.covariance()), f.covariance().len(), *f.config());
        let r = m.load_gehf_via(net, f, scratch);
        assert_eq!(
            (p_bits(f.covariance()), f.covariance().len(), *f.config()),
            before
        );
        r
    };
    let mut small = window_filter::<f64>(76, 2, 1, GEhfConfig::default());
    run_steps(&mut small, &mut network::<f64>(spec, 1), 0, 1);
    assert_eq!(
        check(&mut small, &mut net, &mut scratch),
        Err(Error::CapacityExceeded {
            what: "information window rows",
            needed: 3,
            capacity: 2
        })
    );
    let mut two = window_filter::<f64>(76, 3, 2, GEhfConfig::default());
    assert!(matches!(
        check(&mut two, &mut net, &mut scratch),
        Err(Error::LengthMismatch {
            what: "information window rows per sample",
            ..
        })
    ));
    let mut wide = window_filter::<f64>(77, 3, 1, GEhfConfig::default());
    assert!(matches!(
        check(&mut wide, &mut net, &mut scratch),
        Err(Error::LengthMismatch {
            what: "covariance dimension",
            ..
        })
    ));
    let mut ok = window_filter::<f64>(76, 3, 1, GEhfConfig::default());
    let need = m.covariance_scratch_len();
    assert!(matches!(
        check(&mut ok, &mut net, &mut scratch[..need - 1]),
        Err(Error::CapacityExceeded { .. })
    ));
    let mut net7 = network::<f64>(ResNetSpec::xor(7).unwrap(), 1);
    assert_eq!(
        check(&mut ok, &mut net7, &mut scratch),
        Err(Error::Model(ModelError::SpecMismatch))
    );
    assert_eq!(bits(net.weights()), w);

    // A packed file into a window.
    let mut file = vec![0u8; saved_len::<f64>(&spec, true, false)];
    model::save_gehf(&net, &fp, &mut file).unwrap();
    let packed_file = Model::parse(&file).unwrap();
    let before = p_bits(ok.covariance());
    assert!(matches!(
        packed_file.load_gehf_via(&mut net, &mut ok, &mut scratch),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(p_bits(ok.covariance()), before);
    assert_eq!(bits(net.weights()), w);
    // And the right target takes it.
    m.load_gehf_via(&mut net, &mut ok, &mut scratch).unwrap();
    assert_eq!(ok.covariance().len(), 3);
}

/// `Covariance::load_window` itself: every bad state or value is a typed
/// error, and a Gram system that does not factor is `Diverged`; the window
/// is unchanged each time and still steps as before.
#[test]
fn load_window_checks_everything_before_it_changes_anything() {
    let (_, f, _) = saved_window();
    let cov = f.covariance();
    let good = cov.window_state().unwrap();
    let weights: Vec<f64> = (0..3).map(|q| cov.window_row(q).unwrap().0).collect();
    let rows: Vec<f64> = (0..3)
        .flat_map(|q| cov.window_row(q).unwrap().1.to_vec())
        .collect();
    let mut target = window_filter::<f64>(76, 3, 1, GEhfConfig::default());
    run_steps(
        &mut target,
        &mut network::<f64>(ResNetSpec::xor(5).unwrap(), 3),
        0,
        4,
    );
    let before = (p_bits(target.covariance()), row_bits(target.covariance()));
    let t = target.covariance_mut();
    let with = |g: &dyn Fn(&mut WindowState<f64>)| {
        let mut s = good;
        g(&mut s);
        s
    };
    // (state, weights, rows, the error).
    type Case = (WindowState<f64>, Vec<f64>, Vec<f64>, Error);
    let cases: Vec<Case> = vec![
        (
            with(&|s| s.memory = 0),
            weights.clone(),
            rows.clone(),
            Error::InvalidParameter {
                name: Param::Memory,
            },
        ),
        (
            with(&|s| s.rows = 4),
            vec![0.5; 4],
            vec![0.0; 4 * 76],
            Error::CapacityExceeded {
                what: "information window rows",
                needed: 4,
                capacity: 3,
            },
        ),
        (
            with(&|s| s.eps0 = f64::NAN),
            weights.clone(),
            rows.clone(),
            Error::InvalidEps0,
        ),
        (
            with(&|s| s.row_len = 75),
            weights.clone(),
            rows.clone(),
            Error::LengthMismatch {
                what: "information window row",
                expected: 76,
                found: 75,
            },
        ),
        (
            good,
            weights[..2].to_vec(),
            rows.clone(),
            Error::LengthMismatch {
                what: "information window weights",
                expected: 3,
                found: 2,
            },
        ),
        (
            good,
            weights.clone(),
            rows[..76].to_vec(),
            Error::LengthMismatch {
                what: "information window rows",
                expected: 3 * 76,
                found: 76,
            },
        ),
        (good, vec![0.5, 0.0, 0.5], rows.clone(), Error::InvalidGamma),
        (
            good,
            vec![0.5, 1.01, 0.5],
            rows.clone(),
            Error::InvalidGamma,
        ),
        (
            good,
            weights.clone(),
            {
                let mut r = rows.clone();
                r[100] = f64::INFINITY;
                r
            },
            Error::NonFinite {
                what: "information window rows",
            },
        ),
        (
            // The same row three times at ε0 = 10²⁰: A is numerically singular.
            with(&|s| s.eps0 = 1e20),
            weights.clone(),
            rows[..76].repeat(3),
            Error::Diverged { what: "covariance" },
        ),
    ];
    for (state, w, r, err) in cases {
        assert_eq!(t.load_window(&state, &w, &r), Err(err));
        assert_eq!(p_bits(&*t), before.0, "{err:?}");
        assert_eq!(row_bits(&*t), before.1, "{err:?}");
    }
    // Still the same learner: it loads the good state, and equals `f`.
    t.load_window(&good, &weights, &rows).unwrap();
    assert_eq!(p_bits(&*t), p_bits(cov));
    // Covariances that keep P refuse a window.
    let mut iso = IsotropicCovariance::new(76, 1.0f64).unwrap();
    assert!(matches!(
        iso.load_window(&good, &weights, &rows),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(iso.window_state(), None);
    assert_eq!(iso.window_row(0), None);
}
