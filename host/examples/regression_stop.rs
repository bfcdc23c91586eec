//! Probe (not part of the harness): when should `fit` stop on a
//! regression target? Trains H∞, steepest descent and Adam on three
//! regression sets (the noisy sine; Iris' petal width and Wine's alcohol
//! from the other numeric columns), 80 % of the rows, for a fixed number
//! of epochs, recording the training MSE (scaled targets) and the test
//! RMSE (target units) after every epoch; then scores stopping rules on
//! those curves: the old tolerance (training MSE < 0.01), plateaus "stop
//! after epoch e once the best training MSE of the last K epochs is not δ
//! (relative) below the best before them", and (training on 80 % of the
//! training rows, the rest held out) "stop once the best validation RMSE
//! is K epochs old, keeping its weights".
//!
//! `cargo run --release -p host --example regression_stop -- [SEEDS] [EPOCHS]`
//! (defaults 10 and 200). docs/own-data.md quotes a run.

use std::path::Path;

use hinf::{
    EpochReport, Optimizer, Real, ResNet, ResNetSpec, SampleOrder, StepReport, StopCriterion,
    TrainConfig, train,
};
use host::data::early_stop::validation_split;
use host::data::fit::learner_spec;
use host::data::{Dataset, Encoding, Table, Task, quality, split_indices};
use host::learn::{Learner, WithOptimizer, build};
use host::settings::{FitSpec, Method};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The wrapped optimizer, measuring the RMSE on some sets after every epoch.
struct Probe<'a, O> {
    inner: O,
    sets: Vec<&'a Dataset>,
    enc: &'a Encoding,
    rmse: Vec<Vec<f64>>,
}

impl<T: Real, O: Optimizer<T>> Optimizer<T> for Probe<'_, O> {
    fn observe<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, S>,
        x: &[T],
        y: &[T],
    ) -> hinf::Result<StepReport<T>> {
        self.inner.observe(net, x, y)
    }
    fn end_epoch<S: AsRef<[T]> + AsMut<[T]>>(
        &mut self,
        net: &mut ResNet<T, S>,
    ) -> hinf::Result<()> {
        self.inner.end_epoch(net)?;
        for (k, set) in self.sets.iter().enumerate() {
            let q = quality(net, set, self.enc)?;
            self.rmse[k].push(q.rmse.unwrap_or(f64::NAN));
        }
        Ok(())
    }
}

/// One run: training MSE per epoch (`[0]`: initial) and test RMSE per epoch (`[0]`: after epoch 1).
struct Run<'a> {
    net: &'a mut ResNet<f64, Vec<f64>>,
    train: &'a Dataset,
    sets: Vec<&'a Dataset>,
    enc: &'a Encoding,
    epochs: u32,
    seed: u64,
}

impl WithOptimizer<f64> for Run<'_> {
    type Output = (Vec<f64>, Vec<Vec<f64>>);
    fn net(&mut self) -> &mut ResNet<f64, Vec<f64>> {
        self.net
    }
    fn run<O: Learner<f64>>(self, opt: O) -> hinf::Result<Self::Output> {
        let mut probe = Probe {
            inner: opt,
            rmse: vec![Vec::new(); self.sets.len()],
            sets: self.sets,
            enc: self.enc,
        };
        let config = TrainConfig {
            criterion: StopCriterion::Mse,
            tol: 1e-300,
            order: SampleOrder::Shuffled,
            max_epochs: self.epochs,
            ..TrainConfig::default()
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed ^ 0x5eed);
        let mut order = vec![0; self.train.len()];
        let mut mse = Vec::new();
        let samples = self.train.samples()?;
        // A refused update ends the curves there.
        let _ = train(
            self.net,
            &mut probe,
            &samples,
            &config,
            &mut rng,
            &mut order,
            |r: &EpochReport| {
                mse.push(r.error);
                true
            },
        );
        Ok((mse, probe.rmse))
    }
}

/// A regression set: file, target, features to drop.
fn set(name: &str) -> (Table, Vec<String>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let (file, target, drop): (&str, &str, &[&str]) = match name {
        "sine" => ("sine.csv", "y", &[]),
        "iris" => ("iris.csv", "petal_width", &["species"]),
        _ => ("wine.csv", "alcohol", &["cultivar"]),
    };
    let table = Table::read(&root.join(file)).expect("data");
    let feats = table
        .header
        .iter()
        .filter(|h| *h != target && !drop.contains(&h.as_str()))
        .cloned()
        .collect();
    (table, vec![target.to_string()], feats)
}

/// Training MSE per epoch, and the RMSE per epoch on the test rows and
/// (`validate`: 20 % of the training rows held out) the validation rows.
fn one(
    name: &str,
    method: Method,
    layers: usize,
    seed: u64,
    epochs: u32,
    validate: bool,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let (table, target, feats) = set(name);
    let (mut tr, te) = split_indices(table.rows.len(), 0.8, seed);
    let enc = Encoding::fit(&table, &target, Some(&feats), Task::Regression, true, &tr).unwrap();
    // As `hinf fit`: the encoding from all training rows, then a fifth held out.
    let mut va = Vec::new();
    if validate {
        (tr, va) = validation_split(&tr, seed);
    }
    let all = enc.encode(&table).unwrap();
    let (train_set, test_set, val_set) = (all.subset(&tr), all.subset(&te), all.subset(&va));
    let spec = FitSpec {
        method,
        layers,
        seed,
        ..FitSpec::default()
    };
    let net_spec = ResNetSpec::new(train_set.n_inputs, spec.width, 1, layers, spec.slope).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = ResNet::new(net_spec, vec![0.0; net_spec.buffer_len()]).unwrap();
    net.init_uniform(&mut rng, spec.init_range).unwrap();
    let learner = learner_spec(&spec, net_spec.n_weights(), 1);
    let run = Run {
        net: &mut net,
        train: &train_set,
        sets: if validate {
            vec![&test_set, &val_set]
        } else {
            vec![&test_set]
        },
        enc: &enc,
        epochs,
        seed,
    };
    build(&learner, &net_spec, None, run).unwrap()
}

/// The epoch a rule stops after (≥ 1), on a training-MSE curve.
fn stop(mse: &[f64], rule: (usize, f64)) -> usize {
    let last = mse.len() - 1;
    let (k, delta) = rule;
    if k == 0 {
        // The old rule: training MSE below delta.
        return (1..=last).find(|&e| mse[e] < delta).unwrap_or(last);
    }
    // The best of the last K epochs is not δ below the best before them.
    let best = |a: usize, b: usize| mse[a..=b].iter().copied().fold(f64::INFINITY, f64::min);
    (k.max(1)..=last)
        .find(|&e| best(e + 1 - k, e) > (1.0 - delta) * best(0, e - k))
        .unwrap_or(last)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let epochs: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut rules = vec![(0, 0.01)];
    for k in [3, 5, 10, 20] {
        for d in [0.001, 0.01, 0.02, 0.05] {
            rules.push((k, d));
        }
    }
    println!(
        "set method L | best test RMSE (epoch) | at {epochs} | rule: mean stop epoch, test RMSE / best"
    );
    for name in ["sine", "iris", "wine"] {
        for method in [Method::Hinf, Method::Sd, Method::Adam] {
            for layers in [5, 21] {
                let runs: Vec<_> = (1..=seeds)
                    .map(|s| one(name, method, layers, s, epochs, false))
                    .collect();
                let held: Vec<_> = (1..=seeds)
                    .map(|s| one(name, method, layers, s, epochs, true))
                    .collect();
                report(name, method, layers, &runs, &held, &rules);
            }
        }
    }
}

type Curves = (Vec<f64>, Vec<Vec<f64>>);

/// The validation rule: stop once the best validation RMSE is K epochs
/// old and keep that epoch's weights; the epoch stopped after and the
/// epoch kept.
fn validation_stop(val: &[f64], k: usize) -> (usize, usize) {
    let mut best = 0;
    for e in 0..val.len() {
        if val[e] < val[best] {
            best = e;
        }
        if e >= best + k {
            return (e + 1, best + 1);
        }
    }
    (val.len(), best + 1)
}

fn report(
    name: &str,
    method: Method,
    layers: usize,
    runs: &[Curves],
    held: &[Curves],
    rules: &[(usize, f64)],
) {
    let n = runs.len() as f64;
    let mean = |rs: &[Curves], f: &dyn Fn(&Curves) -> f64| rs.iter().map(f).sum::<f64>() / n;
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let best = mean(runs, &|r| min(&r.1[0]));
    let best_at = mean(runs, &|r| {
        let m = min(&r.1[0]);
        (r.1[0].iter().position(|&x| x == m).unwrap_or(0) + 1) as f64
    });
    let end = mean(runs, &|r| *r.1[0].last().unwrap_or(&f64::NAN));
    let mut line = format!(
        "{name} {} L={layers} | {best:.4} ({best_at:.0}) | {end:.4} |",
        method_name(method)
    );
    for &rule in rules {
        let e = mean(runs, &|r| stop(&r.0, rule).min(r.1[0].len()) as f64);
        let rmse = mean(runs, &|r| {
            let e = stop(&r.0, rule).min(r.1[0].len()).max(1);
            r.1[0].get(e - 1).copied().unwrap_or(f64::NAN)
        });
        let label = if rule.0 == 0 {
            "tol".to_string()
        } else {
            format!("K{} d{}", rule.0, rule.1)
        };
        line += &format!(" {label}: {e:.0}, {rmse:.4}/{:.2} |", rmse / best);
    }
    for k in [3, 5, 10, 20] {
        let e = mean(held, &|r| validation_stop(&r.1[1], k).0 as f64);
        let rmse = mean(held, &|r| {
            let kept = validation_stop(&r.1[1], k).1;
            r.1[0].get(kept - 1).copied().unwrap_or(f64::NAN)
        });
        line += &format!(" val K{k}: {e:.0}, {rmse:.4}/{:.2} |", rmse / best);
    }
    println!("{line}");
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Hinf => "hinf",
        Method::Sd => "sd",
        Method::Adam => "adam",
    }
}
