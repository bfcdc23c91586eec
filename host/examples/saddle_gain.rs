//! Probe (docs/bounded.md, "Why blocks stay at the saddle"): how large the
//! filter's gain stays, epoch by epoch, with each covariance, and when the
//! XOR feature forms.
//!
//! For `--trials` XOR trials at `--layers` (the seeds, initialisation and
//! sample order of `hinf train`, the printed step, ε0 = 10), per epoch:
//! `s = hᵀ P h` (the gain is `K = P h / (1 + s)`, so s says how far one
//! sample can still move the output), averaged over the epoch's 4 samples;
//! and the spread of the 4 outputs after the epoch (max − min: 0 at the
//! saddle, where all four equal, about 1 once XOR is learned). Prints the
//! medians over trials at chosen epochs, one Markdown table per quantity.
//!
//! ```text
//! cargo run --release -p host --example saddle_gain -- [--layers 5] [--trials 100]
//! ```
use hinf::{
    BlockCovariance, BlockLayout, Blocking, Covariance, GEhf, GEhfConfig, InfoWindow,
    IsotropicCovariance, Optimizer, ResNet, ResNetSpec, WindowShape, Xor,
};
use host::StructuredCovariance;
use host::report::saddle::median;
use host::run::trial_seed;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Epochs of the run and those the tables show.
const EPOCHS: usize = 60;
const SHOWN: [usize; 8] = [1, 2, 3, 5, 10, 20, 40, 60];

/// Per epoch: mean s over its samples, and the output spread after it.
type Trace = Vec<(f64, f64)>;

fn trace<C: Covariance<f64>>(spec: ResNetSpec, seed: u64, p: C) -> Trace {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(spec, vec![0.0; spec.lanes_buffer_len()]).unwrap();
    net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
    let mut f = GEhf::new(GEhfConfig::default(), p, vec![0.0; spec.n_weights()]).unwrap();
    let xor = Xor::<f64>::new(hinf::InputCoding::default());
    let data = xor.samples();
    let mut out = Vec::with_capacity(EPOCHS);
    for _ in 0..EPOCHS {
        let mut s = 0.0;
        for k in 0..data.len() {
            let (x, y) = data.get(k).unwrap();
            s += f.observe(&mut net, x, y).map_or(f64::NAN, |r| r.hph);
        }
        let outputs: Vec<f64> = (0..data.len())
            .map(|k| net.forward(data.get(k).unwrap().0).unwrap()[0])
            .collect();
        let hi = outputs.iter().cloned().fold(f64::MIN, f64::max);
        let lo = outputs.iter().cloned().fold(f64::MAX, f64::min);
        out.push((s / data.len() as f64, hi - lo));
    }
    out
}

fn blocks(blocking: Blocking, spec: &ResNetSpec) -> BlockCovariance<f64, Vec<usize>, Vec<f64>> {
    let layout = BlockLayout::standard(blocking, spec, vec![0; blocking.layout_len(spec)]).unwrap();
    let storage = vec![0.0; blocking.packed_len(spec)];
    BlockCovariance::new(layout, hinf::DEFAULT_EPS0, storage).unwrap()
}

fn run(name: &str, spec: ResNetSpec, seed: u64) -> Trace {
    let nw = spec.n_weights();
    let eps0 = hinf::DEFAULT_EPS0;
    match name {
        "exact" => trace(spec, seed, StructuredCovariance::new(nw, eps0)),
        "sd" => trace(spec, seed, IsotropicCovariance::new(nw, eps0).unwrap()),
        "neuron blocks" => trace(spec, seed, blocks(Blocking::PerNeuron, &spec)),
        "layer blocks" => trace(spec, seed, blocks(Blocking::PerLayer, &spec)),
        _ => {
            let shape = WindowShape::new(nw, 8, 1);
            let w = InfoWindow::new(shape, eps0, vec![0.0; shape.storage_len()]).unwrap();
            trace(spec, seed, w)
        }
    }
}

fn table(title: &str, rows: &[(&str, Vec<Trace>)], pick: fn(&(f64, f64)) -> f64) {
    println!("\n{title}\n");
    let head: Vec<String> = SHOWN.iter().map(|e| format!("epoch {e}")).collect();
    println!("| covariance | {} |", head.join(" | "));
    println!("|---|{}", "---:|".repeat(SHOWN.len()));
    for (name, traces) in rows {
        let cells: Vec<String> = SHOWN
            .iter()
            .map(|&e| median(traces.iter().map(|t| pick(&t[e - 1])).collect()))
            .map(|m| format!("{m:.3}"))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

fn main() {
    let mut layers = 5;
    let mut trials = 100;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().expect("a value after the flag");
        match a.as_str() {
            "--layers" => layers = v.parse().expect("L"),
            "--trials" => trials = v.parse().expect("trials"),
            other => panic!("unknown flag {other}"),
        }
    }
    let spec = ResNetSpec::xor(layers).expect("L = 2n + 3");
    let names = [
        "exact",
        "sd",
        "neuron blocks",
        "layer blocks",
        "info window r = 8",
    ];
    let rows: Vec<(&str, Vec<Trace>)> = names
        .iter()
        .map(|&n| {
            (
                n,
                (0..trials)
                    .map(|i| run(n, spec, trial_seed(1, i)))
                    .collect(),
            )
        })
        .collect();
    println!(
        "L = {layers} (N_w = {}), {trials} trials, medians",
        spec.n_weights()
    );
    table("s = hᵀPh, mean over the epoch's samples", &rows, |t| t.0);
    table(
        "output spread after the epoch (max − min of the 4 outputs)",
        &rows,
        |t| t.1,
    );
}
