//! Fuzz target: `qrnn_model::qw::from_bytes` on arbitrary bytes never panics, never allocates
//! beyond what the input's size implies, and whatever it accepts is a valid model that writes back
//! (binary and text twin) to an equal model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qrnn_model::qw::{from_bytes, to_bytes, to_text};

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = from_bytes(data) {
        assert_eq!(
            model.validate(),
            Ok(()),
            "the reader accepted an invalid model"
        );
        let again =
            from_bytes(&to_bytes(&model)).expect("a model the reader accepted must re-read");
        assert_eq!(again, model, "binary round trip");
        let again = from_bytes(to_text(&model).as_bytes()).expect("the text twin must re-read");
        assert_eq!(again, model, "text round trip");
    }
});
