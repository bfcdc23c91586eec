//! The named choices of a trial: the learning rule, the scalar type, the
//! storage of `P`, and the core's settings the paper leaves unstated
//! (each convertible to and from the core's own enum).

use hinf::AdamMode as CoreAdamMode;
use hinf::GainOrder as CoreGainOrder;
use hinf::{ErrorTiming, InputCoding, SampleOrder, StopCriterion};

use super::choice::choices;

choices! {
    /// The learning rule.
    pub enum Method {
        Hinf = "hinf": "H∞-learning: the g-EHF with the full covariance `P` (Table 1).",
        Sd = "sd": "Steepest descent: the g-EHF with `P = ε0 I` fixed.",
        Adam = "adam": "Adam (Table 2).",
    }
}

impl Method {
    /// A human-readable name for reports.
    pub fn title(self) -> &'static str {
        match self {
            Method::Hinf => "H∞-learning (g-EHF)",
            Method::Sd => "steepest descent (P = ε0 I)",
            Method::Adam => "Adam",
        }
    }
}

choices! {
    /// The floating-point type trials run in.
    #[derive(Default)]
    pub enum Precision {
        #[default]
        F64 = "f64": "`f64`.",
        F32 = "f32": "`f32`.",
    }
}

choices! {
    /// How the g-EHF stores `P`.
    #[derive(Default)]
    pub enum CovarianceKind {
        #[default]
        Structured = "structured": "`ε0 I − Σ c_i u_i u_iᵀ` (`StructuredCovariance`), turning packed when that is cheaper. Exact; the default.",
        Info = "info": "Eq. (7) over every sample (`InformationCovariance`): the Jacobians by their per-neuron factors and their Gram system, turning packed when that is smaller. Exact.",
        Packed = "packed": "The packed lower triangle (`hinf::PackedCovariance`) from the start (N_w(N_w+1)/2 elements).",
        Dense = "dense": "The full matrix (`hinf::DenseCovariance`, N_w² elements): the reference.",
        NeuronBlocks = "neuron-blocks": "The l-EHF: `P` cut to one packed block per neuron, its threshold and incoming weights (`hinf::BlockCovariance`). Bounded memory.",
        LayerBlocks = "layer-blocks": "`P` cut to one packed block per weight matrix (`hinf::BlockCovariance`). Bounded memory.",
        InfoWindow = "info-window": "Eq. (7) over the Jacobians of the last R samples (`hinf::InfoWindow`, `--memory R`), each kept by its per-neuron factors. Bounded memory; exact while R ≥ the samples seen.",
        Window = "window": "The last R terms of the structured form, `ε0 I − Σ c_i u_i u_iᵀ` (`hinf::TermWindow`, `--memory R`). Bounded memory; exact while R ≥ the samples seen.",
    }
}

/// The samples a window covariance keeps when `--memory` is not given.
pub const DEFAULT_MEMORY: usize = 8;

impl CovarianceKind {
    /// Whether it keeps a window of the last R samples (`--memory R`).
    pub fn has_memory(self) -> bool {
        matches!(self, CovarianceKind::InfoWindow | CovarianceKind::Window)
    }
    /// R for this covariance given `--memory` (`given`, else
    /// [`DEFAULT_MEMORY`]); `None` if it keeps no window.
    pub fn memory(self, given: Option<usize>) -> Option<usize> {
        self.has_memory().then(|| given.unwrap_or(DEFAULT_MEMORY))
    }
    /// The regularizations its `P` takes (the core's own declaration for
    /// the windows; every other covariance takes all three).
    pub fn regularizable(self) -> hinf::Regularizable {
        match self {
            CovarianceKind::InfoWindow | CovarianceKind::Info => {
                hinf::InfoWindow::<f64, Vec<f64>>::REGULARIZABLE
            }
            CovarianceKind::Window => hinf::TermWindow::<f64, Vec<f64>>::REGULARIZABLE,
            _ => hinf::Regularizable::ALL,
        }
    }
    /// Whether its storage is fixed when it is built (bounded memory),
    /// rather than growing with the samples seen or N_w².
    pub fn is_bounded(self) -> bool {
        matches!(
            self,
            CovarianceKind::NeuronBlocks
                | CovarianceKind::LayerBlocks
                | CovarianceKind::InfoWindow
                | CovarianceKind::Window
        )
    }
}

/// `From` both ways between a host choice and the core enum it names.
macro_rules! same_as_core {
    ($host:ident, $core:ident, $($var:ident),+) => {
        impl From<$core> for $host {
            fn from(c: $core) -> Self {
                match c { $($core::$var => $host::$var),+ }
            }
        }
        impl From<$host> for $core {
            fn from(c: $host) -> Self {
                match c { $($host::$var => $core::$var),+ }
            }
        }
    };
}

choices! {
    /// The error measure of the stopping rule (core [`StopCriterion`]).
    pub enum Criterion {
        Sse = "sse": "Σ e².",
        HalfSse = "half-sse": "½ Σ e².",
        Mse = "mse": "Σ e² / (patterns × outputs).",
        MaxAbs = "max-abs": "max |e|.",
    }
}
same_as_core!(Criterion, StopCriterion, Sse, HalfSse, Mse, MaxAbs);

choices! {
    /// Sample order of an epoch (core [`SampleOrder`]).
    pub enum Order {
        Fixed = "fixed": "0, 1, 2, 3 every epoch.",
        Shuffled = "shuffled": "A fresh permutation every epoch.",
    }
}
same_as_core!(Order, SampleOrder, Fixed, Shuffled);

choices! {
    /// XOR input coding (core [`InputCoding`]).
    pub enum Inputs {
        Binary = "binary": "{0, 1}.",
        Bipolar = "bipolar": "{−1, +1}.",
    }
}
same_as_core!(Inputs, InputCoding, Binary, Bipolar);

choices! {
    /// Adam per sample or per epoch (core [`hinf::AdamMode`]).
    pub enum AdamMode {
        Sample = "sample": "One step per sample.",
        Batch = "batch": "One step per epoch on the summed gradient.",
    }
}
same_as_core!(AdamMode, CoreAdamMode, Sample, Batch);

choices! {
    /// Where the current Jacobian enters `P` (core [`hinf::GainOrder`]).
    pub enum GainOrder {
        Paper = "paper": "As printed: gain first, then the downdate.",
        CovarianceFirst = "covariance-first": "Downdate first, then the gain.",
    }
}
same_as_core!(GainOrder, CoreGainOrder, Paper, CovarianceFirst);

choices! {
    /// Which errors the stopping rule measures (core [`ErrorTiming`]).
    pub enum Timing {
        AfterEpoch = "after-epoch": "All patterns with the weights after the epoch.",
        DuringEpoch = "during-epoch": "The a-priori errors met during the epoch.",
    }
}
same_as_core!(Timing, ErrorTiming, AfterEpoch, DuringEpoch);
