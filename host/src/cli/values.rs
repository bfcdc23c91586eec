//! The settings' named choices as clap value enums: their names and help
//! come from [`Choice`], declared once in `settings/`.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::data::Task;
use crate::settings::{
    AdamMode, Choice, CovarianceKind, Criterion, Eps0Scale, ExtensionKind, GainOrder, Inputs,
    Method, Order, Precision, Targets, Timing,
};

macro_rules! value_enum {
    ($($t:ty),+ $(,)?) => {$(
        impl ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                <$t as Choice>::ALL
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.name()).help(self.help()))
            }
        }
    )+};
}

value_enum!(
    Method,
    Precision,
    CovarianceKind,
    Criterion,
    Order,
    Inputs,
    AdamMode,
    GainOrder,
    Timing,
    ExtensionKind,
    Eps0Scale,
    Targets,
    Task,
);

/// What `--method` names: a learning rule, or `lehf`, the l-EHF
/// (`--method hinf --covariance neuron-blocks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodArg {
    /// A learning rule.
    Rule(Method),
    /// H∞-learning with `P` cut to one block per neuron.
    Lehf,
}

impl MethodArg {
    /// The learning rule.
    pub fn method(self) -> Method {
        match self {
            MethodArg::Rule(m) => m,
            MethodArg::Lehf => Method::Hinf,
        }
    }
    /// The covariance it implies (`lehf`: neuron blocks).
    pub fn covariance(self) -> Option<CovarianceKind> {
        (self == MethodArg::Lehf).then_some(CovarianceKind::NeuronBlocks)
    }
    /// Whether the rule keeps a learning `P` (H∞).
    pub fn keeps_p(self) -> bool {
        self.method() == Method::Hinf
    }
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            MethodArg::Rule(m) => m.name(),
            MethodArg::Lehf => "lehf",
        }
    }
}

impl ValueEnum for MethodArg {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            MethodArg::Rule(Method::Hinf),
            MethodArg::Lehf,
            MethodArg::Rule(Method::Sd),
            MethodArg::Rule(Method::Adam),
        ]
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            MethodArg::Rule(m) => m.help(),
            MethodArg::Lehf => {
                "The l-EHF: H∞-learning with P cut to one block per neuron (--method hinf --covariance neuron-blocks)."
            }
        };
        Some(PossibleValue::new(self.name()).help(help))
    }
}
