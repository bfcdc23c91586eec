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

pub use crate::signals::{CalibrationStream, XorShift32, ntc};

impl SampleSource<1> for CalibrationStream {
    type Error = core::convert::Infallible;
    fn next_sample(&mut self) -> Result<Sample<1>, Self::Error> {
        let (x, y) = self.next_pair();
        Ok(Sample { x: [x], y })
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
