//! Any bytes, read and checked as a network definition: never a panic, never a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = virtnet::model::parse_and_validate(text);
    }
});
