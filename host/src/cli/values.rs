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
