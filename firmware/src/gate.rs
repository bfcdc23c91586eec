//! Screening of the stream: a bad sample (a source error such as an I²C
//! failure, a non-finite value, a value out of range) is rejected and
//! counted before it reaches the learner, which stays unchanged.
//!
//! [`Injecting`] wraps a source and slips a bad sample in every so often,
//! without consuming the wrapped stream: a run through it must end where
//! the clean run ends, bit for bit.

use crate::source::{Sample, SampleSource};

/// Why a sample was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum Reject {
    /// The source failed (e.g. an I²C error from the sensor).
    Source,
    /// An input or the target is NaN or infinite.
    NonFinite,
    /// An input or the target is outside its range.
    OutOfRange,
}

/// Rejected samples, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, defmt::Format)]
pub struct Rejects {
    /// Source errors.
    pub source: u32,
    /// Non-finite values.
    pub non_finite: u32,
    /// Values out of range.
    pub out_of_range: u32,
}

impl Rejects {
    /// All rejected samples.
    pub fn total(&self) -> u32 {
        self.source + self.non_finite + self.out_of_range
    }

    /// Counts one rejection.
    pub fn count(&mut self, why: Reject) {
        let n = match why {
            Reject::Source => &mut self.source,
            Reject::NonFinite => &mut self.non_finite,
            Reject::OutOfRange => &mut self.out_of_range,
        };
        *n = n.saturating_add(1);
    }
}

/// The ranges a sample must lie in: every input in `x`, the target in `y`
/// (both closed intervals).
#[derive(Clone, Copy, Debug, PartialEq, defmt::Format)]
pub struct Gate {
    /// Allowed inputs (lowest, highest).
    pub x: (f32, f32),
    /// Allowed targets (lowest, highest).
    pub y: (f32, f32),
}

impl Gate {
    /// Inputs coded in [−1, 1], targets in [0, 1] (the sigmoid output's
    /// range): the calibration's and XOR's coding.
    pub const UNIT: Self = Self {
        x: (-1.0, 1.0),
        y: (0.0, 1.0),
    };

    /// The sample if it passes, else why not.
    pub fn check<const N: usize>(&self, s: &Sample<N>) -> Result<Sample<N>, Reject> {
        let finite = s.x.iter().all(|v| v.is_finite()) && s.y.is_finite();
        if !finite {
            return Err(Reject::NonFinite);
        }
        let inside = |v: f32, (lo, hi): (f32, f32)| lo <= v && v <= hi;
        if !(s.x.iter().all(|&v| inside(v, self.x)) && inside(s.y, self.y)) {
            return Err(Reject::OutOfRange);
        }
        Ok(*s)
    }

    /// The next sample of `source` if it can be read and passes; the
    /// reason is counted in `rejects` otherwise.
    pub fn admit<const N: usize, S: SampleSource<N>>(
        &self,
        source: &mut S,
        rejects: &mut Rejects,
    ) -> Option<Sample<N>> {
        let checked = source
            .next_sample()
            .map_err(|_| Reject::Source)
            .and_then(|s| self.check(&s));
        checked.map_err(|why| rejects.count(why)).ok()
    }
}

/// What [`Injecting`] slips in, in turn.
const BAD: [Reject; 3] = [Reject::NonFinite, Reject::OutOfRange, Reject::Source];

/// A source that, every `every`-th read, returns a bad sample (in turn a
/// NaN input, a target of 2, a source error) instead of reading `inner`;
/// the other reads come from `inner`, in its order.
#[derive(Clone, Debug)]
pub struct Injecting<S> {
    inner: S,
    every: u32,
    reads: u32,
    injected: u32,
}

impl<S> Injecting<S> {
    /// Wraps `inner`, a bad sample every `every` reads (0: never).
    pub const fn new(inner: S, every: u32) -> Self {
        Self {
            inner,
            every,
            reads: 0,
            injected: 0,
        }
    }

    /// Bad samples returned so far.
    pub fn injected(&self) -> u32 {
        self.injected
    }
}

impl<const N: usize, S: SampleSource<N>> SampleSource<N> for Injecting<S> {
    /// `None` for an injected source error, else the wrapped source's.
    type Error = Option<S::Error>;

    fn next_sample(&mut self) -> Result<Sample<N>, Self::Error> {
        self.reads = self.reads.wrapping_add(1);
        if self.every == 0 || !self.reads.is_multiple_of(self.every) {
            return self.inner.next_sample().map_err(Some);
        }
        let kind = BAD[self.injected as usize % BAD.len()];
        self.injected += 1;
        match kind {
            Reject::NonFinite => Ok(Sample {
                x: [f32::NAN; N],
                y: 0.5,
            }),
            Reject::OutOfRange => Ok(Sample {
                x: [0.0; N],
                y: 2.0,
            }),
            Reject::Source => Err(None),
        }
    }
}
