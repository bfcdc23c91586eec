//! The exact information form (`InformationCovariance`) gives the structured
//! `P`'s g-EHF trajectory (weights within 1e-10, f64) over whole runs at
//! L = 5, 7, 9, 21, 41: through its doublings of capacity and, where that is
//! smaller, after it turns packed.

use hinf::{Covariance, GEhf, GEhfConfig, ResNet, ResNetSpec, Xor};
use host::StructuredCovariance;
use host::learn::InformationCovariance;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// `epochs` epochs of the g-EHF over XOR from seed `seed` with `cov`: the
/// weights after every step, and the filter.
fn trajectory<C: Covariance<f64>>(
    layers: usize,
    seed: u64,
    epochs: usize,
    cov: C,
) -> (Vec<Vec<f64>>, GEhf<f64, C, Vec<f64>>) {
    let spec = ResNetSpec::xor(layers).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(spec, vec![0.0; spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
    let mut filter = GEhf::new(GEhfConfig::default(), cov, vec![0.0; spec.n_weights()]).unwrap();
    let xor = Xor::<f64>::new(hinf::InputCoding::default());
    let data = xor.samples();
    let mut out = Vec::new();
    for _ in 0..epochs {
        for k in 0..data.len() {
            let (x, y) = data.get(k).expect("a sample in range");
            filter.step(&mut net, x, y).unwrap();
            out.push(net.weights().to_vec());
        }
    }
    (out, filter)
}

/// The largest |Δw| / (1 + |w|) over the two trajectories.
fn worst(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            x.iter()
                .zip(y)
                .map(|(p, q)| (p - q).abs() / (1.0 + q.abs()))
        })
        .fold(0.0, f64::max)
}

#[test]
fn information_form_follows_the_structured_p_over_whole_runs() {
    let eps0 = GEhfConfig::default().eps0;
    for (layers, seed, epochs) in [(5, 1, 60), (7, 2, 60), (9, 3, 60), (21, 4, 60), (41, 5, 60)] {
        let spec = ResNetSpec::xor(layers).unwrap();
        let n = spec.n_weights();
        let (want, _) = trajectory(layers, seed, epochs, StructuredCovariance::new(n, eps0));
        let info = InformationCovariance::new(&spec, eps0).unwrap();
        let (got, f) = trajectory(layers, seed, epochs, info);
        let w = worst(&want, &got);
        let p = f.covariance();
        eprintln!("L = {layers}: {w:.1e}, packed {}", p.is_packed());
        assert!(w <= 1e-10, "L = {layers}: {w}");
        // 240 samples: packed at L ≤ 21 (N_w ≤ 556), still the form
        // (grown from 16 to 256 samples) at L = 41 (N_w = 1156).
        assert_eq!(p.is_packed(), layers <= 21, "L = {layers}");
        if layers == 41 {
            assert_eq!(p.len(), 4 * epochs);
        }
        let moved = worst(&want[..1], &want[want.len() - 1..]);
        assert!(moved > 0.01, "the run learned: {moved}");
    }
}
