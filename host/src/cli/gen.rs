//! `hinf gen`: write the generated data sets (two spirals, 4-bit parity,
//! noisy sine).

use std::path::PathBuf;

use clap::Args;

use super::output::{Failure, print_out};
use crate::data::generated;
use crate::report;

/// `hinf gen`.
#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// Directory to write spirals.csv, parity4.csv and sine.csv into.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub out: PathBuf,
}

/// `hinf gen`.
pub fn run(a: &GenArgs) -> Result<(), Failure> {
    report::create_dir(&a.out)?;
    for (name, text) in generated() {
        let p = a.out.join(name);
        report::write_text(&p, &text)?;
        print_out(&format!("wrote {}\n", p.display()));
    }
    Ok(())
}
