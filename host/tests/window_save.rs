//! The host's `SaveState` / `LoadState` with a window: an information
//! window is saved by its rows, a structured window by its terms, whatever
//! N_w (also past `MAX_SAVED_P`, where a packed P is not), and loads back
//! into a fresh window learner that then runs exactly as the saved one.

use hinf::model::Model;
use hinf::{
    Covariance, GEhf, GEhfConfig, InfoWindow, InputCoding, ResNet, ResNetSpec, TermWindow,
    TermWindowShape, WindowShape, Xor,
};
use host::learn::{LoadState, MAX_SAVED_P, SaveState};

type Win = GEhf<f64, InfoWindow<f64, Vec<f64>>, Vec<f64>>;
type Terms = GEhf<f64, TermWindow<f64, Vec<f64>>, Vec<f64>>;

fn learner(nw: usize, memory: usize) -> Win {
    let shape = WindowShape::new(nw, memory, 1);
    let w = InfoWindow::new(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap();
    GEhf::new(GEhfConfig::default(), w, vec![0.0; nw]).unwrap()
}

fn term_learner(nw: usize, memory: usize) -> Terms {
    let shape = TermWindowShape::new(nw, memory);
    let w = TermWindow::new(shape, 1.0, vec![0.0; shape.storage_len()]).unwrap();
    GEhf::new(GEhfConfig::default(), w, vec![0.0; nw]).unwrap()
}

fn steps<C: Covariance<f64>>(
    f: &mut GEhf<f64, C, Vec<f64>>,
    net: &mut ResNet<f64, Vec<f64>>,
    from: usize,
    n: usize,
) {
    let xor = Xor::<f64>::new(InputCoding::default());
    for k in from..from + n {
        let (x, y) = xor.samples().get(k % 4).unwrap();
        f.step(net, x, y).unwrap();
    }
}

#[test]
fn a_window_learner_saves_its_rows_past_max_saved_p_and_loads_back() {
    let spec = ResNetSpec::xor(201).unwrap();
    let nw = spec.n_weights();
    assert!(nw > MAX_SAVED_P);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut hinf_rng(), 0.05).unwrap();
    let mut f = learner(nw, 3);
    steps(&mut f, &mut net, 0, 5);

    let bytes = f.model_bytes(&net).unwrap();
    let m = Model::parse(&bytes).unwrap();
    assert_eq!(m.window().map(|w| (w.memory, w.rows)), Some((3, 3)));
    assert!(bytes.len() < 5 * 8 * nw, "{} bytes", bytes.len());

    let mut net2 = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    let mut f2 = learner(nw, 3);
    f2.load_state(&m, &mut net2).unwrap();
    assert_eq!(f2.covariance().len(), 3);
    for k in 5..9 {
        steps(&mut f, &mut net, k, 1);
        steps(&mut f2, &mut net2, k, 1);
        assert!(net.weights() == net2.weights(), "step {k}");
    }
}

#[test]
fn a_term_window_learner_saves_its_terms_past_max_saved_p_and_loads_back() {
    let spec = ResNetSpec::xor(201).unwrap();
    let nw = spec.n_weights();
    assert!(nw > MAX_SAVED_P);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut hinf_rng(), 0.05).unwrap();
    let mut f = term_learner(nw, 3);
    steps(&mut f, &mut net, 0, 5);

    let bytes = f.model_bytes(&net).unwrap();
    let m = Model::parse(&bytes).unwrap();
    assert_eq!(m.terms().map(|t| (t.memory, t.terms)), Some((3, 3)));
    assert_eq!(m.window(), None);
    assert!(bytes.len() < 5 * 8 * nw, "{} bytes", bytes.len());

    let mut net2 = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    let mut f2 = term_learner(nw, 3);
    f2.load_state(&m, &mut net2).unwrap();
    assert_eq!(f2.covariance().len(), 3);
    assert!(net.weights() == net2.weights());
    for k in 5..9 {
        steps(&mut f, &mut net, k, 1);
        steps(&mut f2, &mut net2, k, 1);
        assert!(net.weights() == net2.weights(), "step {k}");
    }
    assert!(f.model_bytes(&net).unwrap() == f2.model_bytes(&net2).unwrap());
}

fn hinf_rng() -> rand_xoshiro::Xoshiro256PlusPlus {
    rand_core::SeedableRng::seed_from_u64(3)
}
