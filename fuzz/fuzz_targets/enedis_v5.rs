//! Fuzzes the readers of Enedis v5 metering bodies: whatever arrives from the network, they
//! answer a value or an error, never a panic; and the two load-curve readers (the fast one the
//! sync uses and the general one) agree.
//!
//! Run: `cargo fuzz run enedis_v5 fuzz/corpus_seed/enedis_v5` (cargo-fuzz; on a stable
//! toolchain prefix it with `RUSTC_BOOTSTRAP=1`).

#![no_main]

use enedis_protocol::v5::{load_curve_from_json, MeterReading};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fast = load_curve_from_json(text);
    if let Ok(reading) = MeterReading::from_json(text) {
        let general = reading.to_load_curve();
        if let (Ok((_, a)), Ok(b)) = (&fast, &general) {
            assert_eq!(a.points(), b.points(), "the two load-curve readers disagree");
        }
        let _ = reading.to_daily_energy();
        let _ = reading.to_max_power();
    }
});
