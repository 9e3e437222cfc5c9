//! Unicode-aware tokenisation for the bag-of-words model.
//!
//! A *raw token* is a byte span of the input: a run of letters and digits, possibly joined by an
//! apostrophe or hyphen that has a letter or digit on both sides ("China's", "covid-19"), or a
//! dotted acronym ("U.N."). Han, Hiragana and Katakana characters, which are written without
//! spaces, are one token each. [`normalize_into`] turns a raw token into the *term* the model
//! sees: lower case, one apostrophe and one hyphen form, no acronym dots, no possessive "'s".
//!
//! Both steps work on borrowed text and a caller-owned buffer, so tokenising allocates nothing
//! per token.

/// Byte span `[start, end)` of a raw token in the text it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Offset of the token's first byte.
    pub start: usize,
    /// Offset one past the token's last byte.
    pub end: usize,
}

/// Iterator over the raw tokens of a text; see the module documentation for the rules.
#[derive(Debug, Clone)]
pub struct RawTokens<'a> {
    text: &'a str,
    pos: usize,
}

/// Returns an iterator over the raw tokens of `text`.
pub fn raw_tokens(text: &str) -> RawTokens<'_> {
    RawTokens { text, pos: 0 }
}

/// True for characters that make up words.
#[inline]
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// True for characters of scripts written without spaces, tokenised one character each.
#[inline]
fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x3FFFF) // CJK extensions B and later
}

/// Apostrophes that may join two parts of a word.
#[inline]
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// Hyphens that may join two parts of a word.
#[inline]
fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

impl<'a> RawTokens<'a> {
    /// Character at byte offset `at`, if any.
    #[inline]
    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..).and_then(|s| s.chars().next())
    }

    /// If a dotted acronym of single letters ("U.N.", "U.S.A.") starts at `start`, returns its end.
    fn acronym_end(&self, start: usize) -> Option<usize> {
        let mut pos = start;
        let mut letters = 0;
        loop {
            let c = self.char_at(pos)?;
            if !c.is_alphabetic() || is_unspaced_script(c) {
                break;
            }
            let after = pos + c.len_utf8();
            if self.char_at(after) != Some('.') {
                break;
            }
            // The letter must stand alone: not followed by another word character before the dot.
            letters += 1;
            pos = after + 1;
            match self.char_at(pos) {
                Some(n) if n.is_alphabetic() && self.char_at(pos + n.len_utf8()) == Some('.') => {}
                _ => break,
            }
        }
        (letters >= 2).then_some(pos)
    }
}

impl Iterator for RawTokens<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        let bytes = self.text.as_bytes();
        // Skip to the start of the next token.
        let start = loop {
            if self.pos >= bytes.len() {
                return None;
            }
            let b = bytes[self.pos];
            if b < 0x80 {
                if b.is_ascii_alphanumeric() {
                    break self.pos;
                }
                self.pos += 1;
            } else {
                let c = self.char_at(self.pos)?;
                if is_word_char(c) {
                    break self.pos;
                }
                self.pos += c.len_utf8();
            }
        };
        let first = if bytes[start] < 0x80 {
            bytes[start] as char
        } else {
            self.char_at(start)?
        };
        if is_unspaced_script(first) {
            self.pos = start + first.len_utf8();
            return Some(Span {
                start,
                end: self.pos,
            });
        }
        // A dotted acronym starts with one letter and a period: check the cheap part first.
        if bytes.get(start + first.len_utf8()) == Some(&b'.')
            && let Some(end) = self.acronym_end(start)
        {
            self.pos = end;
            return Some(Span { start, end });
        }
        // Extend over word characters and single inner joiners.
        let mut end = start;
        let mut pos = start;
        while pos < bytes.len() {
            let b = bytes[pos];
            if b < 0x80 {
                if b.is_ascii_alphanumeric() {
                    pos += 1;
                    end = pos;
                    continue;
                }
                // Any other ASCII byte ends the token, unless it is an inner ' or -.
                if b != b'\'' && b != b'-' {
                    break;
                }
            }
            let Some(c) = self.char_at(pos) else { break };
            if is_word_char(c) && !is_unspaced_script(c) {
                pos += c.len_utf8();
                end = pos;
            } else if (is_apostrophe(c) || is_hyphen(c))
                && self
                    .char_at(pos + c.len_utf8())
                    .is_some_and(|n| is_word_char(n) && !is_unspaced_script(n))
            {
                pos += c.len_utf8();
            } else {
                break;
            }
        }
        self.pos = end;
        Some(Span { start, end })
    }
}

/// Writes the term for the raw token `raw` into `out` (cleared first) and returns whether the
/// token is kept: tokens without a letter ("2021") and one-character tokens other than
/// ideographs are dropped.
pub fn normalize_into(raw: &str, out: &mut String) -> bool {
    out.clear();
    let mut letters = 0usize;
    let mut chars = 0usize;
    let mut ideograph = false;
    if raw.is_ascii() {
        for &b in raw.as_bytes() {
            if b == b'.' {
                continue;
            }
            if b.is_ascii_alphabetic() {
                letters += 1;
            }
            chars += 1;
            out.push(b.to_ascii_lowercase() as char);
        }
    } else {
        for c in raw.chars() {
            if c == '.' {
                continue;
            }
            chars += 1;
            if c.is_alphabetic() {
                letters += 1;
            }
            if is_unspaced_script(c) {
                ideograph = true;
            }
            if is_apostrophe(c) {
                out.push('\'');
            } else if is_hyphen(c) {
                out.push('-');
            } else if c.is_uppercase() {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        }
    }
    // Possessive: "china's" -> "china".
    if out.len() > 2 && out.ends_with("'s") {
        out.truncate(out.len() - 2);
        chars -= 2;
    }
    letters > 0 && (chars >= 2 || ideograph)
}

/// Calls `f(term, raw)` with each kept term of `text` and the token as written, in order,
/// reusing `buf` for the normalised form.
pub fn for_each_term(text: &str, buf: &mut String, mut f: impl FnMut(&str, &str)) {
    for span in raw_tokens(text) {
        let raw = &text[span.start..span.end];
        if normalize_into(raw, buf) {
            f(buf, raw);
        }
    }
}

/// True when a token as written is in capitals: at least two letters and none in lower case,
/// a possessive "'s" aside ("WHO", "WHO's", "U.N."). Acronyms written so are never stopwords:
/// "WHO" is the World Health Organization, "who" a pronoun.
#[inline]
pub fn is_capitals(raw: &str) -> bool {
    let b = raw.as_bytes();
    // Most tokens are lower-case words or capitalised words: decided by two bytes.
    match b {
        [first, second, ..] if first.is_ascii_lowercase() || second.is_ascii_lowercase() => {
            return false;
        }
        [] | [_] => return false,
        _ => {}
    }
    let word = raw
        .strip_suffix("'s")
        .or_else(|| raw.strip_suffix("\u{2019}s"))
        .unwrap_or(raw);
    word.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !word.chars().any(char::is_lowercase)
}

/// The scoring path's tokeniser: calls `f` with every kept term of `text`, in order, exactly as
/// [`for_each_term`] would, in one pass that copies nothing for plain ASCII words.
///
/// `f(bytes, lowered, raw)` gets either a token as written (`lowered == false`), made only of
/// ASCII letters, digits, `'` and `-`, so that OR-ing every byte with 0x20 lower-cases it (see
/// [`ascii_lower_word`]); or, for the few tokens that need the general rules (non-ASCII
/// letters, curly apostrophes, dotted acronyms), the finished term, normalised into `term`
/// (`lowered == true`). `raw` is the token as written (for [`is_capitals`]). Non-ASCII
/// punctuation between words (curly quotes, dashes) is skipped without leaving the fast path.
pub fn for_each_token(text: &str, term: &mut String, mut f: impl FnMut(&[u8], bool, &str)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    // The general tokeniser takes the one token at or after `pos` (a token boundary); returns
    // where to go on.
    let mut general = |pos: usize, f: &mut dyn FnMut(&[u8], bool, &str)| -> usize {
        let mut one = RawTokens { text, pos };
        match one.next() {
            Some(span) => {
                let raw = &text[span.start..span.end];
                if normalize_into(raw, term) {
                    f(term.as_bytes(), true, raw);
                }
                span.end
            }
            None => n,
        }
    };
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b >= 0x80 {
            // A non-ASCII character between tokens: skip it when it cannot start a word
            // (quotes, dashes, symbols), else let the general rules take the token.
            match text.get(i..).and_then(|s| s.chars().next()) {
                Some(c) if !is_word_char(c) => i += c.len_utf8(),
                _ => i = general(i, &mut f),
            }
            continue;
        }
        if ASCII_CLASS[b as usize] == 0 {
            i += 1;
            continue;
        }
        let start = i;
        // Dotted acronyms ("U.N.") are rare: let the general tokeniser take them.
        if bytes.get(start + 1) == Some(&b'.') && ASCII_CLASS[b as usize] == LETTER {
            i = general(start, &mut f);
            continue;
        }
        // The token: letters and digits, and ' or - between two of them.
        let mut has_letter = false;
        let mut joiners = false;
        while i < n {
            let class = ASCII_CLASS[bytes[i] as usize];
            if class != 0 {
                has_letter |= class == LETTER;
                i += 1;
            } else if (bytes[i] == b'\'' || bytes[i] == b'-')
                && i + 1 < n
                && ASCII_CLASS[bytes[i + 1] as usize] != 0
            {
                joiners = true;
                i += 1;
            } else {
                break;
            }
        }
        // A word that runs on into a non-ASCII character ("Gülen", "China’s", "anti-émeute")
        // is re-read from its start by the general rules.
        if i < n
            && (bytes[i] >= 0x80
                || ((bytes[i] == b'\'' || bytes[i] == b'-') && bytes.get(i + 1) >= Some(&0x80)))
        {
            i = general(start, &mut f);
            continue;
        }
        let mut end = i;
        // Possessive: "china's" -> "china" (either case of the s).
        if joiners && end - start > 2 && bytes[end - 2] == b'\'' && bytes[end - 1] | 0x20 == b's' {
            end -= 2;
        }
        if has_letter && end - start >= 2 {
            // ASCII bytes only: `start..end` lies on character boundaries.
            let raw = &text[start..end];
            f(raw.as_bytes(), false, raw);
        }
    }
}

/// Lower-cases up to eight bytes of an ASCII token word at once (letters get bit 0x20; digits,
/// `'` and `-` already have it).
#[inline]
pub fn ascii_lower_word(word: u64) -> u64 {
    word | 0x2020_2020_2020_2020
}

/// Byte classes for the ASCII tokeniser: 0 other, [`LETTER`], [`DIGIT`].
const LETTER: u8 = 1;
const DIGIT: u8 = 2;
static ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The kept terms of `text` as owned strings (a convenience for training and tests; the
/// scoring path uses [`for_each_term`]).
pub fn terms(text: &str) -> Vec<String> {
    let mut buf = String::new();
    let mut out = Vec::new();
    for_each_term(text, &mut buf, |t, _| out.push(t.to_owned()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Vec<&str> {
        raw_tokens(text).map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn splits_on_spaces_and_punctuation() {
        assert_eq!(
            raw("Talks, in Ankara; ended (late)."),
            ["Talks", "in", "Ankara", "ended", "late"]
        );
    }

    #[test]
    fn keeps_inner_apostrophes_and_hyphens_only() {
        assert_eq!(
            raw("China’s third-phase trials -- 'quoted' rock-"),
            ["China’s", "third-phase", "trials", "quoted", "rock"]
        );
        assert_eq!(
            terms("China’s Covid-19 vaccine"),
            ["china", "covid-19", "vaccine"]
        );
        assert_eq!(
            terms("Turkey's O’Neill don't"),
            ["turkey", "o'neill", "don't"]
        );
    }

    #[test]
    fn lower_cases_unicode_and_keeps_accents() {
        assert_eq!(
            terms("Çavuşoğlu MET İstanbul Ärzte"),
            ["çavuşoğlu", "met", "i̇stanbul", "ärzte"]
        );
    }

    #[test]
    fn joins_dotted_acronyms() {
        assert_eq!(
            terms("the U.N. and U.S.A. met"),
            ["the", "un", "and", "usa", "met"]
        );
        // A sentence-final single letter is not an acronym.
        assert_eq!(terms("plan B. Then"), ["plan", "then"]);
    }

    #[test]
    fn drops_numbers_and_single_letters() {
        assert_eq!(terms("In 2021 a G20 of 50th"), ["in", "g20", "of", "50th"]);
    }

    #[test]
    fn splits_ideographs_one_per_token() {
        assert_eq!(terms("中国外交 talks"), ["中", "国", "外", "交", "talks"]);
        assert_eq!(raw("東京タワー"), ["東", "京", "タ", "ワ", "ー"]);
    }

    #[test]
    fn spans_cut_the_text_exactly() {
        let text = "“Mutual trust,” 👍 said Wang—again.";
        for span in raw_tokens(text) {
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
        assert_eq!(raw(text), ["Mutual", "trust", "said", "Wang", "again"]);
    }

    /// The terms [`for_each_token`] reports, lower-cased as the scorer would hash them.
    fn fast_terms(text: &str) -> Vec<String> {
        let mut term = String::new();
        let mut out = Vec::new();
        for_each_token(text, &mut term, |t, lowered, _| {
            let t = if lowered {
                t.to_vec()
            } else {
                t.iter().map(u8::to_ascii_lowercase).collect()
            };
            out.push(String::from_utf8(t).unwrap());
        });
        out
    }

    /// `count` texts of up to `max_len - 1` characters drawn from `alphabet` by a tiny
    /// deterministic generator (xorshift), for alphabets rich in the tokeniser's edge cases.
    fn random_texts(alphabet: &str, count: usize, max_len: usize, seed: u64) -> Vec<String> {
        let alphabet: Vec<char> = alphabet.chars().collect();
        let mut state = seed;
        (0..count)
            .map(|len| {
                (0..len % max_len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        alphabet[(state % alphabet.len() as u64) as usize]
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_fast_tokeniser_yields_exactly_the_general_terms_on_ascii_text() {
        let samples = [
            "The U.N. and U.S.A. met; China's third-phase trials -- 'quoted' rock- ok",
            "In 2021 a G20 of 50th, don't O'Neill's a-b-c x-1 9-11 A. B. plan B. Then",
            "mln dlrs vs cts shr net it's its' 'tis rock-'n'-roll e.g. i.e. U.N.",
            "",
            "--- ... 123 !! ' - '' --",
        ];
        for text in samples {
            assert_eq!(fast_terms(text), terms(text), "{text}");
        }
    }

    #[test]
    fn the_fast_tokeniser_yields_exactly_the_general_terms_on_mixed_text() {
        let samples = [
            "“Mutual trust,” 👍 said Wang—again; Gülen’s Çavuşoğlu anti-émeute",
            "China’s “vaccine” U.N.’s São Paulo 中国 and 日本語 x中y — café’s naïve-ish",
            "Ünal ’s ‘quoted’ –– a‐b a‑b ß ǅemal İstanbul ΑΘΗΝΑ 2021年 €5bn",
            "word’ ’word -é é- 'é' O’Neill O'Néill e.g. É.U. U.É.",
        ];
        for text in samples {
            assert_eq!(fast_terms(text), terms(text), "{text}");
        }
    }

    #[test]
    fn the_fast_tokeniser_agrees_on_random_ascii_texts() {
        for text in random_texts(
            "aZz09 .'-_@[`{/:,\n\tsS'U.N.",
            400,
            97,
            0x2545_f491_4f6c_dd1d,
        ) {
            assert_eq!(fast_terms(&text), terms(&text), "{text:?}");
        }
    }

    #[test]
    fn the_fast_tokeniser_agrees_on_random_mixed_texts() {
        let alphabet = "aZz09 .'-_sS’‘“”—–é É中👍ß‐ǅ\u{301}İU.N.\n";
        for text in random_texts(alphabet, 2000, 61, 0x9e37_79b9_7f4a_7c15) {
            assert_eq!(fast_terms(&text), terms(&text), "{text:?}");
        }
    }

    #[test]
    fn empty_and_symbol_only_texts_have_no_terms() {
        assert!(terms("").is_empty());
        assert!(terms("  --- ... 123 !!").is_empty());
    }

    #[test]
    fn capitals_are_acronyms_of_two_letters_or_more() {
        for yes in [
            "WHO",
            "WHO's",
            "WHO\u{2019}s",
            "U.N.",
            "NATO",
            "COVID-19",
            "ÉTA",
        ] {
            assert!(is_capitals(yes), "{yes}");
        }
        for no in [
            "who", "Who", "The", "A", "I", "5G", "G7", "iPhone", "McDONALD", "",
        ] {
            assert!(!is_capitals(no), "{no}");
        }
    }
}
