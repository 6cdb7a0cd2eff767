//! Fuzzes the off-peak schedule parser: it must never panic, and whatever it accepts must read
//! back the same from its canonical text.
//!
//! Run: `cargo fuzz run schedule_parser` from the repository root (needs cargo-fuzz; on a stable
//! toolchain prefix it with `RUSTC_BOOTSTRAP=1`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use linky_core::offpeak::OffPeakSchedule;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(schedule) = OffPeakSchedule::parse(text) {
            let canonical = schedule.to_string();
            let again = OffPeakSchedule::parse(&canonical).expect("canonical text parses");
            assert_eq!(again, schedule, "canonical text {canonical:?} of {text:?} reads differently");
        }
    }
});
