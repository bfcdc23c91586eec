//! The one table of a trial's settings ([`SETTINGS`]): each setting's name
//! (its flag is `--name`, its CSV column `name` with `_`), how its value is
//! shown, whether `hinf sweep` varies it, whether `sweep.csv` has its
//! column, and which runs use it. Reports, the sweep's CSV, Markdown and
//! picture labels, the normalisation of a sweep grid and the CLI's error
//! messages all read this table; adding a setting is one row here (and its
//! field in [`TrialSpec`] and its flag).

use super::choice::Choice;
use super::choices::Method;
use super::trial::TrialSpec;
use super::variant::ExtensionKind;

/// What kind of row a [`Setting`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// What names an experiment (method, depth): not in the settings lists.
    Run,
    /// Computed from other settings (a CSV column only).
    Derived,
    /// A setting of the core's training run.
    Core,
    /// An off-by-default switch beyond the printed method.
    Variant,
}

/// A setting's value, as reports and CSV show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A named choice.
    Name(&'static str),
    /// A count.
    Int(u64),
    /// A number, shown with `{}`.
    Real(f64),
    /// A small number, shown with `{:e}` (`1e-8`).
    Sci(f64),
}

impl Value {
    /// As a flag's value would be written (`{}` for every number).
    pub fn plain(self) -> String {
        match self {
            Value::Sci(x) => format!("{x}"),
            v => v.to_string(),
        }
    }
}

impl core::fmt::Display for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Value::Name(n) => f.write_str(n),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(x) => write!(f, "{x}"),
            Value::Sci(x) => write!(f, "{x:e}"),
        }
    }
}

/// One setting of a [`TrialSpec`].
#[derive(Clone, Copy)]
pub struct Setting {
    /// Its name: the flag is `--name`, the CSV column `name` with `_`.
    pub name: &'static str,
    /// What kind of row it is.
    pub group: Group,
    /// `hinf sweep` takes a comma-separated list of it.
    pub sweep: bool,
    /// `sweep.csv` has its column.
    pub csv: bool,
    /// Its value.
    pub value: fn(&TrialSpec) -> Value,
    /// Whether a settings list shows it for this trial.
    pub shown: fn(&TrialSpec) -> bool,
    /// Whether this trial's method uses it (a sweep resets it otherwise).
    pub used: fn(&TrialSpec) -> bool,
    /// Sets it to its value in the second spec (a default).
    pub reset: fn(&mut TrialSpec, &TrialSpec),
}

impl Setting {
    /// The flag, `--name`.
    pub fn flag(&self) -> String {
        format!("--{}", self.name)
    }
    /// The CSV column, `name` with `-` as `_`.
    pub fn column(&self) -> String {
        self.name.replace('-', "_")
    }
}

impl core::fmt::Debug for Setting {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name)
    }
}

fn always(_: &TrialSpec) -> bool {
    true
}
fn never(_: &TrialSpec) -> bool {
    false
}
fn no_reset(_: &mut TrialSpec, _: &TrialSpec) {}
fn hinf_only(s: &TrialSpec) -> bool {
    s.method == Method::Hinf
}
fn not_adam(s: &TrialSpec) -> bool {
    s.method != Method::Adam
}
fn adam_only(s: &TrialSpec) -> bool {
    s.method == Method::Adam
}
fn with_extension(s: &TrialSpec) -> bool {
    s.variant.extension != ExtensionKind::None
}
fn extension_used(s: &TrialSpec) -> bool {
    not_adam(s) && with_extension(s)
}

/// A row for the field `$($f).+` of [`TrialSpec`], its value an `int`, a
/// `num`, a small number (`exp`) or a `choice` (by its [`Choice`] name).
macro_rules! row {
    (@show int, $v:expr) => { Value::Int($v as u64) };
    (@show num, $v:expr) => { Value::Real($v) };
    (@show exp, $v:expr) => { Value::Sci($v) };
    (@show choice, $v:expr) => { Value::Name(Choice::name($v)) };
    ($name:literal, $group:ident, sweep: $sweep:literal, csv: $csv:literal, $kind:ident,
     shown: $shown:expr, used: $used:expr, $($f:ident).+) => {
        Setting {
            name: $name,
            group: Group::$group,
            sweep: $sweep,
            csv: $csv,
            value: |s| row!(@show $kind, s.$($f).+),
            shown: $shown,
            used: $used,
            reset: |s, d| s.$($f).+ = d.$($f).+,
        }
    };
}

/// A core setting shown always, or a variant switch shown when it is not
/// its default.
macro_rules! differs {
    ($($f:ident).+) => { |s: &TrialSpec| s.$($f).+ != TrialSpec::default().$($f).+ };
}

/// Every setting, in the order of the settings lists and `sweep.csv`.
/// (A table: one row per setting.)
pub const SETTINGS: &[Setting] = &[
    row!("method", Run, sweep: true, csv: true, choice, shown: never, used: always, method),
    row!("layers", Run, sweep: true, csv: true, int, shown: never, used: always, layers),
    Setting {
        name: "n-weights",
        group: Group::Derived,
        sweep: false,
        csv: true,
        value: |s| Value::Int(s.net_spec().map_or(0, |n| n.n_weights() as u64)),
        shown: never,
        used: always,
        reset: no_reset,
    },
    row!("eps0", Core, sweep: true, csv: true, num, shown: always, used: not_adam, eps0),
    Setting {
        name: "eps0-effective",
        group: Group::Derived,
        sweep: false,
        csv: true,
        value: |s| Value::Real(s.effective_eps0().unwrap_or(f64::NAN)),
        shown: never,
        used: always,
        reset: no_reset,
    },
    row!("eps0-scale", Variant, sweep: true, csv: true, choice,
         shown: differs!(variant.eps0_scale), used: not_adam, variant.eps0_scale),
    row!("gamma", Core, sweep: true, csv: true, num, shown: always, used: hinf_only, gamma),
    row!("gain-order", Core, sweep: true, csv: true, choice, shown: always, used: hinf_only, gain_order),
    row!("criterion", Core, sweep: true, csv: true, choice, shown: always, used: always, criterion),
    row!("tol", Core, sweep: true, csv: true, num, shown: always, used: always, tol),
    row!("timing", Core, sweep: true, csv: true, choice, shown: always, used: always, timing),
    row!("order", Core, sweep: true, csv: true, choice, shown: always, used: always, order),
    row!("inputs", Core, sweep: true, csv: true, choice, shown: always, used: always, inputs),
    row!("targets", Variant, sweep: true, csv: true, choice,
         shown: differs!(variant.targets), used: always, variant.targets),
    row!("adam-mode", Core, sweep: true, csv: true, choice, shown: always, used: adam_only, adam_mode),
    row!("extension", Variant, sweep: true, csv: true, choice,
         shown: with_extension, used: not_adam, variant.extension),
    row!("tr-delta", Variant, sweep: true, csv: true, num,
         shown: with_extension, used: extension_used, variant.tr_delta),
    row!("tr-tolerance", Variant, sweep: true, csv: true, num,
         shown: with_extension, used: extension_used, variant.tr_tolerance),
    row!("tr-halvings", Variant, sweep: true, csv: true, int,
         shown: with_extension, used: extension_used, variant.tr_halvings),
    row!("process-noise", Variant, sweep: true, csv: true, num,
         shown: differs!(variant.process_noise), used: hinf_only, variant.process_noise),
    row!("forgetting", Variant, sweep: true, csv: true, num,
         shown: differs!(variant.forgetting), used: hinf_only, variant.forgetting),
    row!("max-epochs", Core, sweep: false, csv: true, int, shown: always, used: always, max_epochs),
    row!("init-range", Core, sweep: false, csv: false, num, shown: always, used: always, init_range),
    row!("adam-lr", Core, sweep: false, csv: false, num, shown: always, used: adam_only, adam_lr),
    row!("adam-beta1", Core, sweep: false, csv: false, num, shown: always, used: adam_only, adam_beta1),
    row!("adam-beta2", Core, sweep: false, csv: false, num, shown: always, used: adam_only, adam_beta2),
    row!("adam-eps", Core, sweep: false, csv: false, exp, shown: always, used: adam_only, adam_eps),
    row!("precision", Core, sweep: false, csv: false, choice, shown: always, used: always, precision),
    row!("covariance", Core, sweep: true, csv: true, choice, shown: always, used: hinf_only, covariance),
    Setting {
        name: "memory",
        group: Group::Core,
        sweep: true,
        csv: true,
        value: |s| {
            s.memory()
                .map_or(Value::Name("-"), |r| Value::Int(r as u64))
        },
        shown: |s| s.memory().is_some(),
        used: |s| hinf_only(s) && s.covariance.has_memory(),
        reset: |s, d| s.memory = d.memory,
    },
];

/// The setting called `name` (e.g. `adam-lr`), if there is one.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// The settings of `spec` a settings list shows, as `(name, value)`: the
/// core's always, the variant switches where they are on.
pub fn shown_settings(spec: &TrialSpec) -> Vec<(&'static str, String)> {
    SETTINGS
        .iter()
        .filter(|s| matches!(s.group, Group::Core | Group::Variant) && (s.shown)(spec))
        .map(|s| (s.name, (s.value)(spec).to_string()))
        .collect()
}

/// The settings `hinf sweep` varies, as `(name, value)`, in table order.
pub fn sweep_settings(spec: &TrialSpec) -> Vec<(&'static str, String)> {
    SETTINGS
        .iter()
        .filter(|s| s.sweep)
        .map(|s| (s.name, (s.value)(spec).to_string()))
        .collect()
}

/// `spec` with every setting its method does not use reset to the
/// default, so that equal runs compare equal.
pub fn normalize(mut spec: TrialSpec) -> TrialSpec {
    let d = TrialSpec::default();
    for s in SETTINGS {
        if !(s.used)(&spec) {
            (s.reset)(&mut spec, &d);
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_flags_follow_them() {
        for (i, a) in SETTINGS.iter().enumerate() {
            assert!(SETTINGS[i + 1..].iter().all(|b| b.name != a.name), "{a:?}");
        }
        let s = setting("adam-lr").unwrap();
        assert_eq!(
            (s.flag(), s.column()),
            ("--adam-lr".into(), "adam_lr".into())
        );
    }

    #[test]
    fn normalize_drops_what_the_method_does_not_use() {
        let adam = TrialSpec {
            method: Method::Adam,
            eps0: 5.0,
            gamma: 3.0,
            ..TrialSpec::default()
        };
        let n = normalize(adam);
        assert_eq!(
            (n.eps0, n.gamma),
            (hinf::DEFAULT_EPS0, TrialSpec::default().gamma)
        );
        let hinf = TrialSpec {
            eps0: 5.0,
            adam_lr: 0.5,
            ..TrialSpec::default()
        };
        let n = normalize(hinf);
        assert_eq!((n.eps0, n.adam_lr), (5.0, TrialSpec::default().adam_lr));
    }
}
