//! The data a network learns from, and the error measures over it:
//! validated sample sets ([`Samples`]), the paper's XOR table ([`Xor`],
//! PAPER.md section 5) and residual statistics ([`ErrorStats`]).
//!
//! Below [`crate::network`], which evaluates a network on [`Samples`].

use crate::error::{Error, Result, check_finite, check_len};
use crate::real::Real;

/// A borrowed, validated set of samples: `len` inputs of width N1 and
/// targets of width N_L, row after row.
#[derive(Debug, Clone, Copy)]
pub struct Samples<'a, T> {
    inputs: &'a [T],
    targets: &'a [T],
    n_inputs: usize,
    n_outputs: usize,
}

impl<'a, T: Real> Samples<'a, T> {
    /// Checks that both slices hold the same number of rows, at least one,
    /// and are all finite.
    pub fn new(
        inputs: &'a [T],
        n_inputs: usize,
        targets: &'a [T],
        n_outputs: usize,
    ) -> Result<Self> {
        if n_inputs == 0 || n_outputs == 0 {
            return Err(Error::ZeroWidth);
        }
        if inputs.is_empty() {
            return Err(Error::EmptyData);
        }
        if !inputs.len().is_multiple_of(n_inputs) {
            return Err(Error::LengthMismatch {
                what: "inputs (not a whole number of rows)",
                expected: inputs.len() - inputs.len() % n_inputs,
                found: inputs.len(),
            });
        }
        let rows = inputs.len() / n_inputs;
        check_len("targets", rows * n_outputs, targets.len())?;
        check_finite("input", inputs)?;
        check_finite("target", targets)?;
        Ok(Self {
            inputs,
            targets,
            n_inputs,
            n_outputs,
        })
    }

    /// Number of samples.
    #[inline]
    pub fn len(&self) -> usize {
        self.inputs.len() / self.n_inputs
    }
    /// Never true (a `Samples` has at least one row).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Input width.
    #[inline]
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }
    /// Target width.
    #[inline]
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }
    /// Sample k: `(x, y)`, or `None` if k ≥ len.
    ///
    /// ```
    /// use hinf::{InputCoding, Xor};
    /// let xor = Xor::<f64>::new(InputCoding::Binary);
    /// let data = xor.samples();
    /// assert_eq!(data.get(1), Some((&[0.0, 1.0][..], &[1.0][..])));
    /// assert_eq!(data.get(4), None);
    /// assert_eq!(data.get(usize::MAX), None);
    /// assert_eq!(data.iter().len(), 4);
    /// ```
    #[inline]
    pub fn get(&self, k: usize) -> Option<(&'a [T], &'a [T])> {
        let x = self.inputs.get(k.checked_mul(self.n_inputs)?..)?;
        let y = self.targets.get(k.checked_mul(self.n_outputs)?..)?;
        Some((x.get(..self.n_inputs)?, y.get(..self.n_outputs)?))
    }

    /// The samples `(x, y)` in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a [T], &'a [T])> + use<'a, T> {
        let (inputs, targets) = (self.inputs, self.targets);
        // The widths are ≥ 1 (checked by `new`; 2 and 1 for `Xor`).
        inputs
            .chunks_exact(self.n_inputs.max(1))
            .zip(targets.chunks_exact(self.n_outputs.max(1)))
    }
}

/// The error measure compared with the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StopCriterion {
    /// Σ e² over all patterns and outputs.
    Sse,
    /// ½ Σ e².
    #[default]
    HalfSse,
    /// Σ e² / (patterns × outputs).
    Mse,
    /// max |e|.
    MaxAbs,
}

/// Running error statistics over a set of residuals.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ErrorStats {
    /// Σ e².
    pub sse: f64,
    /// max |e|.
    pub max_abs: f64,
    /// Number of residuals.
    pub count: usize,
}

impl ErrorStats {
    /// Adds one residual.
    #[inline]
    pub fn add(&mut self, e: f64) {
        self.sse += e * e;
        let a = if e < 0.0 { -e } else { e };
        // NaN poisons max_abs on purpose.
        if a > self.max_abs || a.is_nan() {
            self.max_abs = a;
        }
        self.count += 1;
    }

    /// The statistics of `errors`, one residual each.
    pub fn of<T: Real>(errors: &[T]) -> Self {
        let mut s = Self::default();
        errors.iter().for_each(|e| s.add(e.to_f64()));
        s
    }

    /// Adds the residuals of `other` (the same as adding them one by one,
    /// bit for bit, when `other` holds one).
    #[inline]
    pub fn merge(&mut self, other: &ErrorStats) {
        self.sse += other.sse;
        if other.max_abs > self.max_abs || other.max_abs.is_nan() {
            self.max_abs = other.max_abs;
        }
        self.count += other.count;
    }

    /// The measure `criterion` of these residuals.
    pub fn measure(&self, criterion: StopCriterion) -> f64 {
        match criterion {
            StopCriterion::Sse => self.sse,
            StopCriterion::HalfSse => 0.5 * self.sse,
            StopCriterion::Mse => self.sse / self.count.max(1) as f64,
            StopCriterion::MaxAbs => self.max_abs,
        }
    }
}

/// How XOR's two inputs are coded. The paper does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InputCoding {
    /// Inputs in {0, 1}.
    Binary,
    /// Inputs in {−1, +1}.
    #[default]
    Bipolar,
}

/// The XOR truth table (PAPER.md section 5): 4 patterns, 2 inputs, 1 output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Xor<T> {
    /// The four input pairs, row after row.
    pub inputs: [T; 8],
    /// The four targets.
    pub targets: [T; 4],
}

impl<T: Real> Xor<T> {
    /// XOR with the given input coding and targets {0, 1}.
    pub fn new(coding: InputCoding) -> Self {
        Self::with_targets(coding, 0.0, 1.0)
    }

    /// XOR with the given input coding and targets {`low`, `high`}.
    pub fn with_targets(coding: InputCoding, low: f64, high: f64) -> Self {
        let (a, b) = match coding {
            InputCoding::Binary => (0.0, 1.0),
            InputCoding::Bipolar => (-1.0, 1.0),
        };
        let f = T::from_f64;
        Self {
            inputs: [f(a), f(a), f(a), f(b), f(b), f(a), f(b), f(b)],
            targets: [f(low), f(high), f(high), f(low)],
        }
    }

    /// The table as [`Samples`].
    pub fn samples(&self) -> Samples<'_, T> {
        Samples {
            inputs: &self.inputs,
            targets: &self.targets,
            n_inputs: 2,
            n_outputs: 1,
        }
    }
}
