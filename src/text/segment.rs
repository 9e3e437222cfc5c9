//! Splitting a document into paragraphs with exact byte offsets.
//!
//! Rules, in order:
//! 1. If the document contains a blank line (a line holding only whitespace), paragraphs are the
//!    runs of non-blank lines between blank lines; hard-wrapped lines stay in one paragraph.
//! 2. Otherwise each non-blank line is a paragraph.
//! 3. A document without line breaks is one paragraph.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`. Each paragraph's span excludes its leading and
//! trailing whitespace, so `&document[span.start..span.end]` is exactly the paragraph text.

use super::tokenize::Span;

/// One line of the document: its byte span without the line terminator, and whether it is blank.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    blank: bool,
}

/// Iterates over the lines of `text`, handling `\n`, `\r\n` and `\r` terminators.
fn lines(text: &str) -> impl Iterator<Item = Line> + '_ {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let mut end = pos;
        while end < bytes.len() && bytes[end] != b'\n' && bytes[end] != b'\r' {
            end += 1;
        }
        pos = end;
        if pos < bytes.len() {
            pos += if bytes[pos] == b'\r' && bytes.get(pos + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
        }
        let blank = text[start..end].trim().is_empty();
        Some(Line { start, end, blank })
    })
}

/// Returns `span` shrunk to exclude leading and trailing Unicode whitespace.
fn trim_span(text: &str, start: usize, end: usize) -> Span {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    Span {
        start: start + lead,
        end: (end - trail).max(start + lead),
    }
}

/// Splits `document` into paragraph spans (see the module documentation for the rules).
/// Returns no spans for a document that is empty or only whitespace.
pub fn paragraphs(document: &str) -> Vec<Span> {
    // A blank line only separates paragraphs when it lies between two lines of text.
    let has_blank_line = {
        let (mut seen_text, mut blank_after_text) = (false, false);
        lines(document).any(|line| {
            if line.blank {
                blank_after_text |= seen_text;
                false
            } else {
                seen_text = true;
                blank_after_text
            }
        })
    };

    let mut out = Vec::new();
    if has_blank_line {
        let mut current: Option<(usize, usize)> = None;
        for line in lines(document) {
            match (line.blank, current) {
                (false, None) => current = Some((line.start, line.end)),
                (false, Some((s, _))) => current = Some((s, line.end)),
                (true, Some((s, e))) => {
                    out.push(trim_span(document, s, e));
                    current = None;
                }
                (true, None) => {}
            }
        }
        if let Some((s, e)) = current {
            out.push(trim_span(document, s, e));
        }
    } else {
        for line in lines(document).filter(|l| !l.blank) {
            out.push(trim_span(document, line.start, line.end));
        }
    }
    out
}

/// Words that end with a period without ending a sentence ("Dr.", "Jan.", "approx.").
const ABBREVIATIONS: &[&str] = &[
    "adm", "apr", "approx", "aug", "capt", "cmdr", "co", "col", "corp", "cpl", "dec", "dept", "dr",
    "e.g", "eg", "est", "etc", "feb", "fig", "fri", "gen", "gov", "hon", "i.e", "ie", "inc", "jan",
    "jr", "jul", "jun", "lt", "ltd", "maj", "mar", "messrs", "mon", "mr", "mrs", "ms", "mt", "no",
    "nov", "oct", "op", "prof", "pt", "rep", "rev", "sat", "sen", "sep", "sept", "sgt", "sr", "st",
    "sun", "thu", "thurs", "tue", "tues", "vol", "vs", "wed",
];

/// Words that usually open a sentence: after a dotted acronym ("...the U.N. The council...")
/// they mark a boundary, while a name or noun after it does not ("the U.N. Security Council").
const SENTENCE_OPENERS: &[&str] = &[
    "A",
    "After",
    "An",
    "And",
    "As",
    "At",
    "But",
    "Critics",
    "He",
    "Her",
    "His",
    "However",
    "I",
    "If",
    "In",
    "It",
    "Its",
    "Meanwhile",
    "On",
    "Officials",
    "She",
    "That",
    "The",
    "Their",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "We",
    "When",
    "While",
    "With",
];

/// Closing punctuation that may follow a sentence's final mark: `."`, `.”`, `.)`.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '\u{201D}' | '\u{2019}' | ')' | ']' | '\u{BB}'
    )
}

/// Characters that may open a sentence besides letters and digits.
fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '\u{201C}' | '\u{2018}' | '(' | '[' | '\u{AB}'
    )
}

/// The word (letters, digits and inner periods) ending just before byte `at`.
fn word_before(text: &str, at: usize) -> &str {
    let head = &text[..at];
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &head[start..]
}

/// True when `word` (the text before a period) is an abbreviation, an initial or a dotted
/// acronym, so that the period does not by itself end the sentence.
fn is_abbreviation(word: &str) -> bool {
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    let mut chars = word.chars();
    // A single capital letter: an initial ("J. Smith") or the end of "U.N".
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_uppercase();
    }
    // Dotted acronyms: "U.N", "U.S", "e.g".
    word.split('.').all(|p| p.chars().count() == 1) && word.contains('.')
}

/// Splits the paragraph `document[start..end]` into sentence spans (in document coordinates).
///
/// A sentence ends at `.`, `!`, `?` or `…` (plus any closing quotes or brackets) followed by
/// whitespace and a capital letter, digit or opening quote. Periods after abbreviations
/// ("Dr.", "Jan."), initials and dotted acronyms ("U.N.") do not end a sentence unless a
/// typical sentence opener follows; decimals ("3.5") never do, as no space follows.
pub fn sentences(document: &str, start: usize, end: usize) -> Vec<Span> {
    let text = &document[start..end];
    let mut out = Vec::new();
    let mut sent_start = 0usize;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !matches!(c, '.' | '!' | '?' | '\u{2026}') {
            continue;
        }
        // Swallow repeated marks and closers: `?!`, `..."`, `.”`.
        let mut after = i + c.len_utf8();
        while let Some(&(j, d)) = iter.peek() {
            if matches!(d, '.' | '!' | '?' | '\u{2026}') || is_closer(d) {
                after = j + d.len_utf8();
                iter.next();
            } else {
                break;
            }
        }
        let rest = &text[after..];
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() && !rest.is_empty() {
            continue; // no whitespace after the mark: "3.5", "U.N.Security"
        }
        let Some(next) = trimmed.chars().next() else {
            break; // end of the paragraph
        };
        if !(next.is_uppercase() || next.is_ascii_digit() || is_opener(next)) {
            continue;
        }
        if c == '.' && after == i + 1 {
            let word = word_before(text, i);
            if is_abbreviation(word) {
                let next_word: &str = trimmed
                    .split(|ch: char| !ch.is_alphanumeric())
                    .next()
                    .unwrap_or("");
                let acronym = word.contains('.') || word.chars().count() == 1;
                if !(acronym && SENTENCE_OPENERS.contains(&next_word)) {
                    continue;
                }
            }
        }
        out.push(trim_span(document, start + sent_start, start + after));
        sent_start = after + (rest.len() - trimmed.len());
    }
    if text[sent_start..].trim().is_empty() {
        return out;
    }
    out.push(trim_span(document, start + sent_start, end));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(doc: &str) -> Vec<&str> {
        paragraphs(doc)
            .into_iter()
            .map(|s| &doc[s.start..s.end])
            .collect()
    }

    #[test]
    fn blank_lines_separate_paragraphs_and_wrapped_lines_stay_together() {
        let doc = "First line\nstill first.\n\n  Second.  \n\n\n Third\n";
        assert_eq!(cut(doc), ["First line\nstill first.", "Second.", "Third"]);
    }

    #[test]
    fn crlf_and_lone_cr_are_line_breaks() {
        assert_eq!(cut("One.\r\n\r\nTwo.\r\n"), ["One.", "Two."]);
        assert_eq!(cut("One.\r\rTwo."), ["One.", "Two."]);
        assert_eq!(cut("One.\r\nTwo.\r\nThree."), ["One.", "Two.", "Three."]);
    }

    #[test]
    fn single_newlines_split_when_there_is_no_blank_line() {
        assert_eq!(cut("a b\nc d\n\n"), ["a b", "c d"]);
    }

    #[test]
    fn whitespace_only_lines_count_as_blank() {
        assert_eq!(cut("A\n \t \nB"), ["A", "B"]);
    }

    #[test]
    fn a_document_without_breaks_is_one_paragraph() {
        assert_eq!(
            cut("  Just one paragraph. With two sentences.  "),
            ["Just one paragraph. With two sentences."]
        );
    }

    #[test]
    fn empty_documents_have_no_paragraphs() {
        assert!(paragraphs("").is_empty());
        assert!(paragraphs(" \n\r\n\t").is_empty());
    }

    fn sents(text: &str) -> Vec<&str> {
        sentences(text, 0, text.len())
            .into_iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn sentences_split_at_final_marks_and_keep_closing_quotes() {
        assert_eq!(
            sents("Talks ended. “We agreed,” he said! Did they? Yes… Maybe."),
            [
                "Talks ended.",
                "“We agreed,” he said!",
                "Did they?",
                "Yes…",
                "Maybe."
            ]
        );
        assert_eq!(
            sents("He said: “It is over.” Then he left."),
            ["He said: “It is over.”", "Then he left."]
        );
    }

    #[test]
    fn abbreviations_initials_and_decimals_do_not_split() {
        assert_eq!(
            sents("Dr. Amal Haddad met Prof. Lee on Jan. 5 in St. Louis. Growth was 3.5 percent."),
            [
                "Dr. Amal Haddad met Prof. Lee on Jan. 5 in St. Louis.",
                "Growth was 3.5 percent."
            ]
        );
        assert_eq!(
            sents("The U.N. Security Council met. J. R. Okafor spoke for the U.S. delegation."),
            [
                "The U.N. Security Council met.",
                "J. R. Okafor spoke for the U.S. delegation."
            ]
        );
        // A dotted acronym followed by a typical opener does end the sentence.
        assert_eq!(
            sents("He works for the U.N. The job is new."),
            ["He works for the U.N.", "The job is new."]
        );
    }

    #[test]
    fn lower_case_after_a_period_continues_the_sentence() {
        assert_eq!(
            sents("It was approx. ten. and so on"),
            ["It was approx. ten. and so on"]
        );
        assert_eq!(sents("No final mark"), ["No final mark"]);
    }

    #[test]
    fn sentence_spans_are_in_document_coordinates() {
        let doc = "Intro.\n\nFirst one. Second one.";
        let p = paragraphs(doc)[1];
        let spans = sentences(doc, p.start, p.end);
        let cut: Vec<&str> = spans.iter().map(|s| &doc[s.start..s.end]).collect();
        assert_eq!(cut, ["First one.", "Second one."]);
    }

    #[test]
    fn unicode_whitespace_is_trimmed_on_char_boundaries() {
        let doc = "\u{3000}Ünïcode “quote”\u{a0}\n\n\u{2003}second";
        for s in paragraphs(doc) {
            assert!(doc.is_char_boundary(s.start) && doc.is_char_boundary(s.end));
        }
        assert_eq!(cut(doc), ["Ünïcode “quote”", "second"]);
    }
}
