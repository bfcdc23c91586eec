//! Fig. 1: the monkey saddle f(x, y) = x³ − 3xy² (section 1), whose
//! gradient vanishes at the origin with three valleys and three ridges.

/// A function sampled on a square grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The first coordinate's values, ascending.
    pub xs: Vec<f64>,
    /// The second coordinate's values, ascending.
    pub ys: Vec<f64>,
    /// `values[j * xs.len() + i]` = f(xs[i], ys[j]).
    pub values: Vec<f64>,
}

impl Grid {
    /// `f` on `xs` × `ys`.
    pub fn sample(xs: Vec<f64>, ys: Vec<f64>, mut f: impl FnMut(f64, f64) -> f64) -> Self {
        let values = ys
            .iter()
            .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        Self { xs, ys, values }
    }

    /// The smallest and largest finite value.
    pub fn range(&self) -> (f64, f64) {
        let finite = self.values.iter().filter(|v| v.is_finite());
        finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
    }
}

/// `n` evenly spaced values from `lo` to `hi` (n ≥ 2).
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let n = n.max(2);
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

/// x³ − 3xy².
pub fn monkey(x: f64, y: f64) -> f64 {
    x * x * x - 3.0 * x * y * y
}

/// The monkey saddle on [−1, 1]², `n` points a side.
pub fn monkey_saddle(n: usize) -> Grid {
    let axis = linspace(-1.0, 1.0, n);
    Grid::sample(axis.clone(), axis, monkey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monkey_saddle_is_flat_at_the_origin_and_odd() {
        let g = monkey_saddle(5);
        assert_eq!(g.values.len(), 25);
        assert_eq!(g.values[12], 0.0); // the origin
        assert_eq!(monkey(0.5, 0.2), -monkey(-0.5, 0.2));
        // Zero along x = 0 and along y = ±x/√3.
        assert!(monkey(0.6, 0.6 / 3f64.sqrt()).abs() < 1e-15);
        assert_eq!(g.range(), (-2.0, 2.0));
    }
}
