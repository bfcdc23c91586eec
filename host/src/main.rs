//! The `hinf` command: see [`host::cli`].

fn main() {
    std::process::exit(host::cli::run(std::env::args_os()));
}
