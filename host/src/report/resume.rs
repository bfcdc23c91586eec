//! An earlier run's files in a `hinf reproduce --out` folder: the
//! experiments `--resume` keeps ([`finished`]), and removing the rest
//! ([`clear_earlier`]) so that the folder never holds files its report
//! does not describe.

use std::fs;
use std::path::Path;

use super::files::{TRIALS_HEADER, is_stem, stem_of};
use super::io::{IoError, move_aside};
use crate::data::Table;
use crate::learn::FailureClass;
use crate::run::{ExperimentResult, Summary, TrialResult};
use crate::settings::ExperimentSpec;

/// The run-wide files of a reproduction.
const RUN_FILES: [&str; 3] = ["report.md", "summary.json", "trials.csv"];

/// The experiment `spec` as an earlier run left it in `out`, if its
/// `<stem>.json` has the same settings, trial count and seed, its
/// `<stem>_trials.csv` every trial and `figures/<stem>.svg` is there.
/// (The trials come back without their curves, which only the figure has.)
pub fn finished(out: &Path, spec: &ExperimentSpec) -> Option<ExperimentResult> {
    let stem = stem_of(&spec.trial);
    let text = fs::read_to_string(out.join(format!("{stem}.json"))).ok()?;
    let summary: Summary = serde_json::from_str(&text).ok()?;
    let same = summary.settings == spec.trial
        && summary.trials == spec.trials
        && summary.seed == spec.seed;
    if !same || !out.join("figures").join(format!("{stem}.svg")).is_file() {
        return None;
    }
    let csv = out.join(format!("{stem}_trials.csv"));
    let table = Table::parse(&fs::read_to_string(&csv).ok()?, "").ok()?;
    if table.header.join(",") != TRIALS_HEADER || table.rows.len() != spec.trials {
        return None;
    }
    let trials = table
        .rows
        .iter()
        .map(|(_, cells)| trial_row(cells))
        .collect::<Option<Vec<_>>>()?;
    let in_order = trials.iter().enumerate().all(|(i, t)| t.trial == i);
    in_order.then_some(ExperimentResult {
        spec: *spec,
        trials,
        summary,
    })
}

/// A trial from a row of [`TRIALS_HEADER`]'s columns.
fn trial_row(c: &[String]) -> Option<TrialResult> {
    let opt_u32 = |s: &str| -> Option<Option<u32>> {
        if s.is_empty() {
            Some(None)
        } else {
            s.parse().ok().map(Some)
        }
    };
    let class = match c[9].as_str() {
        "" => None,
        name => Some(*FailureClass::ALL.iter().find(|k| k.name() == name)?),
    };
    Some(TrialResult {
        trial: c[3].parse().ok()?,
        seed: c[4].parse().ok()?,
        epochs: c[5].parse().ok()?,
        converged: c[6].parse().ok()?,
        final_error: c[7].parse().ok()?,
        curve: Vec::new(),
        seconds: c[8].parse().ok()?,
        failure: (!c[11].is_empty()).then(|| c[11].clone()),
        class,
        class_epoch: opt_u32(&c[10])?,
        final_outputs: Vec::new(),
        jacobian_norm: 0.0,
        fixed_point_epoch: opt_u32(&c[12])?,
    })
}

/// Moves the files of an earlier reproduction out of the way, into
/// `out/previous/` (replacing what an even earlier run left there), so
/// that `out` holds only what the new run writes and nothing is lost:
/// `report.md`, `summary.json`, `trials.csv`, and the files of every
/// experiment whose stem is not in `keep`. Returns how many it moved.
pub fn clear_earlier(out: &Path, keep: &[String]) -> Result<usize, IoError> {
    let mut removed = 0;
    for name in RUN_FILES {
        removed += move_aside(out, &out.join(name))?;
    }
    for (dir, suffixes) in [
        (out.to_path_buf(), &[".json", "_trials.csv"][..]),
        (out.join("figures"), &[".svg"][..]),
    ] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = suffixes.iter().find_map(|s| name.strip_suffix(s));
            if stem.is_some_and(|s| is_stem(s) && !keep.iter().any(|k| k == s)) {
                removed += move_aside(out, &e.path())?;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::super::io::PREVIOUS;
    use super::*;

    #[test]
    fn only_experiment_stems_are_cleared() {
        let d = std::env::temp_dir().join(format!("hinf-clear-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("figures")).unwrap();
        for f in [
            "report.md",
            "hinf_L5.json",
            "hinf_L5_trials.csv",
            "hinf_tr_L21.json",
            "adam_L5.json",
            "notes.json",
            "hinf_Lx.json",
            "figures/hinf_L5.svg",
            "figures/mine.svg",
        ] {
            fs::write(d.join(f), "").unwrap();
        }
        assert_eq!(clear_earlier(&d, &["adam_L5".into()]).unwrap(), 5);
        let names = |dir: &Path| -> Vec<String> {
            let mut v: Vec<String> = fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let kept = [
            "adam_L5.json",
            "figures",
            "hinf_Lx.json",
            "notes.json",
            "previous",
        ];
        assert_eq!(names(&d), kept);
        assert_eq!(names(&d.join("figures")), ["mine.svg"]);
        // Nothing is lost: the earlier run's files are in previous/.
        let moved = [
            "figures",
            "hinf_L5.json",
            "hinf_L5_trials.csv",
            "hinf_tr_L21.json",
            "report.md",
        ];
        assert_eq!(names(&d.join(PREVIOUS)), moved);
        assert_eq!(names(&d.join(PREVIOUS).join("figures")), ["hinf_L5.svg"]);
        let _ = fs::remove_dir_all(&d);
    }
}
