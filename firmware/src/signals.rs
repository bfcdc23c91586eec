//! The simulated signals, pure arithmetic shared with the host's
//! reference generator (`refgen`, which includes this file): the NTC
//! thermistor, a small PRNG and the calibration stream built on them.

/// The calibration task: an NTC thermistor in a voltage divider read by an
/// ADC, to be mapped to temperature.
///
/// Thermistor R(T) = R25 · exp(B (1/T − 1/T25)), R25 = 10 kΩ, B = 3950 K,
/// in series with a 10 kΩ resistor from the supply; the ADC reads the ratio
/// v = R/(R + 10 kΩ) ∈ (0, 1). The temperature range 0…100 °C is the range
/// the net must learn. Network coding: input u = 2v − 1, target
/// y = 0.1 + 0.8 (T − 0 °C)/100 °C ∈ [0.1, 0.9].
pub mod ntc {
    /// Beta constant of the thermistor, K.
    pub const BETA: f32 = 3950.0;
    /// Reference temperature T25, K.
    pub const T25: f32 = 298.15;
    /// Lowest temperature of the calibrated range, °C.
    pub const T_MIN: f32 = 0.0;
    /// Highest temperature of the calibrated range, °C.
    pub const T_MAX: f32 = 100.0;

    /// The divider ratio v read at temperature `t_c` (°C), with
    /// R_series = R25.
    pub fn ratio_at(t_c: f32) -> f32 {
        let t = t_c + 273.15;
        let r = libm::expf(BETA * (1.0 / t - 1.0 / T25)); // R / R25
        r / (r + 1.0)
    }

    /// The true temperature (°C) for a divider ratio v ∈ (0, 1).
    pub fn temperature_at(v: f32) -> f32 {
        let r = v / (1.0 - v); // R / R25
        1.0 / (1.0 / T25 + libm::logf(r) / BETA) - 273.15
    }

    /// Network input for a divider ratio: u = 2v − 1.
    pub fn input(v: f32) -> f32 {
        2.0 * v - 1.0
    }

    /// Network target for a temperature: 0.1 + 0.8 (T − T_MIN)/(T_MAX − T_MIN).
    pub fn target(t_c: f32) -> f32 {
        0.1 + 0.8 * (t_c - T_MIN) / (T_MAX - T_MIN)
    }

    /// Temperature (°C) for a network output (the inverse of [`target`]).
    pub fn temperature_of(y: f32) -> f32 {
        T_MIN + (y - 0.1) / 0.8 * (T_MAX - T_MIN)
    }
}

/// A small deterministic PRNG (xorshift32), enough for test signals.
#[derive(Clone, Debug)]
pub struct XorShift32(u32);

impl XorShift32 {
    /// A generator from a seed (0 is replaced by a fixed non-zero seed).
    pub const fn new(seed: u32) -> Self {
        Self(if seed == 0 { 0x9E37_79B9 } else { seed })
    }
    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
    }
    /// Approximately normal, mean 0, standard deviation 1 (Irwin–Hall with
    /// 12 uniforms).
    pub fn normal(&mut self) -> f32 {
        (0..12).map(|_| self.uniform()).sum::<f32>() - 6.0
    }
}

/// The calibration stream a device would see, simulated: the temperature
/// wanders over 0…100 °C (uniform draws), the ADC ratio is read with
/// Gaussian noise of `adc_noise` (fraction of full scale) and the reference
/// thermometer with noise `ref_noise_c` (°C).
#[derive(Clone, Debug)]
pub struct CalibrationStream {
    rng: XorShift32,
    adc_noise: f32,
    ref_noise_c: f32,
}

impl CalibrationStream {
    /// A stream with the given seed and noise levels.
    pub const fn new(seed: u32, adc_noise: f32, ref_noise_c: f32) -> Self {
        Self {
            rng: XorShift32::new(seed),
            adc_noise,
            ref_noise_c,
        }
    }
}

impl CalibrationStream {
    /// The next (input, target) pair: a temperature drawn over the range,
    /// its divider ratio read with ADC noise, the reference with its own.
    pub fn next_pair(&mut self) -> (f32, f32) {
        let t = ntc::T_MIN + (ntc::T_MAX - ntc::T_MIN) * self.rng.uniform();
        let v = ntc::ratio_at(t) + self.adc_noise * self.rng.normal();
        let t_ref = t + self.ref_noise_c * self.rng.normal();
        (ntc::input(v), ntc::target(t_ref))
    }
}
