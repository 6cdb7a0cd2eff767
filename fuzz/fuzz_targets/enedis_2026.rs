//! Fuzzes the readers of the 2026 generation's bodies (`mesure_synchrone_auto/v2`): a value or
//! an error, never a panic; the fast load-curve reader agrees with the general one.
//!
//! Run: `cargo fuzz run enedis_2026 fuzz/corpus_seed/enedis_2026`.

#![no_main]

use enedis_protocol::v2026::{load_curve_from_json, MesureResponse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fast = load_curve_from_json(text);
    if let Ok(response) = MesureResponse::from_json(text) {
        let general = response.to_load_curve();
        if let (Ok((_, a)), Ok(b)) = (&fast, &general) {
            assert_eq!(a.points(), b.points(), "the two load-curve readers disagree");
        }
        let _ = response.to_daily_energy();
        let _ = response.to_max_power();
    }
});
