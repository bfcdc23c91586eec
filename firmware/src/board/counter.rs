//! The step counter: SysTick on the core clock (under QEMU with `-icount`
//! its ticks count instructions) or the DWT cycle counter (on silicon).

use cortex_m::peripheral::{DCB, DWT, SYST};

/// What the counter counts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// SysTick, 24 bits, counting down on the core clock.
    SysTick,
    /// DWT CYCCNT, 32 bits, core clock cycles.
    Dwt,
}

/// A free-running counter for the cost of a learning step.
///
/// Under QEMU: SysTick on the core clock (24-bit, counting down, wrapping);
/// with `-icount shift=0` QEMU advances virtual time 1 ns per instruction,
/// so SysTick counts instructions times the emulated clock's rate (25 MHz on
/// `mps2-an386`: 40 instructions per tick; 168 MHz on `netduinoplus2`); the
/// firmware calibrates the ratio against a loop of known length
/// ([`Counter::calibrate`]). On silicon: DWT CYCCNT, core clock cycles.
/// SysTick spans must stay below 2²⁴ ticks.
pub struct Counter {
    source: Source,
    // Owned so that nothing else reprograms them.
    _syst: Option<SYST>,
    _dwt: Option<DWT>,
}

impl core::fmt::Debug for Counter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Counter")
            .field("source", &self.source)
            .finish()
    }
}

impl Counter {
    /// Starts SysTick on the core clock, free running over 2²⁴ counts.
    pub fn systick(mut syst: SYST) -> Self {
        use cortex_m::peripheral::syst::SystClkSource;
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0x00FF_FFFF);
        syst.clear_current();
        syst.enable_counter();
        Self {
            source: Source::SysTick,
            _syst: Some(syst),
            _dwt: None,
        }
    }

    /// Starts the DWT cycle counter (trace enabled in DCB). Only on silicon:
    /// QEMU's `netduinoplus2` has no DWT (unassigned addresses).
    pub fn dwt(mut dcb: DCB, mut dwt: DWT) -> Self {
        dcb.enable_trace();
        dwt.enable_cycle_counter();
        Self {
            source: Source::Dwt,
            _syst: None,
            _dwt: Some(dwt),
        }
    }

    /// What a count is, for the logs.
    pub fn unit(&self) -> &'static str {
        match self.source {
            Source::SysTick => "SysTick ticks (core clock; instructions under -icount)",
            Source::Dwt => "core clock cycles (DWT CYCCNT)",
        }
    }

    /// Whether the counts are core clock cycles (DWT on silicon) rather than
    /// SysTick ticks that stand for instructions under QEMU's `-icount`.
    pub fn counts_cycles(&self) -> bool {
        self.source == Source::Dwt
    }

    /// The current count, increasing, wrapping at 2²⁴ (SysTick) or 2³²
    /// (DWT).
    #[inline]
    pub fn now(&self) -> u32 {
        match self.source {
            Source::SysTick => 0x00FF_FFFF - SYST::get_current(),
            Source::Dwt => DWT::cycle_count(),
        }
    }

    /// Counts elapsed since `start` (a value of [`Counter::now`]).
    #[inline]
    pub fn since(&self, start: u32) -> u32 {
        let d = self.now().wrapping_sub(start);
        match self.source {
            Source::SysTick => d & 0x00FF_FFFF,
            Source::Dwt => d,
        }
    }

    /// `counts` of this counter as the logs show them: instructions under
    /// QEMU (given `per_2m`, the counts of 2 000 000 instructions), cycles
    /// and time on silicon (given the core clock `sysclk_hz`).
    pub fn cost(&self, counts: u32, per_2m: u32, sysclk_hz: u32) -> Cost {
        Cost {
            counts,
            per_2m,
            cycles_at_hz: self.counts_cycles().then_some(sysclk_hz),
        }
    }

    /// The counts taken by `n` ≥ 1 iterations of the two-instruction loop
    /// (`subs; bne`) of `cortex_m::asm::delay` (which runs `cycles + 1`
    /// iterations), i.e. by 2n instructions: turns counts into
    /// instructions under QEMU. (On silicon the loop's cycles depend on the
    /// pipeline and flash wait states; the counts are cycles, not a ratio
    /// to instructions.)
    pub fn calibrate(&self, n: u32) -> u32 {
        let t0 = self.now();
        cortex_m::asm::delay(n.saturating_sub(1));
        self.since(t0)
    }
}

/// Instructions in `counts` counter counts, given `per_2m`, the counts of
/// 2 000 000 instructions (`Counter::calibrate(1_000_000)`).
pub fn instructions(counts: u64, per_2m: u32) -> u64 {
    counts * 2_000_000 / u64::from(per_2m.max(1))
}

/// A measured cost ([`Counter::cost`]), printed as instructions (QEMU) or
/// as cycles and microseconds (silicon).
#[derive(Clone, Copy, Debug)]
pub struct Cost {
    counts: u32,
    per_2m: u32,
    cycles_at_hz: Option<u32>,
}

impl core::fmt::Display for Cost {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.cycles_at_hz {
            Some(hz) => write!(
                f,
                "{} cycles = {} us at {} MHz",
                self.counts,
                u64::from(self.counts) * 1_000_000 / u64::from(hz.max(1)),
                hz / 1_000_000
            ),
            None => write!(
                f,
                "{} counts = {} instructions",
                self.counts,
                instructions(u64::from(self.counts), self.per_2m)
            ),
        }
    }
}
