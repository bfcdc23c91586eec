//! The settings' named choices as clap value enums: their names and help
//! come from [`Choice`], declared once in `settings/`.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::data::Task;
use crate::settings::{
    AdamModeArg, Choice, CovarianceKind, Criterion, Eps0Scale, ExtensionArg, GainOrderArg, Inputs,
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
    AdamModeArg,
    GainOrderArg,
    Timing,
    ExtensionArg,
    Eps0Scale,
    Targets,
    Task,
);
