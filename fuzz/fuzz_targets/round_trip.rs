//! Whatever the model accepts, it writes as something it accepts again, reads back to
//! the same network, and writes the same bytes a second time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virtnet::model::Network;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(network) = Network::from_xml(text) else { return };
    let written = network.to_xml();
    let again = match Network::from_xml(&written) {
        Ok(again) => again,
        Err(problems) => panic!("own output refused:\n{problems}\n{written}"),
    };
    assert_eq!(again, network, "read back differently:\n{written}");
    assert_eq!(again.to_xml(), written, "a second write differs");
});
