//! Progress bars on stderr, shown only on a terminal and never in JSON mode.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress bars should be drawn: not `quiet` and stderr is a terminal.
pub fn enabled(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar of `len` steps labelled `msg`, hidden unless `show`.
pub fn bar(len: u64, msg: impl Into<String>, show: bool) -> ProgressBar {
    let target = if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>22} [{elapsed_precise}] {wide_bar} {pos}/{len} trials (eta {eta})",
    ) {
        pb.set_style(style);
    }
    pb.set_message(msg.into());
    pb
}
