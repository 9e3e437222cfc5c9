//! Fuzzes paragraph and sentence splitting and the offset converters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paratag::text::offsets::{OffsetMap, Unit};
use paratag::text::{paragraphs, sentences};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = std::str::from_utf8(data) else { return };
    let map = OffsetMap::new(doc, Unit::Utf16);
    let mut last = 0;
    for p in paragraphs(doc) {
        assert!(p.start >= last && p.start < p.end && p.end <= doc.len());
        assert!(doc.is_char_boundary(p.start) && doc.is_char_boundary(p.end));
        last = p.end;
        for s in sentences(doc, p.start, p.end) {
            assert!(p.start <= s.start && s.start <= s.end && s.end <= p.end);
            assert!(doc.is_char_boundary(s.start) && doc.is_char_boundary(s.end));
            assert!(map.convert(s.start) <= map.convert(s.end));
        }
    }
});
