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

    #[test]
    fn unicode_whitespace_is_trimmed_on_char_boundaries() {
        let doc = "\u{3000}Ünïcode “quote”\u{a0}\n\n\u{2003}second";
        for s in paragraphs(doc) {
            assert!(doc.is_char_boundary(s.start) && doc.is_char_boundary(s.end));
        }
        assert_eq!(cut(doc), ["Ünïcode “quote”", "second"]);
    }
}
