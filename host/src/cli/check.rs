//! Usage errors: one line, exit status 2, naming the flag at fault.

use std::path::Path;

use hinf::{Error, Param};

use super::values::MethodArg;
use crate::report::io::{check_writable_dir, check_writable_file};
use crate::run::memory;
use crate::settings::{Choice, CovarianceKind, Method, TrialSpec, setting};

/// A usage error: one line, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bad data or a bad model file given on the command line.
impl From<crate::data::DataError> for UsageError {
    fn from(e: crate::data::DataError) -> Self {
        UsageError(e.to_string())
    }
}

impl From<memory::NotEnoughMemory> for UsageError {
    fn from(e: memory::NotEnoughMemory) -> Self {
        UsageError(e.to_string())
    }
}

/// `invalid value 'V' for 'FLAG': WHY`.
pub fn invalid(
    flag: &str,
    value: impl std::fmt::Display,
    why: impl std::fmt::Display,
) -> UsageError {
    UsageError(format!("invalid value '{value}' for '{flag}': {why}"))
}

/// Refuses a count of 0 for `flag`: "need at least 1 `what`".
pub fn at_least_one(flag: &str, value: u64, what: &str) -> Result<(), UsageError> {
    if value == 0 {
        Err(invalid(flag, 0, format!("need at least 1 {what}")))
    } else {
        Ok(())
    }
}

/// `--threads`, if given, is at least 1.
pub fn threads(t: Option<usize>) -> Result<(), UsageError> {
    at_least_one("--threads", t.map_or(1, |t| t as u64), "thread")
}

/// The name of the setting a core validation error is about (`None`:
/// no single flag).
fn setting_of(e: &Error) -> Option<&'static str> {
    match e {
        Error::InvalidDepth { .. } => Some("layers"),
        Error::InvalidGamma => Some("gamma"),
        Error::InvalidEps0 => Some("eps0"),
        Error::InvalidParameter { name } => match *name {
            Param::AdamLr => Some("adam-lr"),
            Param::AdamBeta1 => Some("adam-beta1"),
            Param::AdamBeta2 => Some("adam-beta2"),
            Param::AdamEps => Some("adam-eps"),
            Param::Tolerance => Some("tol"),
            Param::InitRange => Some("init-range"),
            Param::TrustRegionDelta => Some("tr-delta"),
            Param::TrustRegionTolerance => Some("tr-tolerance"),
            Param::ProcessNoise => Some("process-noise"),
            Param::ForgettingFactor => Some("forgetting"),
            Param::Memory => Some("memory"),
            // State read from a model file, not a flag.
            Param::AdamSecondMoment
            | Param::AdamBiasProduct
            | Param::DiagonalFloor
            | Param::CovarianceScale => None,
            // `Param` is `#[non_exhaustive]`: a variant added later.
            _ => None,
        },
        _ => None,
    }
}

/// What values the setting `name` allows, for the message.
fn allowed(name: &str) -> &'static str {
    match name {
        "adam-lr" | "adam-eps" | "tol" | "tr-delta" => " (allowed: a finite number > 0)",
        "adam-beta1" | "adam-beta2" => " (allowed: a number in [0, 1))",
        "init-range" | "tr-tolerance" | "process-noise" => " (allowed: a finite number >= 0)",
        "forgetting" => " (allowed: a number in (0, 1])",
        _ => "",
    }
}

/// Validates a trial spec, naming the offending flag in the message;
/// `layers_flag` is the flag that gave its depth (`--layers`, `--depths`).
pub fn spec(s: &TrialSpec, layers_flag: &str) -> Result<(), UsageError> {
    s.validate().map_err(|e| {
        if let Error::CapacityExceeded {
            what: "network size",
            ..
        } = e
        {
            let fits = |l| hinf::ResNetSpec::xor(l).is_ok();
            return too_large(layers_flag, s.layers, largest_depth(fits), "depth");
        }
        if let (Error::CapacityExceeded { .. }, Some(r)) = (&e, s.memory()) {
            let outputs = s.net_spec().map_or(1, |n| n.outputs());
            return too_many_samples(r, outputs);
        }
        if let Error::Unsupported { what } = e {
            return unsupported_regularization(s, what);
        }
        let Some(name) = setting_of(&e) else {
            return invalid("a parameter", "", e);
        };
        let flag = if name == "layers" {
            layers_flag.to_string()
        } else {
            format!("--{name}")
        };
        let value = setting(name).map_or(String::new(), |st| (st.value)(s).plain());
        invalid(&flag, value, format!("{e}{}", allowed(name)))
    })
}

/// The storage flags agree with the learning rules: `--covariance` only
/// with a rule that keeps a `P` (H∞: `hinf`, `lehf`), a covariance other
/// than neuron blocks only if `hinf` is among them (`lehf` keeps its
/// own), `--memory` only with a window covariance, and R ≥ 1.
pub fn storage(
    methods: &[MethodArg],
    covariances: Option<&[CovarianceKind]>,
    memory: Option<&[usize]>,
) -> Result<(), UsageError> {
    if let Some(&c) = covariances.and_then(|c| c.first()) {
        if let (false, Some(m)) = (methods.iter().any(|m| m.keeps_p()), methods.first()) {
            let why = format!("--method {} keeps no P (only hinf does)", m.name());
            return Err(invalid("--covariance", c.name(), why));
        }
        let other = covariances
            .into_iter()
            .flatten()
            .find(|&&c| c != CovarianceKind::NeuronBlocks);
        let hinf = methods.contains(&MethodArg::Rule(Method::Hinf));
        if let (true, false, Some(c)) = (methods.contains(&MethodArg::Lehf), hinf, other) {
            let why = "--method lehf is --method hinf --covariance neuron-blocks";
            return Err(invalid("--covariance", c.name(), why));
        }
    }
    let Some(rs) = memory else { return Ok(()) };
    for &r in rs {
        at_least_one("--memory", r as u64, "sample")?;
    }
    let windowed = covariances.is_some_and(|c| c.iter().any(|c| c.has_memory()));
    if !windowed {
        let given = rs
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(",");
        return Err(invalid(
            "--memory",
            given,
            "only a window covariance keeps samples (--covariance info-window or window)",
        ));
    }
    Ok(())
}

/// R = `memory` of `covariance` fits an information window's rows for
/// `outputs` outputs (the core's [`hinf::WindowShape::validate`]); other
/// covariances take any R.
pub fn window_memory(
    covariance: CovarianceKind,
    memory: Option<usize>,
    outputs: usize,
) -> Result<(), UsageError> {
    match (covariance, memory) {
        (CovarianceKind::InfoWindow, Some(r))
            if hinf::WindowShape::new(1, r, outputs).validate().is_err() =>
        {
            Err(too_many_samples(r, outputs))
        }
        _ => Ok(()),
    }
}

/// A regularization flag `s`'s covariance has no operation for.
fn unsupported_regularization(s: &TrialSpec, what: &str) -> UsageError {
    let reg = s.variant.regularization();
    let (flag, value) = if reg.process_noise > 0.0 && !s.covariance.regularizable().process_noise {
        ("--process-noise", reg.process_noise)
    } else {
        ("--forgetting", reg.forgetting)
    };
    let why = format!("--covariance {} does not take {what}", s.covariance.name());
    invalid(flag, value, why)
}

/// R too large for an information window of `outputs` outputs.
fn too_many_samples(r: usize, outputs: usize) -> UsageError {
    let most = (hinf::MAX_WINDOW_ROWS / outputs.max(1)).saturating_sub(1);
    invalid(
        "--memory",
        r,
        format!("a window keeps at most {most} samples of {outputs} output(s)"),
    )
}

/// The largest value in `lo..=hi` for which `ok` holds (`ok` monotone:
/// true up to some value, false after); `None` if `ok(lo)` fails.
fn largest(lo: usize, hi: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
    if !ok(lo) {
        return None;
    }
    let (mut good, mut bad) = (lo, hi);
    if ok(hi) {
        return Some(hi);
    }
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if ok(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Some(good)
}

/// The largest depth L = 2n + 3 for which `fits(L)` holds.
pub fn largest_depth(fits: impl Fn(usize) -> bool) -> Option<usize> {
    largest(1, (usize::MAX - 3) / 2, |n| fits(2 * n + 3)).map(|n| 2 * n + 3)
}

/// The message of a size that overflows this machine's address space,
/// with the largest value `flag` allows (`given`: under what, e.g. "at L = 5").
pub fn too_large(flag: &str, value: usize, largest: Option<usize>, given: &str) -> UsageError {
    let limit = largest.map_or(String::new(), |m| format!("; the largest {given} is {m}"));
    invalid(
        flag,
        value,
        format!("the network's sizes (N_w and N_w²) overflow this machine's address space{limit}"),
    )
}

/// Checks a network's shape flags (`--width`, `--layers`, `--slope`),
/// blaming the flag whose value makes the sizes overflow: `--width` if it
/// overflows even at L = 5, else `--layers`.
pub fn network_shape(width: usize, layers: usize, slope: f64) -> Result<(), UsageError> {
    let spec = |w: usize, l: usize| hinf::ResNetSpec::new(1, w, 1, l, slope);
    match spec(width, layers) {
        Ok(_) => Ok(()),
        Err(Error::ZeroWidth) => Err(invalid("--width", width, Error::ZeroWidth)),
        Err(e @ Error::InvalidSlope) => Err(invalid("--slope", slope, e)),
        Err(Error::CapacityExceeded { .. }) if spec(width, 5).is_err() => {
            let at = if spec(1, layers).is_ok() { layers } else { 5 };
            let widest = largest(1, usize::MAX, |w| spec(w, at).is_ok());
            Err(too_large(
                "--width",
                width,
                widest,
                &format!("width at L = {at}"),
            ))
        }
        Err(Error::CapacityExceeded { .. }) => {
            let deepest = largest_depth(|l| spec(width, l).is_ok());
            Err(too_large(
                "--layers",
                layers,
                deepest,
                &format!("depth at width {width}"),
            ))
        }
        Err(e) => Err(invalid("--layers", layers, e)),
    }
}

/// Refuses a run whose trials, `at_once` of them at the same time, would
/// need more memory than the machine has available; `advice` names the
/// flags that shrink it.
pub fn memory(s: &TrialSpec, at_once: usize, advice: &str) -> Result<(), UsageError> {
    let bytes = memory::trial_bytes(s).map_err(|e| UsageError(e.to_string()))?;
    let mut advice = advice.to_string();
    if s.method == Method::Hinf && s.covariance != CovarianceKind::Structured {
        advice += ", or --covariance structured";
    }
    let what = memory::describe(s.method, s.layers, None, s.max_epochs);
    Ok(memory::check_available(bytes, at_once, &what, &advice)?)
}

/// The advice of [`memory`] for `train` and `sweep`.
pub const SHRINK_A_RUN: &str = "use a smaller --layers, fewer --threads or a lower --max-epochs";

/// `flag`'s output directory `dir` can be written (created if need be).
pub fn output_dir(flag: &str, dir: &Path) -> Result<(), UsageError> {
    check_writable_dir(dir).map_err(|e| invalid(flag, dir.display(), e.message))
}

/// `flag`'s output file can be written.
pub fn output_file(flag: &str, file: &Path) -> Result<(), UsageError> {
    check_writable_file(file).map_err(|e| invalid(flag, file.display(), e.message))
}
