//! Probe (docs/saddle.md, "Depth that helps"): what the trust-region
//! extension does to each step, and why its epochs rise with depth.
//!
//! For `--trials` XOR trials at `--layers` (the seeds, initialisation,
//! fixed order and stopping rule of `hinf train`: ½ SSE after the epoch
//! < 0.01; exact structured `P`), with the trust region (δ = `--delta`,
//! τ = 1, 10 halvings) and ε0 = `--eps0`, per step: `s = hPhᵀ`, `‖h‖²`,
//! whether the δ bound shortened the step, and the fraction φ of the
//! printed step `e/(1 + s)` actually taken, read off the weights:
//! `φ = h·Δw / (s · e/(1 + s))` (the update is a multiple of `P hᵀ`, so
//! `h·Δw` is that multiple times s). φ below the δ bound's factor means
//! the a-posteriori test halved the step; `Δw = 0` means it refused it.
//! Per trial, per epoch: ½ SSE, the output spread (max − min), the
//! outputs, ‖h‖² on W¹ and on the output block, ‖W¹‖ and the first hidden
//! layer's mean slope. Prints one CSV row per trial and epoch on stdout
//! and one Markdown summary row on stderr.
//!
//! The candidates of docs/saddle.md: `--prior residual-n` (ε0/n on the
//! residual branches; `upstream-n`: on W¹ too), `--gain-order
//! covariance-first`, `--process-noise q` (`--noise prior|iso`: its shape
//! with a non-isotropic prior), `--forgetting λ`, `--input-delta D` (a
//! bound on the first hidden layer's step); `--from K` starts at trial K.
//!
//! ```text
//! cargo run --release -p host --example depth_probe -- --layers 801 --trials 100 [--eps0 1000] [--delta 1] [--cap 300] [--prior iso] [--gain-order paper] [--process-noise 0] [--noise prior] [--forgetting 1] [--input-delta 0] [--from 0]
//! ```
use hinf::{
    Covariance, Extension, GEhf, GEhfConfig, GainOrder, Regularizable, Regularization, ResNet,
    ResNetSpec, TrustRegion, Xor, sigmoid_derivative,
};
use host::StructuredCovariance;
use host::run::trial_seed;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Args {
    layers: usize,
    trials: usize,
    eps0: f64,
    delta: f64,
    forgetting: f64,
    process_noise: f64,
    cap: usize,
    /// `iso`: `P_{0|-1} = ε0 I` (the paper); `residual-n`: ε0 on W¹ and the
    /// output block, ε0/n on the n residual branches (W² … W^{L−2});
    /// `upstream-n`: ε0/n on W¹ too, ε0 on the output block only.
    prior: String,
    /// With `--prior residual-n`: process noise `prior` (q · P_{0|-1}/ε0,
    /// the default) or `iso` (q I).
    noise: String,
    /// `--gain-order covariance-first` (default: the paper's).
    covariance_first: bool,
    /// The first trial (trials `from` … `from + trials − 1`).
    from: usize,
    /// `--input-delta D` (0: off): after each step, scale the whole weight
    /// change so that no pre-activation of the first hidden layer moves by
    /// more than D on any of the four patterns (inputs ±1:
    /// max_j |Δb_j| + |Δw_j1| + |Δw_j2|); P as the filter left it.
    input_delta: f64,
}

/// `P = D − Σ cᵢ uᵢ uᵢᵀ` with a diagonal `D` (the prior `P_{0|-1}`), kept
/// by its terms: the probe's own covariance for a non-isotropic prior.
/// Process noise q is `D ← D + q · shape`: shaped like the prior
/// (`shape = P_{0|-1}/ε0`: q on W¹ and the output block, q/n on the
/// residual branches; `--noise prior`) or isotropic (`shape = 1`,
/// `--noise iso`).
struct DiagLowRank {
    d: Vec<f64>,
    shape: Vec<f64>,
    terms: Vec<(f64, Vec<f64>)>,
}

impl Covariance<f64> for DiagLowRank {
    fn dim(&self) -> usize {
        self.d.len()
    }
    fn mul_vec(&self, v: &[f64], out: &mut [f64]) {
        for ((o, d), v) in out.iter_mut().zip(&self.d).zip(v) {
            *o = d * v;
        }
        for (c, u) in &self.terms {
            let k = c * u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
            for (o, u) in out.iter_mut().zip(u) {
                *o -= k * u;
            }
        }
    }
    fn downdate(&mut self, c: f64, u: &[f64]) {
        self.terms.push((c, u.to_vec()));
    }
    fn reset(&mut self, _eps0: f64) {
        self.terms.clear();
    }
    fn regularizable(&self) -> Regularizable {
        Regularizable {
            process_noise: true,
            ..Regularizable::NONE
        }
    }
    fn add_diagonal(&mut self, q: f64) -> hinf::Result<()> {
        for (d, r) in self.d.iter_mut().zip(&self.shape) {
            *d += q * r;
        }
        Ok(())
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        let base = if i == j { self.d[i] } else { 0.0 };
        base - self.terms.iter().map(|(c, u)| c * u[i] * u[j]).sum::<f64>()
    }
}

/// The prior's diagonal for `--prior residual-n` (`with_input`: also W¹
/// at ε0/n, `--prior upstream-n`; only the output block keeps ε0).
fn residual_prior(spec: &ResNetSpec, eps0: f64, with_input: bool) -> Vec<f64> {
    let nw = spec.n_weights();
    let first = spec.transition(1).unwrap().len();
    let last = spec.transition(spec.layers() - 1).unwrap().len();
    let n = spec.blocks() as f64;
    (0..nw)
        .map(|i| {
            if (i < first && !with_input) || i >= nw - last {
                eps0
            } else {
                eps0 / n
            }
        })
        .collect()
}

fn args() -> Args {
    let mut a = Args {
        layers: 5,
        trials: 10,
        eps0: 1000.0,
        delta: 1.0,
        forgetting: 1.0,
        process_noise: 0.0,
        cap: 300,
        prior: "iso".into(),
        noise: "prior".into(),
        covariance_first: false,
        from: 0,
        input_delta: 0.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().expect("a value after the flag");
        match flag.as_str() {
            "--layers" => a.layers = v.parse().expect("L"),
            "--trials" => a.trials = v.parse().expect("trials"),
            "--eps0" => a.eps0 = v.parse().expect("eps0"),
            "--delta" => a.delta = v.parse().expect("delta"),
            "--forgetting" => a.forgetting = v.parse().expect("lambda"),
            "--process-noise" => a.process_noise = v.parse().expect("q"),
            "--cap" => a.cap = v.parse().expect("cap"),
            "--prior" => a.prior = v,
            "--noise" => a.noise = v,
            "--from" => a.from = v.parse().expect("first trial"),
            "--input-delta" => a.input_delta = v.parse().expect("input delta"),
            "--gain-order" => a.covariance_first = v == "covariance-first",
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// Per-epoch sums of the step measurements.
#[derive(Default)]
struct EpochSteps {
    s: f64,
    h2: f64,
    bounded: usize,
    halved: usize,
    refused: usize,
    phi: f64,
    /// ‖h‖² over W¹ (input layer) and over the output block.
    h2_in: f64,
    h2_out: f64,
}

fn main() {
    let a = args();
    let spec = ResNetSpec::xor(a.layers).expect("L = 2n + 3");
    let nw = spec.n_weights();
    println!(
        "layers,trial,epoch,half_sse,spread,o0,o1,o2,o3,mean_s,mean_h2,bounded,halved,refused,mean_phi,mean_h2_in,mean_h2_out,w1_norm,l2_slope"
    );
    let epochs: Vec<Option<usize>> = (a.from..a.from + a.trials)
        .map(|trial| match a.prior.as_str() {
            "iso" => run(&a, spec, trial, StructuredCovariance::new(nw, a.eps0)),
            "residual-n" | "upstream-n" => {
                let d = residual_prior(&spec, a.eps0, a.prior == "upstream-n");
                let shape = match a.noise.as_str() {
                    "prior" => d.iter().map(|d| d / a.eps0).collect(),
                    "iso" => vec![1.0; nw],
                    other => panic!("unknown noise {other}"),
                };
                let terms = Vec::new();
                run(&a, spec, trial, DiagLowRank { d, shape, terms })
            }
            other => panic!("unknown prior {other}"),
        })
        .collect();
    summary(&a, &epochs);
}

/// One trial with the covariance `p`: its CSV rows; the epoch it stopped at.
fn run<C: Covariance<f64>>(a: &Args, spec: ResNetSpec, trial: usize, p: C) -> Option<usize> {
    let nw = spec.n_weights();
    let tr = TrustRegion {
        delta: a.delta,
        ..TrustRegion::RECOMMENDED
    };
    let reg = Regularization {
        process_noise: a.process_noise,
        forgetting: a.forgetting,
        diagonal_floor: 0.0,
    };
    let config = GEhfConfig {
        eps0: a.eps0,
        gain_order: if a.covariance_first {
            GainOrder::CovarianceFirst
        } else {
            GainOrder::Paper
        },
        ..GEhfConfig::default()
    };
    let xor = Xor::<f64>::new(hinf::InputCoding::default());
    let data = xor.samples();
    let slope = spec.slope();
    {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(trial_seed(1, trial));
        let mut net = ResNet::new(spec, vec![0.0; spec.lanes_buffer_len()]).unwrap();
        net.init_uniform(&mut rng, hinf::PAPER_INIT_RANGE).unwrap();
        let mut f = GEhf::new(config, p, vec![0.0; 2 * nw])
            .unwrap()
            .with_extension(Extension::OutputTrustRegion(tr))
            .unwrap();
        if !reg.is_none() {
            f = f.with_regularization(reg).unwrap();
        }
        let mut h = vec![0.0; nw];
        let mut w0 = vec![0.0; nw];
        for epoch in 1..=a.cap {
            let mut m = EpochSteps::default();
            for k in 0..data.len() {
                let (x, y) = data.get(k).unwrap();
                let out = net.jacobian(x).unwrap().0[0];
                h.copy_from_slice(net.last_jacobian());
                w0.copy_from_slice(net.weights());
                let r = f.step(&mut net, x, y).expect("a step");
                if a.input_delta > 0.0 && bound_input_layer(&mut net, &w0, a.input_delta) {
                    INPUT_BOUNDED.fetch_add(1, Ordering::Relaxed);
                }
                let s = r.hph;
                let e = y[0] - out;
                // The printed step e/(1 + s); covariance-first: e/(1 + (1 + a)s).
                let printed = if a.covariance_first {
                    let g = config.gamma;
                    e / (1.0 + (2.0 - 1.0 / (g * g)) * s)
                } else {
                    e / (1.0 + s)
                };
                let fp = sigmoid_derivative(slope, out);
                let bound = if (s * printed).abs() > a.delta * fp {
                    a.delta * fp / (s * printed).abs()
                } else {
                    1.0
                };
                let moved: f64 = net
                    .weights()
                    .iter()
                    .zip(&w0)
                    .zip(&h)
                    .map(|((w, w0), h)| (w - w0) * h)
                    .sum();
                let phi = if s * printed != 0.0 {
                    moved / (s * printed)
                } else {
                    1.0
                };
                let refused = net.weights() == &w0[..];
                m.s += s;
                m.h2 += h.iter().map(|v| v * v).sum::<f64>();
                m.bounded += usize::from(bound < 1.0);
                m.halved += usize::from(!refused && phi < 0.99 * bound);
                m.refused += usize::from(refused);
                m.phi += phi;
                let first = spec.transition(1).unwrap().len();
                let last = spec.transition(spec.layers() - 1).unwrap().len();
                m.h2_in += h[..first].iter().map(|v| v * v).sum::<f64>();
                m.h2_out += h[nw - last..].iter().map(|v| v * v).sum::<f64>();
            }
            // The outputs, and the first hidden layer's mean slope f'/(η0/4)
            // over the 4 patterns (1 at f = 0.5, 0 when saturated).
            let at = spec.activation_offset(2);
            let width = spec.layer_width(2);
            let mut l2_slope = 0.0;
            let outputs: Vec<f64> = (0..data.len())
                .map(|k| {
                    let o = net.forward(data.get(k).unwrap().0).unwrap()[0];
                    let z = &net.activations()[at..at + width];
                    l2_slope += z.iter().map(|z| 4.0 * z * (1.0 - z)).sum::<f64>();
                    o
                })
                .collect();
            l2_slope /= (data.len() * width) as f64;
            let first = spec.transition(1).unwrap().len();
            let w1_norm = net.weights()[..first]
                .iter()
                .map(|w| w * w)
                .sum::<f64>()
                .sqrt();
            let sse: f64 = (0..data.len())
                .map(|k| (data.get(k).unwrap().1[0] - outputs[k]).powi(2))
                .sum();
            let hi = outputs.iter().cloned().fold(f64::MIN, f64::max);
            let lo = outputs.iter().cloned().fold(f64::MAX, f64::min);
            let n = data.len() as f64;
            println!(
                "{},{trial},{epoch},{:.5},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4e},{:.4e},{},{},{},{:.4e},{:.4e},{:.4e},{:.4},{:.4}",
                a.layers,
                0.5 * sse,
                hi - lo,
                outputs[0],
                outputs[1],
                outputs[2],
                outputs[3],
                m.s / n,
                m.h2 / n,
                m.bounded,
                m.halved,
                m.refused,
                m.phi / n,
                m.h2_in / n,
                m.h2_out / n,
                w1_norm,
                l2_slope
            );
            if 0.5 * sse < 0.01 {
                return Some(epoch);
            }
        }
        None
    }
}

/// Steps the `--input-delta` bound shortened (all trials).
static INPUT_BOUNDED: AtomicUsize = AtomicUsize::new(0);

/// `--input-delta`: scales `w − w0` so that the largest change of a first
/// hidden layer pre-activation over the four ±1 patterns is at most
/// `delta`; `true` if it had to.
fn bound_input_layer(net: &mut ResNet<f64, Vec<f64>>, w0: &[f64], delta: f64) -> bool {
    let t = net.spec().transition(1).unwrap();
    let rows = t.outputs;
    let len = t.row_len();
    let w = net.weights();
    let worst = (0..rows)
        .map(|j| {
            let at = t.offset + j * len;
            (at..at + len).map(|i| (w[i] - w0[i]).abs()).sum::<f64>()
        })
        .fold(0.0, f64::max);
    if worst <= delta {
        return false;
    }
    let alpha = delta / worst;
    let scaled: Vec<f64> = w
        .iter()
        .zip(w0)
        .map(|(w, w0)| w0 + alpha * (w - w0))
        .collect();
    net.set_weights(&scaled).unwrap();
    true
}

/// The Markdown row of one depth: converged trials, mean ± sd, median and
/// max of their epochs (on stderr, beside the CSV on stdout).
fn summary(a: &Args, epochs: &[Option<usize>]) {
    let mut ok: Vec<f64> = epochs.iter().flatten().map(|&e| e as f64).collect();
    ok.sort_by(f64::total_cmp);
    let n = ok.len() as f64;
    let mean = ok.iter().sum::<f64>() / n;
    let sd = (ok.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let median = if ok.is_empty() {
        f64::NAN
    } else {
        (ok[(ok.len() - 1) / 2] + ok[ok.len() / 2]) / 2.0
    };
    let input = if a.input_delta > 0.0 {
        format!(
            ", input δ {} ({} steps shortened)",
            a.input_delta,
            INPUT_BOUNDED.load(Ordering::Relaxed)
        )
    } else {
        String::new()
    };
    eprintln!(
        "| {} | {}{}{input} | {} ({}) | {}/{} | {mean:.2} ± {sd:.2} | {median} | {} |",
        a.layers,
        a.prior,
        if a.covariance_first {
            ", covariance-first"
        } else {
            ""
        },
        a.process_noise,
        a.noise,
        ok.len(),
        epochs.len(),
        ok.last().copied().unwrap_or(f64::NAN)
    );
}
