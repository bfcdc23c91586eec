//! A [`TrialSpec`] run under a [`Probe`]: the initial weights, data,
//! training loop and optimizer of `hinf train` (trial 0 of `--seed`),
//! with the measurements of a [`ProbePlan`].

use hinf::{ResNet, Xor};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::probe::{Probe, ProbePlan, ProbeRecord};
use crate::learn::{build, zeros};
use crate::run::{learner_spec, trial_seed};
use crate::settings::TrialSpec;

/// The XOR net of `trial`, initialised as trial `index` of base seed
/// `seed` (as `hinf train --seed`), and the generator left after the draw.
pub fn initial_net(
    trial: &TrialSpec,
    seed: u64,
    index: usize,
) -> hinf::Result<(ResNet<f64, Vec<f64>>, Xoshiro256PlusPlus)> {
    let net_spec = trial.net_spec()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(trial_seed(seed, index));
    let buffer = zeros(net_spec.lanes_buffer_len(), "memory for the network")?;
    let mut net = ResNet::new(net_spec, buffer)?;
    net.init_uniform(&mut rng, trial.init_range)?;
    Ok((net, rng))
}

/// The XOR data set of `trial` (its coding and targets).
pub fn xor_of(trial: &TrialSpec) -> Xor<f64> {
    let (low, high) = trial.variant.targets.values();
    Xor::with_targets(trial.inputs.into(), low, high)
}

/// ε0 as the trial uses it and a = 1 − γ_f⁻² of eq. (7).
pub fn eps0_and_a(trial: &TrialSpec) -> hinf::Result<(f64, f64)> {
    let g = learner_spec(trial)?.gehf;
    Ok((g.eps0, 1.0 - 1.0 / (g.gamma * g.gamma)))
}

/// Trains `trial` from trial `index` of `seed` with the project's
/// optimizer for it, measuring what `plan` asks.
pub fn probe_trial(
    trial: &TrialSpec,
    seed: u64,
    index: usize,
    plan: &ProbePlan,
) -> hinf::Result<ProbeRecord> {
    trial.validate()?;
    let (mut net, mut rng) = initial_net(trial, seed, index)?;
    let xor = xor_of(trial);
    let probe = Probe {
        net: &mut net,
        data: xor.samples(),
        config: trial.train_config(),
        rng: &mut rng,
        plan,
    };
    build(&learner_spec(trial)?, &trial.net_spec()?, None, probe)
}
