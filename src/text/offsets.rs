//! Converting UTF-8 byte offsets into the units other languages index strings by: UTF-16 code
//! units (Java, JavaScript, C#) and code points (Python). Built once per document in linear
//! time; each conversion then looks at no more than one 64-byte block.

/// How offsets are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// UTF-8 bytes (Go, Rust, C).
    #[default]
    Utf8,
    /// UTF-16 code units: characters outside the Basic Multilingual Plane count 2.
    Utf16,
    /// Unicode code points (Python, UTF-32).
    Utf32,
}

const BLOCK: usize = 64;

/// Byte offset → `unit` offset converter for one document.
#[derive(Debug, Clone)]
pub struct OffsetMap<'a> {
    text: &'a str,
    unit: Unit,
    /// Units of the characters that start before byte `k * BLOCK`.
    checkpoints: Vec<u32>,
}

/// Units taken by the character whose first byte is `b` (0 for continuation bytes).
#[inline]
fn units_of_lead(b: u8, unit: Unit) -> u32 {
    if b & 0xC0 == 0x80 {
        0
    } else {
        match unit {
            Unit::Utf8 => 0, // not used
            Unit::Utf16 if b >= 0xF0 => 2,
            Unit::Utf16 | Unit::Utf32 => 1,
        }
    }
}

impl<'a> OffsetMap<'a> {
    /// Prepares conversions for `text`.
    pub fn new(text: &'a str, unit: Unit) -> Self {
        let mut checkpoints = Vec::new();
        if unit != Unit::Utf8 {
            checkpoints.reserve(text.len() / BLOCK + 1);
            let mut total = 0u32;
            for (i, &b) in text.as_bytes().iter().enumerate() {
                if i % BLOCK == 0 {
                    checkpoints.push(total);
                }
                total += units_of_lead(b, unit);
            }
            if text.len().is_multiple_of(BLOCK) {
                checkpoints.push(total);
            }
        }
        OffsetMap {
            text,
            unit,
            checkpoints,
        }
    }

    /// The offset of byte `byte` (a character boundary, at most the text length) in this map's
    /// unit.
    pub fn convert(&self, byte: usize) -> u32 {
        let byte = byte.min(self.text.len());
        if self.unit == Unit::Utf8 {
            return byte as u32;
        }
        let block = byte / BLOCK;
        let mut n = self.checkpoints.get(block).copied().unwrap_or(0);
        for &b in &self.text.as_bytes()[block * BLOCK..byte] {
            n += units_of_lead(b, self.unit);
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(text: &str, byte: usize, unit: Unit) -> u32 {
        let prefix = &text[..byte];
        match unit {
            Unit::Utf8 => byte as u32,
            Unit::Utf16 => prefix.encode_utf16().count() as u32,
            Unit::Utf32 => prefix.chars().count() as u32,
        }
    }

    #[test]
    fn matches_a_direct_count_at_every_boundary() {
        let text = "Çavuşoğlu said “trust” 中国 👍🏽 ok ".repeat(9);
        for unit in [Unit::Utf8, Unit::Utf16, Unit::Utf32] {
            let map = OffsetMap::new(&text, unit);
            for (i, _) in text
                .char_indices()
                .chain(std::iter::once((text.len(), ' ')))
            {
                assert_eq!(map.convert(i), reference(&text, i, unit), "{unit:?} at {i}");
            }
        }
    }

    #[test]
    fn astral_characters_take_two_utf16_units() {
        let text = "a👍b";
        let map = OffsetMap::new(text, Unit::Utf16);
        assert_eq!(map.convert(5), 3);
        assert_eq!(OffsetMap::new(text, Unit::Utf32).convert(5), 2);
        assert_eq!(OffsetMap::new("", Unit::Utf16).convert(0), 0);
    }
}
