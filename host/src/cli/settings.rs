//! The flags of a trial's settings, shared by `train` and `reproduce`.

use clap::Args;
use hinf::{AdamConfig, DEFAULT_EPS0, GEhfConfig, InputCoding, TrainConfig, TrustRegion};

use super::check::{self, UsageError};
use super::values::MethodArg;
use crate::settings::{
    AdamMode, CovarianceKind, Criterion, Eps0Scale, ExtensionKind, GainOrder, Inputs, Order,
    Precision, Targets, Timing, TrialSpec, Variant, caps,
};

/// The settings shared by `train` and `reproduce`. Defaults for what the
/// paper leaves unstated are the core's provisional ones.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// ε0 of P_{0|-1} = ε0 I (H∞ and sd); > 0. Not stated in the paper.
    #[arg(long, default_value_t = DEFAULT_EPS0, value_name = "E", allow_negative_numbers = true)]
    pub eps0: f64,
    /// γ_f of the H∞ filter; > 1 (paper: 1.7).
    #[arg(long, default_value_t = GEhfConfig::default().gamma, value_name = "G", allow_negative_numbers = true)]
    pub gamma: f64,
    /// Where the current Jacobian enters P relative to the gain.
    #[arg(long, value_enum, default_value_t = GEhfConfig::default().gain_order.into())]
    pub gain_order: GainOrder,
    /// The stopping measure ("truncation error"; not defined in the paper).
    #[arg(long, value_enum, default_value_t = TrainConfig::default().criterion.into())]
    pub criterion: Criterion,
    /// Stop when the measure is below this; > 0 (paper: 1e-2).
    #[arg(long, default_value_t = TrainConfig::default().tol, value_name = "TOL", allow_negative_numbers = true)]
    pub tol: f64,
    /// Whether the stopping rule uses the errors after the epoch or those
    /// met during it.
    #[arg(long, value_enum, default_value_t = TrainConfig::default().timing.into())]
    pub timing: Timing,
    /// Sample order within an epoch.
    #[arg(long, value_enum, default_value_t = TrainConfig::default().order.into())]
    pub order: Order,
    /// XOR input coding.
    #[arg(long, value_enum, default_value_t = InputCoding::default().into())]
    pub inputs: Inputs,
    /// Epoch cap of every trial; ≥ 1 [default: per method, see
    /// `settings::caps`].
    #[arg(long, value_name = "N", help = caps::help())]
    pub max_epochs: Option<u32>,
    /// Initial weights uniform in [-A, A]; ≥ 0 (paper: 0.05).
    #[arg(long, default_value_t = hinf::PAPER_INIT_RANGE, value_name = "A", allow_negative_numbers = true)]
    pub init_range: f64,
    /// Adam per sample or on the epoch's summed gradient.
    #[arg(long, value_enum, default_value_t = AdamConfig::default().mode.into())]
    pub adam_mode: AdamMode,
    /// Adam's step size α; > 0 (paper: 0.01).
    #[arg(long, default_value_t = AdamConfig::default().lr, value_name = "A", allow_negative_numbers = true)]
    pub adam_lr: f64,
    /// Adam's β1 in [0, 1) (paper: 0.79).
    #[arg(long, default_value_t = AdamConfig::default().beta1, value_name = "B1", allow_negative_numbers = true)]
    pub adam_beta1: f64,
    /// Adam's β2 in [0, 1) (paper: 0.78).
    #[arg(long, default_value_t = AdamConfig::default().beta2, value_name = "B2", allow_negative_numbers = true)]
    pub adam_beta2: f64,
    /// Adam's ε; > 0 (paper: 1e-8).
    #[arg(long, default_value_t = AdamConfig::default().eps, value_name = "E", allow_negative_numbers = true)]
    pub adam_eps: f64,
    /// Scalar type of the computation.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Storage of P for H∞ [default: structured]: exact (structured
    /// low-rank turning packed when cheaper, packed, or dense: N_w², small
    /// nets only) or in bounded memory (blocks, or a window of --memory R
    /// samples).
    #[arg(long, value_enum)]
    pub covariance: Option<CovarianceKind>,
    /// R ≥ 1, the samples a window covariance keeps [default: 8].
    #[arg(long, value_name = "R")]
    pub memory: Option<usize>,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub variant: VariantArgs,
}

impl SettingsArgs {
    /// The trial spec for `method` at `layers`, capped at `--max-epochs`
    /// or else the method's default cap ([`caps::cap`]).
    pub fn trial_spec(&self, method: MethodArg, layers: usize) -> TrialSpec {
        let covariance = method.covariance().or(self.covariance).unwrap_or_default();
        let spec = TrialSpec {
            method: method.method(),
            layers,
            eps0: self.eps0,
            gamma: self.gamma,
            gain_order: self.gain_order,
            criterion: self.criterion,
            tol: self.tol,
            timing: self.timing,
            order: self.order,
            inputs: self.inputs,
            max_epochs: 0,
            adam_lr: self.adam_lr,
            adam_beta1: self.adam_beta1,
            adam_beta2: self.adam_beta2,
            adam_eps: self.adam_eps,
            adam_mode: self.adam_mode,
            precision: self.precision,
            init_range: self.init_range,
            covariance,
            memory: self.memory,
            variant: self.variant.variant(),
        };
        caps::capped(spec, self.max_epochs).with_memory_resolved()
    }

    /// Checks `--threads`, `--max-epochs`, and the storage flags against
    /// `methods` (the rest is checked with the trial spec).
    pub fn check(&self, methods: &[MethodArg]) -> Result<(), UsageError> {
        check::threads(self.threads)?;
        let covariance = self.covariance.as_ref().map(core::slice::from_ref);
        let memory = self.memory.as_ref().map(core::slice::from_ref);
        check::storage(methods, covariance, memory)?;
        check::at_least_one(
            "--max-epochs",
            self.max_epochs.map_or(1, u64::from),
            "epoch",
        )
    }
}

/// The variant flags of `hinf train` and `hinf reproduce`.
#[derive(Debug, Clone, Args)]
pub struct VariantArgs {
    /// Step extension (not in the paper): `trust-region` bounds and checks
    /// each weight step (docs/extension-notes.md); use it with --eps0 1000.
    #[arg(long, value_enum, default_value_t = ExtensionKind::None)]
    pub extension: ExtensionKind,
    /// Trust region δ > 0: largest predicted change of the output
    /// pre-activation per step.
    #[arg(long, default_value_t = TrustRegion::RECOMMENDED.delta, value_name = "D", allow_negative_numbers = true)]
    pub tr_delta: f64,
    /// Trust region τ ≥ 0: accepted relative linearisation error.
    #[arg(long, default_value_t = TrustRegion::RECOMMENDED.tolerance, value_name = "T", allow_negative_numbers = true)]
    pub tr_tolerance: f64,
    /// Trust region halvings of the step (0: the δ bound only).
    #[arg(long, default_value_t = TrustRegion::RECOMMENDED.max_halvings, value_name = "N")]
    pub tr_halvings: u32,
    /// Process noise q ≥ 0 on P (P ← P + qI after each update; 0: off).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "Q",
        allow_negative_numbers = true
    )]
    pub process_noise: f64,
    /// Forgetting factor λ in (0, 1] on P (P ← P/λ after each update; 1: off).
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "L",
        allow_negative_numbers = true
    )]
    pub forgetting: f64,
    /// Scale ε0 with the network: none; weights (ε0·76/N_w); blocks
    /// (ε0/n, n = (L−3)/2). Equal at L = 5.
    #[arg(long, value_enum, default_value_t = Eps0Scale::None)]
    pub eps0_scale: Eps0Scale,
    /// XOR targets: zero-one {0, 1} or soft {0.1, 0.9}.
    #[arg(long, value_enum, default_value_t = Targets::ZeroOne)]
    pub targets: Targets,
}

impl VariantArgs {
    /// The variant these flags describe.
    pub fn variant(&self) -> Variant {
        Variant {
            extension: self.extension,
            tr_delta: self.tr_delta,
            tr_tolerance: self.tr_tolerance,
            tr_halvings: self.tr_halvings,
            process_noise: self.process_noise,
            forgetting: self.forgetting,
            eps0_scale: self.eps0_scale,
            targets: self.targets,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{reproduce::ReproduceArgs, sweep, train::TrainArgs};
    use crate::settings::{Choice, ExtensionKind, Method, TrialSpec, caps};

    #[derive(Parser)]
    enum Cmd {
        Train(TrainArgs),
        Reproduce(ReproduceArgs),
        Sweep(Box<sweep::SweepArgs>),
    }

    fn parse(args: &str) -> Cmd {
        Cmd::parse_from(std::iter::once("hinf").chain(args.split_whitespace()))
    }

    /// The cap `train`, `reproduce` and `sweep` give `method` (with
    /// `tr`: the trust-region extension), and `extra` flags.
    fn caps_of(method: Method, tr: bool, extra: &str) -> [u32; 3] {
        let m = method.name();
        let ext = if tr { "--extension trust-region" } else { "" };
        let Cmd::Train(t) = parse(&format!("train --method {m} --layers 5 {ext} {extra}")) else {
            unreachable!()
        };
        let train = t.experiment().unwrap().trial.max_epochs;
        let tr_plan = if tr { "--beyond" } else { "" };
        let args = format!("reproduce --depths 5 --sd-layers 5 {tr_plan} {extra}");
        let Cmd::Reproduce(r) = parse(&args) else {
            unreachable!()
        };
        let want = |t: &TrialSpec| {
            t.method == method && (t.variant.extension == ExtensionKind::TrustRegion) == tr
        };
        let plan = r.plan().unwrap();
        let reproduce = plan
            .iter()
            .find(|e| want(&e.trial))
            .unwrap()
            .trial
            .max_epochs;
        let args = format!("sweep --out x --method {m} {ext} {extra}");
        let Cmd::Sweep(s) = parse(&args) else {
            unreachable!()
        };
        let sweep = sweep::grid(&s).unwrap()[0].max_epochs;
        [train, reproduce, sweep]
    }

    #[test]
    fn every_command_caps_a_method_alike() {
        for (method, tr, cap) in [
            (Method::Hinf, false, caps::HINF),
            (Method::Hinf, true, caps::TRUST_REGION),
            (Method::Sd, false, caps::SD),
            (Method::Adam, false, caps::ADAM),
        ] {
            assert_eq!(
                caps_of(method, tr, ""),
                [cap; 3],
                "{m} {tr}",
                m = method.name()
            );
            assert_eq!(
                caps_of(method, tr, "--max-epochs 7"),
                [7; 3],
                "{m} {tr}",
                m = method.name()
            );
        }
        // `--hinf-max-epochs` still caps Table 1's H∞ trials, before --max-epochs.
        let Cmd::Reproduce(r) = parse("reproduce --depths 5 --max-epochs 7 --hinf-max-epochs 9")
        else {
            unreachable!()
        };
        let plan = r.plan().unwrap();
        assert_eq!(plan[0].trial.max_epochs, 9);
        assert!(plan[1..].iter().all(|e| e.trial.max_epochs == 7));
    }
}
