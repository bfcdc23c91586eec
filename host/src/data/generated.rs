//! The generated data sets shipped in `data/`: two spirals, N-bit
//! parity, a noisy 1-D regression.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The two-spirals benchmark (Lang & Witbrock, 1988): 2 × 97 points,
/// `r = 6.5 (104 − i)/104`, angle `i π/16`, i = 0..96; class `a` at
/// (x, y), class `b` at (−x, −y). No randomness.
pub fn two_spirals() -> String {
    let mut s = String::from("x,y,spiral\n");
    for i in 0..97 {
        let angle = i as f64 * std::f64::consts::PI / 16.0;
        let r = 6.5 * (104 - i) as f64 / 104.0;
        let (x, y) = (r * angle.sin(), r * angle.cos());
        s += &format!("{x:.6},{y:.6},a\n{:.6},{:.6},b\n", 0.0 - x, 0.0 - y);
    }
    s
}

/// N-bit parity: all 2ᴺ patterns of N bits (inputs 0/1) and the class
/// `odd` or `even`.
pub fn parity(bits: usize) -> String {
    let mut s = (1..=bits)
        .map(|b| format!("b{b}"))
        .collect::<Vec<_>>()
        .join(",")
        + ",parity\n";
    for p in 0..1u32 << bits {
        for b in (0..bits).rev() {
            s += if p >> b & 1 == 1 { "1," } else { "0," };
        }
        s += if p.count_ones() % 2 == 1 {
            "odd\n"
        } else {
            "even\n"
        };
    }
    s
}

/// A noisy 1-D regression: `n` points, x uniform in [−1, 1],
/// `y = sin(π x) + 0.1 ε`, ε standard normal (Box–Muller), from `seed`.
pub fn noisy_sine(n: usize, seed: u64) -> String {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut u = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let mut s = String::from("x,y\n");
    for _ in 0..n {
        let x = 2.0 * u() - 1.0;
        let (u1, u2) = (u().max(1e-300), u());
        let eps = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let y = (std::f64::consts::PI * x).sin() + 0.1 * eps;
        s += &format!("{x:.6},{y:.6}\n");
    }
    s
}

/// The generated files shipped in `data/`: (file name, contents).
pub fn generated() -> Vec<(&'static str, String)> {
    vec![
        ("spirals.csv", two_spirals()),
        ("parity4.csv", parity(4)),
        ("sine.csv", noisy_sine(200, 2024)),
    ]
}
