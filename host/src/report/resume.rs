//! An earlier run's files in a `hinf reproduce --out` folder: the
//! experiments `--resume` keeps ([`finished`]), and removing the rest
//! ([`clear_earlier`]) so that the folder never holds files its report
//! does not describe.

use std::fs;
use std::path::Path;

use super::files::{TRIALS_HEADER, is_stem, stem_of};
use super::io::{IoError, io_err};
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

/// Removes from `out` the files of an earlier reproduction: `report.md`,
/// `summary.json`, `trials.csv`, and the files of every experiment whose
/// stem is not in `keep`. Returns how many it removed.
pub fn clear_earlier(out: &Path, keep: &[String]) -> Result<usize, IoError> {
    let mut removed = 0;
    for name in RUN_FILES {
        removed += remove(&out.join(name))?;
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
                removed += remove(&e.path())?;
            }
        }
    }
    Ok(removed)
}

fn remove(path: &Path) -> Result<usize, IoError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(1),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io_err(path, format!("cannot remove it: {e}"))),
    }
}

#[cfg(test)]
mod tests {
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
        let mut left: Vec<String> = fs::read_dir(&d)
            .unwrap()
            .chain(fs::read_dir(d.join("figures")).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "adam_L5.json",
                "figures",
                "hinf_Lx.json",
                "mine.svg",
                "notes.json"
            ]
        );
        let _ = fs::remove_dir_all(&d);
    }
}
