//! Fuzzes the reading of Enedis error answers (every body shape, nested gateway bodies, the
//! `WWW-Authenticate` header): never a panic, whatever the status, body and header.
//!
//! Run: `cargo fuzz run enedis_error fuzz/corpus_seed/enedis_error`.

#![no_main]

use enedis_protocol::error::EnedisError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]);
    let Ok(text) = std::str::from_utf8(&data[2..]) else {
        return;
    };
    let (body, header) = text.split_once('\u{0}').unwrap_or((text, ""));
    let error = EnedisError::from_response(status, body, Some(header));
    let _ = error.kind();
});
