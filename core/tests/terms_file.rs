//! Model files with a structured window (section bit 3): a `TermWindow`
//! learner saves its last terms `c_i, u_i` of `P = ε0 I − Σ c_i u_i u_iᵀ`
//! and loads back bit for bit — the loaded learner then runs exactly as
//! the saved one; every bad file or target is a typed error that changes
//! nothing; files without bit 3 are as before.

mod common;
use common::*;
use hinf::model::{self, Model, saved_gehf_len, saved_len, saved_terms_len};
use hinf::*;

type Terms<T> = GEhf<T, TermWindow<T, Vec<T>>, Vec<T>>;

fn term_window<T: Real>(nw: usize, memory: usize, eps0: f64) -> TermWindow<T, Vec<T>> {
    let shape = TermWindowShape::new(nw, memory);
    TermWindow::new(shape, T::from_f64(eps0), vec![T::ZERO; shape.storage_len()]).unwrap()
}

/// A g-EHF over a term window of `memory` terms, with a scratch for
/// `outputs` outputs or the trust region's second N_w.
fn terms_filter<T: Real>(nw: usize, memory: usize, outputs: usize, cfg: GEhfConfig) -> Terms<T> {
    let w = term_window::<T>(nw, memory, 1.0);
    GEhf::new(cfg, w, vec![T::ZERO; outputs.max(2) * nw]).unwrap()
}

/// The kept terms, newest first: c_i, then u_i.
fn term_bits<T: Real, C: Covariance<T>>(c: &C) -> Vec<u64> {
    let n = c.term_state().map_or(0, |s| s.terms);
    (0..n)
        .flat_map(|q| {
            let (c, u) = c.window_term(q).unwrap();
            let mut v = vec![c.to_f64().to_bits()];
            v.extend(bits(u));
            v
        })
        .collect()
}

/// The terms as `load_terms` takes them (n·(N + 1) values).
fn terms_of<T: Real, C: Covariance<T>>(c: &C) -> Vec<T> {
    let n = c.term_state().map_or(0, |s| s.terms);
    (0..n)
        .flat_map(|q| {
            let (c, u) = c.window_term(q).unwrap();
            core::iter::once(c).chain(u.iter().copied())
        })
        .collect()
}

/// How a round trip runs.
#[derive(Clone, Copy, Debug)]
struct Case {
    memory: usize,
    order: GainOrder,
    before: usize,
    trust: bool,
}

/// Train, save, load into a fresh learner (other weights, other
/// parameters, a window with other terms and its ring turned), then run
/// both on: bit for bit throughout.
fn round_trip<T: Real>(spec: ResNetSpec, case: Case) {
    let (nw, outputs) = (spec.n_weights(), spec.outputs());
    let Case {
        memory,
        order,
        before,
        trust,
    } = case;
    let cfg = GEhfConfig {
        gamma: 2.5,
        eps0: 3.0,
        gain_order: order,
    };
    let ext = if trust {
        Extension::OutputTrustRegion(TrustRegion::RECOMMENDED)
    } else {
        Extension::None
    };
    let mut net = network::<T>(spec, 4);
    let mut f = terms_filter::<T>(nw, memory, outputs, cfg)
        .with_extension(ext)
        .unwrap();
    run_steps(&mut f, &mut net, 0, before);
    let n = f.covariance().len();
    assert_eq!(n, (before * outputs).min(memory), "{case:?}");

    let buf = save(&net, &f);
    assert_eq!(buf.len(), saved_terms_len::<T>(&spec, n));
    assert!(buf.len() <= saved_terms_len::<T>(&spec, memory));
    assert_eq!(buf[7], 1 | 8, "sections: g-EHF and terms");
    let m = Model::parse(&buf).unwrap();
    let want = TermState {
        memory,
        terms: n,
        eps0: 3.0,
    };
    assert_eq!(m.terms(), Some(want));
    assert_eq!(m.window(), None);
    assert!(m.has_covariance());
    assert_eq!(m.gehf_config(), Some(cfg));
    assert_eq!(m.covariance_scratch_len(), n * (nw + 1));

    let mut net2 = network::<T>(spec, 99);
    let mut f2 = terms_filter::<T>(nw, memory, outputs, GEhfConfig::default())
        .with_extension(ext)
        .unwrap();
    // Other terms, and a ring whose oldest term is not in slot 0.
    run_steps(&mut f2, &mut net2, 3, memory + 2);
    let mut scratch = vec![T::ZERO; m.covariance_scratch_len()];
    m.load_gehf_via(&mut net2, &mut f2, &mut scratch).unwrap();
    assert_eq!(f2.config(), f.config());
    assert_eq!(bits(net2.weights()), bits(net.weights()));
    assert_eq!(f2.covariance().len(), n);
    assert_eq!(f2.covariance().eps0().to_f64(), 3.0);
    assert_eq!(term_bits(f2.covariance()), term_bits(f.covariance()));
    assert_eq!(p_bits(f2.covariance()), p_bits(f.covariance()));
    assert!(save(&net2, &f2) == buf, "re-save differs");

    for k in before..before + 3 * memory + 5 {
        run_steps(&mut f, &mut net, k, 1);
        run_steps(&mut f2, &mut net2, k, 1);
        assert_eq!(bits(net2.weights()), bits(net.weights()), "step {k}");
        assert_eq!(p_bits(f2.covariance()), p_bits(f.covariance()), "step {k}");
    }
    assert_eq!(f2.covariance().len(), memory);
    assert_eq!(term_bits(f2.covariance()), term_bits(f.covariance()));
}

/// Saved after terms were dropped (r = 4, 10 samples) and before the
/// window is full (r = 40), with r = 1, at L = 5 and 7, f32 and f64, both
/// gain orders; with the trust region; and with three outputs (three
/// terms per sample).
#[test]
fn a_term_window_learner_saves_and_loads_back_bit_for_bit() {
    for layers in [5, 7] {
        let spec = ResNetSpec::xor(layers).unwrap();
        for order in [GainOrder::Paper, GainOrder::CovarianceFirst] {
            for (memory, before) in [(4, 10), (40, 10), (1, 3)] {
                let case = Case {
                    memory,
                    order,
                    before,
                    trust: false,
                };
                round_trip::<f32>(spec, case);
                round_trip::<f64>(spec, case);
            }
        }
    }
    let spec = ResNetSpec::xor(5).unwrap();
    let trust = Case {
        memory: 6,
        order: GainOrder::Paper,
        before: 9,
        trust: true,
    };
    round_trip::<f32>(spec, trust);
    round_trip::<f64>(spec, trust);
    let spec = ResNetSpec::new(2, 5, 3, 7, PAPER_SLOPE).unwrap();
    let multi = Case {
        memory: 7,
        order: GainOrder::Paper,
        before: 7,
        trust: false,
    };
    round_trip::<f64>(spec, multi);
    round_trip::<f32>(spec, multi);
}

/// An empty window saves and loads too (n = 0: P = ε0 I).
#[test]
fn an_empty_term_window_round_trips() {
    let spec = ResNetSpec::xor(5).unwrap();
    let net = network::<f64>(spec, 1);
    let f = terms_filter::<f64>(76, 4, 1, GEhfConfig::default());
    let buf = save(&net, &f);
    assert_eq!(buf.len(), saved_terms_len::<f64>(&spec, 0));
    let m = Model::parse(&buf).unwrap();
    assert_eq!(m.terms().map(|t| (t.memory, t.terms)), Some((4, 0)));
    let mut net2 = network::<f64>(spec, 2);
    let mut f2 = terms_filter::<f64>(76, 4, 1, GEhfConfig::default());
    run_steps(&mut f2, &mut net2, 0, 3);
    m.load_gehf_via(&mut net2, &mut f2, &mut []).unwrap();
    assert!(f2.covariance().is_empty());
    assert_eq!(p_bits(f2.covariance()), p_bits(f.covariance()));
    assert_eq!(bits(net2.weights()), bits(net.weights()));
}

/// A target window of another memory that can hold the saved terms takes
/// them, and holds the same `P` (the memory is the run's setting, as for
/// an information window); one that cannot is refused.
#[test]
fn a_target_of_other_memory_takes_the_terms_it_can_hold() {
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 5);
    let mut f = terms_filter::<f64>(76, 5, 1, GEhfConfig::default());
    run_steps(&mut f, &mut net, 0, 3); // n = 3 of r = 5
    let buf = save(&net, &f);
    let m = Model::parse(&buf).unwrap();
    let mut scratch = vec![0.0; m.covariance_scratch_len()];
    // P itself, without P̃ (which depends on whether the window is full).
    let p_only = |c: &TermWindow<f64, Vec<f64>>| {
        let v: Vec<f64> = (0..76).map(|i| (i % 5) as f64 - 2.0).collect();
        let mut out = vec![0.0; 76];
        c.mul_vec(&v, &mut out);
        let mut all = bits(&out);
        all.extend((0..76).map(|i| c.get(i, (i * 3) % 76).to_bits()));
        all
    };
    for r in [3, 4, 12] {
        let mut g = terms_filter::<f64>(76, r, 1, GEhfConfig::default());
        m.load_gehf_via(&mut network::<f64>(spec, 1), &mut g, &mut scratch)
            .unwrap();
        let (gc, fc) = (g.covariance(), f.covariance());
        assert_eq!(gc.shape().memory, r);
        assert_eq!(p_only(gc), p_only(fc), "r = {r}");
        assert_eq!(term_bits(gc), term_bits(fc));
        // Not full, as the saved window: P̃ = P there too. Full (r = 3):
        // the next push drops the oldest term, so P̃ leaves it out.
        assert_eq!(p_bits(gc) == p_bits(fc), r > 3, "r = {r}");
    }
    let mut small = terms_filter::<f64>(76, 2, 1, GEhfConfig::default());
    run_steps(&mut small, &mut network::<f64>(spec, 1), 0, 1);
    let before = p_bits(small.covariance());
    assert_eq!(
        m.load_gehf_via(&mut net, &mut small, &mut scratch),
        Err(Error::CapacityExceeded {
            what: "term window terms",
            needed: 3,
            capacity: 2
        })
    );
    assert_eq!(p_bits(small.covariance()), before);
    assert_eq!(small.covariance().len(), 1);
}

/// A structured window's file is far smaller than the packed P it stands
/// for, and its size is the table's.
#[test]
fn a_term_window_file_is_small() {
    let spec = ResNetSpec::xor(101).unwrap();
    let nw = spec.n_weights();
    let terms = saved_terms_len::<f32>(&spec, 8);
    // Header, weights, trailer; parameters; r, n, ε0; 8 (c, u).
    assert_eq!(terms, 44 + 4 * nw + 41 + 16 + 8 * 4 * (nw + 1));
    assert!(terms * 100 < saved_len::<f32>(&spec, true, false));
    assert_eq!(saved_terms_len::<f64>(&spec, 0), 44 + 8 * nw + 41 + 16);
}

/// Covariances that are not a term window save as before: the same bytes
/// as a packed `P` of the same matrix, bit 3 clear; the firmware's
/// committed version-1 file still loads and is rewritten identically.
#[test]
fn files_without_bit_3_are_unchanged() {
    let file: &[u8] = include_bytes!("../../firmware/models/xor-l5-partial.hinf");
    let m = Model::parse(file).unwrap();
    assert_eq!((m.terms(), m.window()), (None, None));
    let spec = m.spec();
    let mut net = network::<f32>(spec, 1);
    let p = PackedCovariance::new(76, 1.0f32, vec![0.0; packed_len(76)]).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), p, vec![0.0; 76]).unwrap();
    m.load_gehf(&mut net, &mut f).unwrap();
    assert_eq!(saved_gehf_len(&spec, f.covariance()), file.len());
    assert!(save(&net, &f) == file);
    assert_eq!(file[7] & 8, 0);

    // The packed P of a term window's matrix: a packed file, bit 3 clear,
    // and it loads into a packed learner (not into a term window).
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 2);
    let mut ft = terms_filter::<f64>(76, 3, 1, GEhfConfig::default());
    run_steps(&mut ft, &mut net, 0, 6);
    let mut packed = vec![0.0; packed_len(76)];
    let mut k = 0;
    for i in 0..76 {
        for j in 0..=i {
            packed[k] = ft.covariance().get(i, j);
            k += 1;
        }
    }
    let mut pc = PackedCovariance::new(76, 1.0, vec![0.0; packed_len(76)]).unwrap();
    pc.load_packed(&packed).unwrap();
    let fp = GEhf::from_parts(GEhfConfig::default(), pc, vec![0.0; 76]).unwrap();
    let buf = save(&net, &fp);
    assert_eq!(buf.len(), saved_len::<f64>(&spec, true, false));
    assert_eq!(buf[7], 1);
    let m = Model::parse(&buf).unwrap();
    assert_eq!(m.terms(), None);
    let mut back = vec![0.0; packed_len(76)];
    m.covariance_into(&mut back).unwrap();
    assert_eq!(bits(&back), bits(&packed));
    let mut t = terms_filter::<f64>(76, 3, 1, GEhfConfig::default());
    let mut scratch = vec![0.0; m.covariance_scratch_len()];
    assert!(matches!(
        m.load_gehf_via(&mut net, &mut t, &mut scratch),
        Err(Error::Unsupported { .. })
    ));
    assert!(t.covariance().is_empty());
}

/// A saved f64 term-window learner at L = 5, r = 3, full: (net, filter,
/// file).
fn saved_terms() -> (ResNet<f64, Vec<f64>>, Terms<f64>, Vec<u8>) {
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 5);
    let mut f = terms_filter::<f64>(76, 3, 1, GEhfConfig::default());
    run_steps(&mut f, &mut net, 0, 5);
    let buf = save(&net, &f);
    (net, f, buf)
}

/// Where the structured window's fields start in a file of
/// [`saved_terms`]: r at `TERMS_AT`, then n, ε0, the terms.
const TERMS_AT: usize = 40 + 8 * 76 + 41;
/// The first term's c.
const TERM0_AT: usize = TERMS_AT + 16;

/// Every field of the terms section is checked by `parse`, and so are the
/// file's frame (CRC, length, section bits).
#[test]
fn bad_term_sections_are_refused_by_parse() {
    let (_, _, buf) = saved_terms();
    assert!(Model::parse(&buf).is_ok());
    let edit = |at: usize, bytes: &[u8]| {
        let mut b = buf.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        fix_crc(&mut b);
        model_err(Model::parse(&b))
    };
    let invalid = |what| ModelError::InvalidValue { what };
    let shape = invalid("term window (shape)");
    assert_eq!(edit(TERMS_AT, &0u32.to_le_bytes()), shape); // r = 0
    assert_eq!(edit(TERMS_AT, &2u32.to_le_bytes()), shape); // n = 3 > r
    assert_eq!(edit(TERMS_AT + 4, &4u32.to_le_bytes()), shape); // n = 4 > r
    let eps = TERMS_AT + 8;
    for e in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(edit(eps, &e.to_le_bytes()), invalid("term window (eps0)"));
    }
    let stride = 8 * 77;
    for c in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        for q in 0..3 {
            assert_eq!(
                edit(TERM0_AT + q * stride, &c.to_le_bytes()),
                invalid("term window (coefficients)"),
                "term {q}, c = {c}"
            );
        }
    }
    for x in [f64::NAN, f64::NEG_INFINITY] {
        for at in [
            TERM0_AT + 8,
            TERM0_AT + 8 * 76,
            TERM0_AT + 2 * stride + 8 * 40,
        ] {
            assert_eq!(edit(at, &x.to_le_bytes()), invalid("term window (vectors)"));
        }
    }
    // n that no longer matches the file's length.
    assert_eq!(
        edit(TERMS_AT + 4, &2u32.to_le_bytes()),
        ModelError::InvalidSpec
    );
    let flags = buf[7];
    assert_eq!(flags, 1 | 8);
    // The terms bit without the g-EHF bit, or with the window bit.
    for bad in [flags & !1, flags | 4, 8] {
        assert_eq!(edit(7, &[bad]), ModelError::UnknownSections { flags: bad });
    }
    // The terms bit cleared: the rest is no packed P.
    assert_eq!(edit(7, &[flags & !8]), ModelError::InvalidSpec);
    // Truncated inside the terms, with a declared length to match.
    let mut b = buf[..buf.len() - 12].to_vec();
    let len = b.len() as u32;
    b[8..12].copy_from_slice(&len.to_le_bytes());
    fix_crc(&mut b);
    assert_eq!(model_err(Model::parse(&b)), ModelError::InvalidSpec);
    // Truncated as is, longer, or a flipped bit without a new CRC.
    let n = buf.len();
    assert_eq!(
        model_err(Model::parse(&buf[..n - 9])),
        ModelError::Truncated {
            needed: n,
            found: n - 9
        }
    );
    let mut longer = buf.clone();
    longer.push(0);
    assert_eq!(
        model_err(Model::parse(&longer)),
        ModelError::TrailingBytes {
            declared: n,
            found: n + 1
        }
    );
    let mut flipped = buf.clone();
    flipped[TERM0_AT + 8 * 5] ^= 1;
    assert!(matches!(
        model_err(Model::parse(&flipped)),
        ModelError::BadChecksum { .. }
    ));
}

/// A target that cannot take the file's terms is refused, the net and
/// the learner unchanged: into packed (both loads), dense, an information
/// window; a window too small, of other N_w, other precision, other spec;
/// a short scratch. Windows of the other kind refuse each other's files.
#[test]
fn wrong_targets_are_refused_and_change_nothing() {
    let (_, _, buf) = saved_terms();
    let m = Model::parse(&buf).unwrap();
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 11);
    let w = bits(net.weights());
    let mut scratch = vec![0.0; packed_len(76) + m.covariance_scratch_len()];

    let p = PackedCovariance::new(76, 1.0, vec![0.0; packed_len(76)]).unwrap();
    let mut fp = GEhf::new(GEhfConfig::default(), p, vec![0.0; 76]).unwrap();
    run_steps(&mut fp, &mut network::<f64>(spec, 1), 0, 2);
    let before = p_bits(fp.covariance());
    assert_eq!(
        m.load_gehf(&mut net, &mut fp),
        Err(Error::Unsupported {
            what: "a structured window into this covariance"
        })
    );
    assert_eq!(
        m.load_gehf_via(&mut net, &mut fp, &mut scratch),
        Err(Error::Unsupported {
            what: "a structured window into this covariance"
        })
    );
    assert_eq!(p_bits(fp.covariance()), before);
    let d = DenseCovariance::new(76, 1.0, vec![0.0; 76 * 76]).unwrap();
    let mut fd = GEhf::new(GEhfConfig::default(), d, vec![0.0; 76]).unwrap();
    assert!(matches!(
        m.load_gehf_via(&mut net, &mut fd, &mut scratch),
        Err(Error::Unsupported { .. })
    ));
    let ws = WindowShape::new(76, 3, 1);
    let iw = InfoWindow::new(ws, 1.0, vec![0.0; ws.storage_len()]).unwrap();
    let mut fi = GEhf::new(GEhfConfig::default(), iw, vec![0.0; 76]).unwrap();
    assert!(matches!(
        m.load_gehf_via(&mut net, &mut fi, &mut scratch),
        Err(Error::Unsupported { .. })
    ));
    assert!(fi.covariance().is_empty());
    let mut packed = vec![0.0; packed_len(76)];
    assert_eq!(
        m.covariance_into(&mut packed),
        Err(Error::Model(ModelError::MissingSection {
            what: "packed P"
        }))
    );
    assert_eq!(bits(net.weights()), w);

    let check = |f: &mut Terms<f64>, net: &mut ResNet<f64, Vec<f64>>, scratch: &mut [f64]| {
        let before = (p_bits(f.covariance()), f.covariance().len(), *f.config());
        let r = m.load_gehf_via(net, f, scratch);
        assert_eq!(
            (p_bits(f.covariance()), f.covariance().len(), *f.config()),
            before
        );
        r
    };
    let mut small = terms_filter::<f64>(76, 2, 1, GEhfConfig::default());
    run_steps(&mut small, &mut network::<f64>(spec, 1), 0, 1);
    assert_eq!(
        check(&mut small, &mut net, &mut scratch),
        Err(Error::CapacityExceeded {
            what: "term window terms",
            needed: 3,
            capacity: 2
        })
    );
    let mut wide = terms_filter::<f64>(77, 3, 1, GEhfConfig::default());
    assert_eq!(
        check(&mut wide, &mut net, &mut scratch),
        Err(Error::LengthMismatch {
            what: "covariance dimension",
            expected: 76,
            found: 77
        })
    );
    let mut ok = terms_filter::<f64>(76, 3, 1, GEhfConfig::default());
    run_steps(&mut ok, &mut network::<f64>(spec, 2), 0, 2);
    let need = m.covariance_scratch_len();
    assert_eq!(
        check(&mut ok, &mut net, &mut scratch[..need - 1]),
        Err(Error::CapacityExceeded {
            what: "covariance scratch",
            needed: need,
            capacity: need - 1
        })
    );
    let mut net7 = network::<f64>(ResNetSpec::xor(7).unwrap(), 1);
    assert_eq!(
        check(&mut ok, &mut net7, &mut scratch),
        Err(Error::Model(ModelError::SpecMismatch))
    );
    assert_eq!(bits(net.weights()), w);

    // Other precision: an f32 learner refuses the f64 file.
    let mut net32 = network::<f32>(spec, 3);
    let w32 = bits(net32.weights());
    let mut f32 = terms_filter::<f32>(76, 3, 1, GEhfConfig::default());
    run_steps(&mut f32, &mut network::<f32>(spec, 2), 0, 2);
    let before = p_bits(f32.covariance());
    let mut scratch32 = vec![0.0f32; need];
    assert_eq!(
        m.load_gehf_via(&mut net32, &mut f32, &mut scratch32),
        Err(Error::Model(ModelError::PrecisionMismatch {
            file: 8,
            target: 4
        }))
    );
    assert_eq!(p_bits(f32.covariance()), before);
    assert_eq!(bits(net32.weights()), w32);

    // An information window's file into a term window.
    let mut iw_net = network::<f64>(spec, 6);
    run_steps(&mut fi, &mut iw_net, 0, 4);
    let mut iw_file = vec![0u8; saved_gehf_len(&spec, fi.covariance())];
    model::save_gehf(&iw_net, &fi, &mut iw_file).unwrap();
    let im = Model::parse(&iw_file).unwrap();
    assert_eq!(im.terms(), None);
    let mut iscratch = vec![0.0; im.covariance_scratch_len()];
    let before = p_bits(ok.covariance());
    assert_eq!(
        im.load_gehf_via(&mut net, &mut ok, &mut iscratch),
        Err(Error::Unsupported {
            what: "an information window into this covariance"
        })
    );
    assert_eq!(p_bits(ok.covariance()), before);
    assert_eq!(bits(net.weights()), w);

    // And the right target takes it.
    m.load_gehf_via(&mut net, &mut ok, &mut scratch).unwrap();
    assert_eq!(ok.covariance().len(), 3);
}

/// `Covariance::load_terms` itself: every bad state or value is a typed
/// error, and terms whose `P` has a diagonal entry ≤ 0 are `Diverged`; the
/// window is unchanged each time and then still takes the good terms.
#[test]
fn load_terms_checks_everything_before_it_changes_anything() {
    let (_, f, _) = saved_terms();
    let cov = f.covariance();
    let good = cov.term_state().unwrap();
    assert_eq!(
        good,
        TermState {
            memory: 3,
            terms: 3,
            eps0: 10.0
        }
    );
    let terms = terms_of(cov);
    assert_eq!(terms.len(), 3 * 77);
    let mut target = term_window::<f64>(76, 3, 1.0);
    let mut fill = GEhf::new(GEhfConfig::default(), target.clone(), vec![0.0; 76]).unwrap();
    run_steps(
        &mut fill,
        &mut network::<f64>(ResNetSpec::xor(5).unwrap(), 3),
        0,
        4,
    );
    target = fill.into_parts().1;
    let before = (p_bits(&target), term_bits(&target));
    let with = |g: &dyn Fn(&mut TermState<f64>)| {
        let mut s = good;
        g(&mut s);
        s
    };
    let edited = |at: usize, x: f64| {
        let mut t = terms.clone();
        t[at] = x;
        t
    };
    // A c so large that the newest term alone drives P(k, k) below 0.
    let (c0, u0) = cov.window_term(0).unwrap();
    let k = (0..76)
        .max_by(|&a, &b| u0[a].abs().total_cmp(&u0[b].abs()))
        .unwrap();
    let eps0 = good.eps0;
    let too_big = 2.0 * eps0 / (u0[k] * u0[k]) + c0;
    type Bad = (TermState<f64>, Vec<f64>, Error);
    let cases: Vec<Bad> = vec![
        (
            with(&|s| s.memory = 0),
            terms.clone(),
            Error::InvalidParameter {
                name: Param::Memory,
            },
        ),
        (
            with(&|s| (s.memory, s.terms) = (4, 4)),
            vec![0.5; 4 * 77],
            Error::CapacityExceeded {
                what: "term window terms",
                needed: 4,
                capacity: 3,
            },
        ),
        (
            with(&|s| s.memory = 2),
            terms.clone(),
            Error::CapacityExceeded {
                what: "term window terms",
                needed: 3,
                capacity: 2,
            },
        ),
        (
            with(&|s| s.eps0 = f64::NAN),
            terms.clone(),
            Error::InvalidEps0,
        ),
        (with(&|s| s.eps0 = 0.0), terms.clone(), Error::InvalidEps0),
        (
            good,
            terms[..2 * 77].to_vec(),
            Error::LengthMismatch {
                what: "term window terms",
                expected: 3 * 77,
                found: 2 * 77,
            },
        ),
        (
            good,
            terms[..3 * 77 - 1].to_vec(),
            Error::LengthMismatch {
                what: "term window terms",
                expected: 3 * 77,
                found: 3 * 77 - 1,
            },
        ),
        (good, edited(77, 0.0), Error::InvalidGamma),
        (good, edited(2 * 77, -0.5), Error::InvalidGamma),
        (good, edited(0, f64::INFINITY), Error::InvalidGamma),
        (
            good,
            edited(77 + 10, f64::NAN),
            Error::NonFinite {
                what: "term window terms",
            },
        ),
        (
            good,
            edited(1 + k, f64::MAX),
            Error::Diverged { what: "covariance" },
        ),
        (
            good,
            edited(0, too_big),
            Error::Diverged { what: "covariance" },
        ),
    ];
    for (state, t, err) in cases {
        assert_eq!(target.load_terms(&state, &t), Err(err));
        assert_eq!(p_bits(&target), before.0, "{err:?}");
        assert_eq!(term_bits(&target), before.1, "{err:?}");
    }
    // A larger c whose P keeps a positive diagonal is taken: the check is
    // the diagonal's, not a range of c (the newest term alone, with the c
    // that takes half of ε0 off its largest diagonal entry).
    let half = 0.5 * eps0 / (u0[k] * u0[k]);
    assert!(half > 2.0 * c0, "{half} vs {c0}");
    let one = TermState { terms: 1, ..good };
    let mut probe = term_window::<f64>(76, 3, 1.0);
    probe.load_terms(&one, &edited(0, half)[..77]).unwrap();
    assert_eq!(probe.window_term(0).map(|(c, _)| c), Some(half));
    let (lo, hi) = probe.diagonal_bounds();
    assert!(
        lo > 0.49 * eps0 && lo < 0.51 * eps0 && hi <= eps0,
        "{lo} {hi}"
    );
    // Still the same window: it loads the good terms, and equals `cov`.
    target.load_terms(&good, &terms).unwrap();
    assert_eq!(p_bits(&target), p_bits(cov));
    assert_eq!(term_bits(&target), term_bits(cov));
    // Covariances that are no term window refuse terms and give none.
    let mut iso = IsotropicCovariance::new(76, 1.0f64).unwrap();
    assert_eq!(
        iso.load_terms(&good, &terms),
        Err(Error::Unsupported {
            what: "a structured window into this covariance"
        })
    );
    assert_eq!(iso.term_state(), None);
    assert_eq!(iso.window_term(0), None);
    assert_eq!(cov.window_term(3), None);
}

/// A covariance whose term hooks disagree with each other: `save_gehf`
/// refuses it before it writes a byte.
struct Inconsistent {
    inner: TermWindow<f64, Vec<f64>>,
    state: TermState<f64>,
}

impl Covariance<f64> for Inconsistent {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn mul_vec(&self, v: &[f64], out: &mut [f64]) {
        self.inner.mul_vec(v, out)
    }
    fn downdate(&mut self, c: f64, u: &[f64]) {
        self.inner.downdate(c, u)
    }
    fn reset(&mut self, eps0: f64) {
        self.inner.reset(eps0)
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        self.inner.get(i, j)
    }
    fn term_state(&self) -> Option<TermState<f64>> {
        Some(self.state)
    }
    fn window_term(&self, q: usize) -> Option<(f64, &[f64])> {
        self.inner.window_term(q)
    }
}

#[test]
fn save_refuses_terms_it_could_not_write_and_writes_nothing() {
    let spec = ResNetSpec::xor(5).unwrap();
    let mut net = network::<f64>(spec, 8);
    let mut f = terms_filter::<f64>(76, 3, 1, GEhfConfig::default());
    run_steps(&mut f, &mut net, 0, 2);
    let inner = f.covariance().clone();
    let state = inner.term_state().unwrap();
    for (bad, err) in [
        (
            TermState { terms: 3, ..state },
            Error::LengthMismatch {
                what: "term window term",
                expected: 76,
                found: 0,
            },
        ),
        (
            TermState { memory: 0, ..state },
            Error::InvalidParameter {
                name: Param::Memory,
            },
        ),
        (
            TermState { memory: 1, ..state },
            Error::CapacityExceeded {
                what: "term window terms",
                needed: 2,
                capacity: 1,
            },
        ),
    ] {
        let cov = Inconsistent {
            inner: inner.clone(),
            state: bad,
        };
        let g = GEhf::from_parts(GEhfConfig::default(), cov, vec![0.0; 76]).unwrap();
        let mut buf = vec![0xA5u8; saved_terms_len::<f64>(&spec, 3)];
        assert_eq!(model::save_gehf(&net, &g, &mut buf), Err(err));
        assert!(buf.iter().all(|b| *b == 0xA5), "{err:?}: bytes written");
    }
    // Honest hooks: the same bytes as the term window's own file.
    let cov = Inconsistent { inner, state };
    let g = GEhf::from_parts(GEhfConfig::default(), cov, vec![0.0; 76]).unwrap();
    assert!(save(&net, &g) == save(&net, &f));
}
