//! Worker threads: how many runs go at once, and a pool of a chosen size.

/// How many of `runs` go at once on `threads` (the default: one per core).
pub fn at_once(threads: Option<usize>, runs: usize) -> usize {
    threads
        .unwrap_or_else(rayon::current_num_threads)
        .min(runs)
        .max(1)
}

/// Runs `f` on a pool of `threads` workers (the global pool if `None`).
pub fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, String> {
    match threads {
        None => Ok(f()),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(|pool| pool.install(f))
            .map_err(|e| format!("cannot start {n} threads: {e}")),
    }
}
