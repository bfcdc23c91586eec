//! Ctrl-C (SIGINT): the first asks the run to stop — trials not started
//! are skipped, running ones end after their epoch — so that the command
//! can keep what it finished and say so (exit status 130); a second ends
//! the process at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Exit status of an interrupted run (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

static STOP: AtomicBool = AtomicBool::new(false);
static PRESSES: AtomicU32 = AtomicU32::new(0);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// The flag Ctrl-C sets, with the handler installed (once per process).
/// If it cannot be installed, Ctrl-C keeps its default (the process ends).
pub fn stop_flag() -> &'static AtomicBool {
    INSTALLED.get_or_init(|| ctrlc::set_handler(on_ctrl_c).is_ok());
    &STOP
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    STOP.load(Ordering::Relaxed)
}

fn on_ctrl_c() {
    if PRESSES.fetch_add(1, Ordering::Relaxed) > 0 {
        eprintln!("interrupted again: quitting now");
        std::process::exit(EXIT_INTERRUPTED);
    }
    STOP.store(true, Ordering::Relaxed);
    eprintln!("stopping: the running trials end after their epoch (Ctrl-C again quits now)");
}
