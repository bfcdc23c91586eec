//! Splitting a run over machines: shard K of N runs only its share of the
//! (experiment, trial) grid.
//!
//! The grid is flattened in run order — experiment after experiment, the
//! trials of each by index — and cell g (0-based) belongs to shard
//! `(g mod N) + 1`: round robin, so every shard gets ⌊G/N⌋ or ⌈G/N⌉ of the
//! G cells, whatever the experiments' sizes. A trial keeps its seed
//! ([`crate::trial_seed`]`(seed, i)` of its index i in its experiment), so
//! it gives the same result in whichever shard it runs.

use serde::{Deserialize, Serialize};

/// Shard `k` of `n` (1 ≤ k ≤ n), as `--shard K/N` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 1-based.
    pub k: usize,
    /// How many shards there are.
    pub n: usize,
}

impl Shard {
    /// The whole grid, one shard.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// Parses `K/N` (1 ≤ K ≤ N); the error says what is allowed.
    pub fn parse(s: &str) -> Result<Self, String> {
        let allowed = "give K/N with 1 ≤ K ≤ N, e.g. 2/3";
        let (k, n) = s.split_once('/').ok_or(allowed)?;
        let (Ok(k), Ok(n)) = (k.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            return Err(allowed.into());
        };
        if k == 0 || n == 0 || k > n {
            return Err(allowed.into());
        }
        Ok(Self { k, n })
    }

    /// Whether cell `g` of the flattened grid is this shard's.
    pub fn owns(self, g: usize) -> bool {
        g % self.n == self.k - 1
    }

    /// This shard's indices among `count` cells that start at cell
    /// `offset` of the flattened grid (the trials of one experiment).
    pub fn indices(self, offset: usize, count: usize) -> Vec<usize> {
        (0..count).filter(|&i| self.owns(offset + i)).collect()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_refuses_the_rest() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { k: 2, n: 3 }));
        assert_eq!(Shard::parse("1/1"), Ok(Shard::ALL));
        for bad in ["0/3", "4/3", "3", "a/3", "1/0", "", "1/3/4", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_the_grid_once_and_balanced() {
        let sizes = [3usize, 5, 1, 7];
        let n = 3;
        let mut seen = vec![0usize; sizes.iter().sum()];
        let mut per_shard = vec![0usize; n];
        for k in 1..=n {
            let s = Shard { k, n };
            let mut offset = 0;
            for &count in &sizes {
                for i in s.indices(offset, count) {
                    seen[offset + i] += 1;
                    per_shard[k - 1] += 1;
                }
                offset += count;
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
        assert_eq!(per_shard, [6, 5, 5]);
    }
}
