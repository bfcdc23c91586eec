//! How much memory a run needs, checked before it starts.
//!
//! A deep net is cheap to ask for and expensive to hold: at L = 10⁸ the
//! weights alone are 22 GB, and a dense `P` at L = 2001 is 24 GB. Rather
//! than let the allocator abort (or the kernel kill the process) part-way,
//! the commands estimate the peak memory of one run from its shape, multiply
//! by the runs that go at once, and refuse with a usage error (exit 2) when
//! that is more than the machine has available.
//!
//! The estimates are upper bounds on the large buffers: the network's
//! working memory, the optimizer's state, `P` at its largest, and the
//! per-epoch records; small fixed costs are left out.

use hinf::{Blocking, FactoredShape, ResNetSpec, TermWindowShape, packed_len};

use crate::learn::{StructuredCovariance, information};
use crate::settings::{
    Choice, CovarianceKind, DEFAULT_MEMORY, FitSpec, Method, Precision, TrialSpec,
};

/// Bytes per element of `precision`.
pub fn element_bytes(precision: Precision) -> u128 {
    match precision {
        Precision::F32 => 4,
        Precision::F64 => 8,
    }
}

/// Elements of `P` at its largest over `downdates` rank-one downdates for
/// the net `net`: the structured form's factors (with its diagonal), and,
/// if it turns packed, the expansion (the factors, the expanded values and
/// the packed matrix at once); the packed or dense matrix; or the fixed
/// storage of blocks or a window of `memory` samples (R, for a window).
pub fn covariance_elements(
    kind: CovarianceKind,
    net: &ResNetSpec,
    memory: Option<usize>,
    downdates: u128,
) -> u128 {
    let n = net.n_weights();
    let nn = n as u128;
    match kind {
        CovarianceKind::Structured => {
            let switch = StructuredCovariance::<f64>::default_switch_at(n) as u128;
            let low_rank = downdates.min(switch) * (nn + 1) + 2 * nn;
            if downdates > switch {
                low_rank + 2 * packed_len(n) as u128
            } else {
                low_rank
            }
        }
        CovarianceKind::Info => {
            let samples = usize::try_from(downdates).unwrap_or(usize::MAX);
            let capacity = information::capacity_for(samples);
            let form = FactoredShape::exact(net, capacity).storage_len() as u128;
            form.min(packed_len(n) as u128)
        }
        CovarianceKind::Packed => packed_len(n) as u128,
        CovarianceKind::Dense => nn * nn,
        CovarianceKind::NeuronBlocks => Blocking::PerNeuron.packed_len(net) as u128,
        CovarianceKind::LayerBlocks => Blocking::PerLayer.packed_len(net) as u128,
        CovarianceKind::InfoWindow => {
            let r = memory.unwrap_or(DEFAULT_MEMORY);
            FactoredShape::new(net, r).storage_len() as u128
        }
        CovarianceKind::Window => {
            TermWindowShape::new(n, memory.unwrap_or(DEFAULT_MEMORY)).storage_len() as u128
        }
    }
}

/// Elements of the optimizer's state for `method` (H∞: `P` as `kind`).
pub fn optimizer_elements(
    method: Method,
    kind: CovarianceKind,
    net: &ResNetSpec,
    memory: Option<usize>,
    downdates: u128,
) -> u128 {
    match method {
        Method::Adam => 3 * net.n_weights() as u128,
        Method::Sd => 0,
        Method::Hinf => covariance_elements(kind, net, memory, downdates),
    }
}

/// Bytes of a trial's `P` (H∞; 0 for steepest descent and Adam): exact
/// for the bounded covariances, at the epoch cap (an upper bound) for the
/// structured one.
pub fn covariance_bytes(spec: &TrialSpec) -> hinf::Result<u128> {
    let net = spec.net_spec()?;
    let downdates = 4 * u128::from(spec.max_epochs);
    let elements = match spec.method {
        Method::Hinf => covariance_elements(spec.covariance, &net, spec.memory(), downdates),
        _ => 0,
    };
    Ok(elements * element_bytes(spec.precision))
}

/// The memory the system has available for new allocations, in bytes
/// (`MemAvailable` plus free swap from `/proc/meminfo`); `None` where that
/// cannot be read (then nothing is refused in advance).
pub fn available_bytes() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u128> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some(field("MemAvailable:")? + field("SwapFree:").unwrap_or(0))
}

/// `bytes` in GB (10⁹ bytes), for messages.
pub fn gb(bytes: u128) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

/// A run refused before it starts: `at_once` runs of `bytes_per_run` bytes
/// each need more than the `available` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEnoughMemory {
    /// Which runs (e.g. "hinf at L = 1001 with an epoch cap of 100").
    pub what: String,
    /// The estimate for one run.
    pub bytes_per_run: u128,
    /// How many go at once.
    pub at_once: usize,
    /// What the machine has available.
    pub available: u128,
    /// What to change (names the flags).
    pub advice: String,
}

impl std::fmt::Display for NotEnoughMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total = self
            .bytes_per_run
            .saturating_mul(self.at_once.max(1) as u128);
        let runs = if self.at_once > 1 {
            format!(
                "{} runs at once ({} each) need {}",
                self.at_once,
                gb(self.bytes_per_run),
                gb(total)
            )
        } else {
            format!("one run needs {}", gb(total))
        };
        write!(
            f,
            "not enough memory for {}: {runs}, more than the {} available; {}",
            self.what,
            gb(self.available),
            self.advice
        )
    }
}

impl std::error::Error for NotEnoughMemory {}

/// Refuses `at_once` runs of `bytes_per_run` bytes each (`what`: which
/// runs) going at the same time when that is more than `available` bytes
/// (no check when `None`).
pub fn check(
    bytes_per_run: u128,
    at_once: usize,
    available: Option<u128>,
    what: &str,
    advice: &str,
) -> Result<(), NotEnoughMemory> {
    let Some(available) = available else {
        return Ok(());
    };
    let total = bytes_per_run.saturating_mul(at_once.max(1) as u128);
    if total <= available {
        return Ok(());
    }
    Err(NotEnoughMemory {
        what: what.to_string(),
        bytes_per_run,
        at_once,
        available,
        advice: advice.to_string(),
    })
}

/// [`check`] against the memory available now ([`available_bytes`]).
pub fn check_available(
    bytes_per_run: u128,
    at_once: usize,
    what: &str,
    advice: &str,
) -> Result<(), NotEnoughMemory> {
    check(bytes_per_run, at_once, available_bytes(), what, advice)
}

/// An upper bound on the memory one trial needs, in bytes: the network's
/// working memory, the optimizer's state (`P` at its largest over 4
/// downdates per epoch), the scratch, and the per-epoch error and outputs.
pub fn trial_bytes(spec: &TrialSpec) -> hinf::Result<u128> {
    let net = spec.net_spec()?;
    let nw = net.n_weights();
    let downdates = 4 * u128::from(spec.max_epochs);
    let elements = net.lanes_buffer_len() as u128
        + spec.variant.scratch_len(nw) as u128
        + optimizer_elements(spec.method, spec.covariance, &net, spec.memory(), downdates);
    let records = (u128::from(spec.max_epochs) + 1) * 8 * 5;
    Ok(elements * element_bytes(spec.precision) + records)
}

/// An upper bound on the memory a fit of `rows` rows with `n_inputs`
/// inputs and `n_outputs` outputs needs, in bytes; `None` for a shape the
/// core refuses (the fit then fails with that error).
pub fn fit_bytes(
    spec: &FitSpec,
    n_inputs: usize,
    n_outputs: usize,
    rows: usize,
    precision: Precision,
) -> Option<u128> {
    let net = ResNetSpec::new(n_inputs, spec.width, n_outputs, spec.layers, spec.slope).ok()?;
    let (nw, m) = (net.n_weights(), n_outputs as u128);
    // N_L rank-one downdates per row, every epoch.
    let downdates = u128::from(spec.max_epochs) * rows as u128 * m;
    let elements = net.buffer_len() as u128
        + m * nw as u128
        + optimizer_elements(spec.method, spec.covariance, &net, spec.memory(), downdates);
    Some(elements * element_bytes(precision) + (u128::from(spec.max_epochs) + 1) * 8)
}

/// What a message calls a run: "hinf at L = 1001 with an epoch cap of 100"
/// (`on`: the data set, if any).
pub fn describe(method: Method, layers: usize, on: Option<&str>, max_epochs: u32) -> String {
    let on = on.map(|d| format!(" on {d}")).unwrap_or_default();
    format!(
        "{}{on} at L = {layers} with an epoch cap of {max_epochs}",
        method.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_peak_counts_factors_then_the_expansion() {
        let net = ResNetSpec::xor(5).unwrap();
        let n = net.n_weights();
        let nn = n as u128;
        let switch = StructuredCovariance::<f64>::default_switch_at(n) as u128;
        let elements = |kind, downdates| covariance_elements(kind, &net, None, downdates);
        assert_eq!(
            elements(CovarianceKind::Structured, 10),
            10 * (nn + 1) + 2 * nn
        );
        let beyond = elements(CovarianceKind::Structured, switch + 1);
        assert_eq!(
            beyond,
            switch * (nn + 1) + 2 * nn + 2 * packed_len(n) as u128
        );
        assert_eq!(elements(CovarianceKind::Dense, 0), nn * nn);
        let optimizer = |method| optimizer_elements(method, CovarianceKind::Dense, &net, None, 5);
        assert_eq!(optimizer(Method::Sd), 0);
        assert_eq!(optimizer(Method::Adam), 3 * nn);
    }

    #[test]
    fn bounded_covariances_do_not_grow() {
        let net = ResNetSpec::xor(21).unwrap();
        for kind in [
            CovarianceKind::NeuronBlocks,
            CovarianceKind::LayerBlocks,
            CovarianceKind::InfoWindow,
            CovarianceKind::Window,
        ] {
            let small = covariance_elements(kind, &net, Some(4), 4);
            assert_eq!(small, covariance_elements(kind, &net, Some(4), 4_000_000));
        }
        // 1 671 numbers for the per-neuron blocks at L = 21 (docs/bounded.md).
        assert_eq!(
            covariance_elements(CovarianceKind::NeuronBlocks, &net, None, 0),
            1671
        );
        let window = |r| covariance_elements(CovarianceKind::InfoWindow, &net, Some(r), 0);
        assert!(window(8) > window(4));
        assert_eq!(
            covariance_elements(CovarianceKind::InfoWindow, &net, None, 0),
            window(DEFAULT_MEMORY)
        );
    }

    #[test]
    fn check_refuses_only_beyond_what_is_available() {
        assert!(check(10, 2, Some(20), "x", "").is_ok());
        assert!(check(10, 2, None, "x", "").is_ok());
        let e = check(
            3_000_000_000,
            2,
            Some(4_000_000_000),
            "adam at L = 9",
            "use less",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with(
                "not enough memory for adam at L = 9: 2 runs at once (3.0 GB each) need 6.0 GB"
            ),
            "{e}"
        );
        assert!(
            e.ends_with("more than the 4.0 GB available; use less"),
            "{e}"
        );
        let one = check(5_000_000_000, 1, Some(1), "x", "y")
            .unwrap_err()
            .to_string();
        assert!(one.contains("one run needs 5.0 GB"), "{one}");
        // This machine reports something (Linux).
        if cfg!(target_os = "linux") {
            assert!(available_bytes().is_some_and(|b| b > 0));
        }
    }
}
