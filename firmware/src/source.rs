//! Where the samples come from.
//!
//! [`SampleSource`] is what the learner consumes: one (input, target) pair
//! at a time. Under QEMU the sources are deterministic generators
//! ([`XorStream`], [`CalibrationStream`]); on a board,
//! [`I2cCalibrationSource`] reads a real sensor pair over any
//! `embedded-hal` 1.0 [`I2c`] bus.

use embedded_hal::i2c::I2c;

/// One training sample: `N` inputs and one target.
#[derive(Clone, Copy, Debug, PartialEq, defmt::Format)]
pub struct Sample<const N: usize> {
    /// The network input.
    pub x: [f32; N],
    /// The desired output, in (0, 1) (the output unit is a sigmoid).
    pub y: f32,
}

/// A stream of samples with `N` inputs.
pub trait SampleSource<const N: usize> {
    /// What can go wrong while reading a sample (a bus error, say).
    type Error: core::fmt::Debug;
    /// The next sample, when it is available.
    fn next_sample(&mut self) -> Result<Sample<N>, Self::Error>;
}

/// XOR's four patterns with inputs coded ±1 and targets 0/1, in the order
/// a stream presents them (one epoch = one pass).
pub const XOR_PATTERNS: [Sample<2>; 4] = [
    Sample {
        x: [-1.0, -1.0],
        y: 0.0,
    },
    Sample {
        x: [-1.0, 1.0],
        y: 1.0,
    },
    Sample {
        x: [1.0, -1.0],
        y: 1.0,
    },
    Sample {
        x: [1.0, 1.0],
        y: 0.0,
    },
];

/// XOR as an endless stream: the four patterns over and over, in order.
#[derive(Clone, Debug, Default)]
pub struct XorStream {
    next: usize,
}

impl XorStream {
    /// A stream starting at the first pattern.
    pub const fn new() -> Self {
        Self { next: 0 }
    }
}

impl SampleSource<2> for XorStream {
    type Error = core::convert::Infallible;
    fn next_sample(&mut self) -> Result<Sample<2>, Self::Error> {
        let s = XOR_PATTERNS[self.next % XOR_PATTERNS.len()];
        self.next = (self.next + 1) % XOR_PATTERNS.len();
        Ok(s)
    }
}

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

impl SampleSource<1> for CalibrationStream {
    type Error = core::convert::Infallible;
    fn next_sample(&mut self) -> Result<Sample<1>, Self::Error> {
        let t = ntc::T_MIN + (ntc::T_MAX - ntc::T_MIN) * self.rng.uniform();
        let v = ntc::ratio_at(t) + self.adc_noise * self.rng.normal();
        let t_ref = t + self.ref_noise_c * self.rng.normal();
        Ok(Sample {
            x: [ntc::input(v)],
            y: ntc::target(t_ref),
        })
    }
}

/// The same calibration task on real hardware: the thermistor divider read
/// by an ADS1115 ADC (AIN0, continuous conversion) and a TMP117 digital
/// thermometer glued to the thermistor as the reference, both on one I²C
/// bus. Works with any `embedded-hal` 1.0 [`I2c`] implementation (a HAL's
/// I²C peripheral driver on a board, a mock in the on-target tests).
#[derive(Debug)]
pub struct I2cCalibrationSource<I> {
    i2c: I,
    adc_addr: u8,
    thermometer_addr: u8,
    /// ADC code of the divider's supply voltage (full scale of the ratio).
    supply_code: i16,
}

impl<I: I2c> I2cCalibrationSource<I> {
    /// ADS1115 default 7-bit address (ADDR pin to GND).
    pub const ADS1115_ADDR: u8 = 0x48;
    /// TMP117 7-bit address with ADD0 to V+.
    pub const TMP117_ADDR: u8 = 0x49;
    /// ADS1115 config: AIN0 vs GND, ±4.096 V, continuous, 128 SPS,
    /// comparator off (OS=0 MUX=100 PGA=001 MODE=0 DR=100 COMP_QUE=11).
    pub const ADS1115_CONFIG: u16 = 0x4283;

    /// Configures the ADC for continuous conversion and returns the
    /// source. `supply_code` is the ADC code of the divider's supply
    /// (3.3 V at ±4.096 V full scale: 26400).
    pub fn new(
        mut i2c: I,
        adc_addr: u8,
        thermometer_addr: u8,
        supply_code: i16,
    ) -> Result<Self, I::Error> {
        let [hi, lo] = Self::ADS1115_CONFIG.to_be_bytes();
        i2c.write(adc_addr, &[0x01, hi, lo])?;
        Ok(Self {
            i2c,
            adc_addr,
            thermometer_addr,
            supply_code: supply_code.max(1),
        })
    }

    fn read_register(&mut self, addr: u8, reg: u8) -> Result<i16, I::Error> {
        let mut buf = [0u8; 2];
        self.i2c.write_read(addr, &[reg], &mut buf)?;
        Ok(i16::from_be_bytes(buf))
    }

    /// Gives the bus back.
    pub fn release(self) -> I {
        self.i2c
    }
}

impl<I: I2c> SampleSource<1> for I2cCalibrationSource<I> {
    type Error = I::Error;
    fn next_sample(&mut self) -> Result<Sample<1>, Self::Error> {
        // ADS1115 conversion register 0x00: signed 16-bit code.
        let code = self.read_register(self.adc_addr, 0x00)?;
        // TMP117 temperature register 0x00: signed, 7.8125 m°C per LSB.
        let raw_t = self.read_register(self.thermometer_addr, 0x00)?;
        let v = (f32::from(code) / f32::from(self.supply_code)).clamp(0.0, 1.0);
        let t_c = f32::from(raw_t) * 0.007_812_5;
        Ok(Sample {
            x: [ntc::input(v)],
            y: ntc::target(t_c).clamp(0.0, 1.0),
        })
    }
}
