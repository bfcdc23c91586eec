//! Experiments: many trials of one [`TrialSpec`] in parallel (rayon), each
//! seeded from the base seed and its index alone, and their [`Summary`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use hinf::model::Model;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::memory::covariance_bytes;
use super::seed::trial_seed;
use super::trial::{TrialResult, run_trial_watched};
use crate::learn::{EpochHook, FailureClass};
use crate::settings::{ExperimentSpec, Method, TrialSpec};

/// The trials of an experiment, its summary and wall time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResult {
    /// What was run.
    pub spec: ExperimentSpec,
    /// Every trial, in index order.
    pub trials: Vec<TrialResult>,
    /// Statistics over the trials.
    pub summary: Summary,
}

/// Runs every trial of `spec` in parallel on the current rayon pool.
/// `on_trial` is called (from worker threads) as each trial finishes.
pub fn run_experiment(
    spec: &ExperimentSpec,
    on_trial: &(dyn Fn(&TrialResult) + Sync),
) -> hinf::Result<ExperimentResult> {
    run_experiment_from(spec, None, on_trial)
}

/// [`run_experiment`], every trial starting from the saved learner `from`
/// (if any; see [`super::trial::run_trial_from`]).
pub fn run_experiment_from(
    spec: &ExperimentSpec,
    from: Option<&Model<'_>>,
    on_trial: &(dyn Fn(&TrialResult) + Sync),
) -> hinf::Result<ExperimentResult> {
    struct OnTrial<'a>(&'a (dyn Fn(&TrialResult) + Sync));
    impl Observer for OnTrial<'_> {
        fn trial_done(&self, r: &TrialResult) {
            (self.0)(r)
        }
    }
    let r = run_watched(spec, from, &OnTrial(on_trial), None)?;
    Ok(r.unwrap_or_else(|| unreachable!("stopped without a stop flag")))
}

/// What a running experiment tells (from worker threads).
pub trait Observer: Sync {
    /// Trial `r` finished.
    fn trial_done(&self, r: &TrialResult) {
        let _ = r;
    }
    /// Whether [`Observer::epoch`] is wanted (it costs a call per epoch).
    fn wants_epochs(&self) -> bool {
        false
    }
    /// Trial `trial` has run `epoch` epochs.
    fn epoch(&self, trial: usize, epoch: u32) {
        let _ = (trial, epoch);
    }
}

/// [`run_experiment_from`], telling `observer`; once `stop` is set, trials
/// not started are skipped, running ones stop after their epoch, and the
/// experiment gives `None` (unless every trial had finished).
pub fn run_watched(
    spec: &ExperimentSpec,
    from: Option<&Model<'_>>,
    observer: &dyn Observer,
    stop: Option<&AtomicBool>,
) -> hinf::Result<Option<ExperimentResult>> {
    let start = Instant::now();
    let all: Vec<usize> = (0..spec.trials).collect();
    let Some(trials) = run_trials(spec, &all, from, observer, stop)? else {
        return Ok(None);
    };
    let seconds = start.elapsed().as_secs_f64();
    let summary = Summary::new(spec, &trials, seconds)?;
    Ok(Some(ExperimentResult {
        spec: *spec,
        trials,
        summary,
    }))
}

/// The trials `indices` of `spec` (a shard's share, or all), run in
/// parallel as [`run_watched`] runs them, in the order of `indices`;
/// `None` if `stop` was set before they all finished.
pub fn run_trials(
    spec: &ExperimentSpec,
    indices: &[usize],
    from: Option<&Model<'_>>,
    observer: &dyn Observer,
    stop: Option<&AtomicBool>,
) -> hinf::Result<Option<Vec<TrialResult>>> {
    spec.trial.validate()?;
    let stopped = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
    let wants = observer.wants_epochs();
    let watch = wants || stop.is_some();
    let trials = indices
        .par_iter()
        .map(|&i| {
            if stopped() {
                return Ok(None);
            }
            let hook = |epoch| {
                if wants {
                    observer.epoch(i, epoch);
                }
                !stopped()
            };
            let hook: Option<EpochHook<'_>> = if watch { Some(&hook) } else { None };
            let r = run_trial_watched(&spec.trial, trial_seed(spec.seed, i), i, from, hook)?;
            // (A trial that saw the stop may have been cut short.)
            if stopped() {
                return Ok(None);
            }
            observer.trial_done(&r);
            Ok(Some(r))
        })
        .collect::<hinf::Result<Vec<Option<TrialResult>>>>()?;
    Ok(trials.into_iter().collect::<Option<Vec<_>>>())
}

/// Statistics of an experiment. Epoch statistics are over the converged
/// trials only (`None` if there are none; `std_epochs` needs two).
///
/// Its JSON reads files written before `not_converged` and `diverged`
/// (which was then named `failed`) too ([`upgrade`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Summary {
    /// The learning rule.
    pub method: Method,
    /// L.
    pub layers: usize,
    /// N_w.
    pub n_weights: usize,
    /// Trials run.
    pub trials: usize,
    /// Trials whose stopping rule held.
    pub converged: usize,
    /// Trials whose stopping rule did not hold (`trials − converged`).
    pub not_converged: usize,
    /// Of those, the trials that diverged: a rejected, non-finite update
    /// ended them (or a non-finite error): failure class `diverged`.
    pub diverged: usize,
    /// Mean epochs to stop.
    pub mean_epochs: Option<f64>,
    /// Sample standard deviation (n − 1) of the epochs to stop.
    pub std_epochs: Option<f64>,
    /// Median epochs to stop.
    pub median_epochs: Option<f64>,
    /// Fewest epochs to stop.
    pub min_epochs: Option<u32>,
    /// Most epochs to stop.
    pub max_epochs: Option<u32>,
    /// Wall time of the whole experiment.
    pub seconds: f64,
    /// Mean wall time of one trial (single-threaded).
    pub mean_trial_seconds: f64,
    /// Base seed.
    pub seed: u64,
    /// Bytes of one trial's `P` (H∞; 0 otherwise): exact for the bounded
    /// covariances, at the epoch cap (an upper bound) for the structured.
    #[serde(default)]
    pub p_bytes: u64,
    /// Every setting used.
    pub settings: TrialSpec,
}

impl Summary {
    /// Summarises `trials` of `spec`, which took `seconds` in all.
    pub fn new(spec: &ExperimentSpec, trials: &[TrialResult], seconds: f64) -> hinf::Result<Self> {
        let epochs: Vec<u32> = trials
            .iter()
            .filter(|t| t.converged)
            .map(|t| t.epochs)
            .collect();
        let stats = EpochStats::of(&epochs);
        Ok(Self {
            method: spec.trial.method,
            layers: spec.trial.layers,
            n_weights: spec.trial.net_spec()?.n_weights(),
            trials: trials.len(),
            converged: epochs.len(),
            not_converged: trials.len() - epochs.len(),
            diverged: trials
                .iter()
                .filter(|t| t.class == Some(FailureClass::Diverged))
                .count(),
            mean_epochs: stats.mean,
            std_epochs: stats.std,
            median_epochs: stats.median,
            min_epochs: stats.min,
            max_epochs: stats.max,
            seconds,
            mean_trial_seconds: if trials.is_empty() {
                0.0
            } else {
                trials.iter().map(|t| t.seconds).sum::<f64>() / trials.len() as f64
            },
            seed: spec.seed,
            p_bytes: u64::try_from(covariance_bytes(&spec.trial)?).unwrap_or(u64::MAX),
            settings: spec.trial,
        })
    }
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Summary::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Summary {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = serde_json::Value::deserialize(d)?;
        upgrade(&mut v);
        Summary::deserialize(v).map_err(serde::de::Error::custom)
    }
}

/// Fills in the counts a [`Summary`] written before them lacks:
/// `not_converged` (`trials − converged`) and `diverged` (then `failed`).
fn upgrade(v: &mut serde_json::Value) {
    let Some(m) = v.as_object_mut() else {
        return;
    };
    let count = |m: &serde_json::Map<_, _>, k: &str| m.get(k).and_then(|x| x.as_u64());
    if !m.contains_key("not_converged")
        && let (Some(t), Some(c)) = (count(m, "trials"), count(m, "converged"))
    {
        m.insert("not_converged".into(), t.saturating_sub(c).into());
    }
    if !m.contains_key("diverged")
        && let Some(f) = m.remove("failed")
    {
        m.insert("diverged".into(), f);
    }
}

/// Mean, sample std, median, min and max of a list of epoch counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EpochStats {
    /// Mean (`None` if empty).
    pub mean: Option<f64>,
    /// Sample standard deviation (`None` below two values).
    pub std: Option<f64>,
    /// Median (`None` if empty).
    pub median: Option<f64>,
    /// Minimum.
    pub min: Option<u32>,
    /// Maximum.
    pub max: Option<u32>,
}

impl EpochStats {
    /// The statistics of `epochs`.
    pub fn of(epochs: &[u32]) -> Self {
        if epochs.is_empty() {
            return Self::default();
        }
        let n = epochs.len() as f64;
        let mean = epochs.iter().map(|&e| f64::from(e)).sum::<f64>() / n;
        let std = (epochs.len() > 1).then(|| {
            let ss: f64 = epochs.iter().map(|&e| (f64::from(e) - mean).powi(2)).sum();
            (ss / (n - 1.0)).sqrt()
        });
        let mut sorted = epochs.to_vec();
        sorted.sort_unstable();
        let m = sorted.len();
        let median = if m % 2 == 1 {
            f64::from(sorted[m / 2])
        } else {
            0.5 * (f64::from(sorted[m / 2 - 1]) + f64::from(sorted[m / 2]))
        };
        Self {
            mean: Some(mean),
            std,
            median: Some(median),
            min: sorted.first().copied(),
            max: sorted.last().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_by_hand() {
        let s = EpochStats::of(&[1, 2, 3, 4]);
        assert_eq!(s.mean, Some(2.5));
        assert_eq!(s.median, Some(2.5));
        assert!((s.std.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!((s.min, s.max), (Some(1), Some(4)));
        let one = EpochStats::of(&[7]);
        assert_eq!(
            (one.mean, one.std, one.median),
            (Some(7.0), None, Some(7.0))
        );
        assert_eq!(EpochStats::of(&[]), EpochStats::default());
    }

    #[test]
    fn an_old_summary_reads_with_its_counts() {
        let spec = ExperimentSpec {
            trial: TrialSpec::default(),
            trials: 3,
            seed: 1,
        };
        let mut new = Summary::new(&spec, &[], 1.0).unwrap();
        (new.trials, new.converged, new.not_converged, new.diverged) = (3, 1, 2, 1);
        let mut v = serde_json::to_value(&new).unwrap();
        let m = v.as_object_mut().unwrap();
        m.remove("not_converged");
        let d = m.remove("diverged").unwrap();
        m.insert("failed".into(), d);
        let old: Summary = serde_json::from_value(v).unwrap();
        assert_eq!(old, new);
    }
}
