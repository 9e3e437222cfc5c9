//! Quotations: text inside quotation marks (curly “…”, straight "…", guillemets «…» and curly
//! single ‘…’), with the speaker attributed from the surrounding clause:
//! `“…,” Wang said.` / `“…,” said Wang.` / `Wang said: “…”` / `according to Wang, “…”` /
//! `“…,” he said.` (the pronoun resolved to the person mentioned last before the quote).
//! A comma that ends the quoted words is left out of the quote; a short phrase of at most four
//! words with no closing punctuation inside a sentence (`the “double standards” of some`) is a
//! scare quote and no quotation.

use super::entities::{DocTokens, EntityAnalysis, EntityType, SPEECH_VERBS};
use crate::text::Span;

/// A quotation and who said it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// Byte span of the quoted text, without the quotation marks.
    pub span: Span,
    /// Index of the passage it is in.
    pub passage: usize,
    /// Index of the speaking entity in [`EntityAnalysis::entities`], when attributed.
    pub speaker: Option<usize>,
}

/// Finds the quotation spans of one passage: `(content, marks)` byte spans in document
/// coordinates.
fn quote_spans(document: &str, passage: Span) -> Vec<(Span, Span)> {
    let text = &document[passage.start..passage.end];
    let mut out = Vec::new();
    let mut open_double: Option<usize> = None; // “ or «
    let mut open_straight: Option<usize> = None;
    let mut open_single: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    let mut push = |open: usize, open_len: usize, close: usize, close_len: usize| {
        let inner = &text[open + open_len..close];
        let trimmed = inner.trim();
        // A short phrase without closing punctuation, not introduced by a colon or comma, is a
        // scare quote ("the “double standards” of some"), not a quotation.
        let words = trimmed.split_whitespace().count();
        let punctuated = trimmed.ends_with([',', '.', '?', '!', '\u{2026}']);
        let introduced = text[..open].trim_end().ends_with([':', ',']);
        if words <= MAX_SCARE_WORDS && !punctuated && !introduced {
            return;
        }
        // A comma that ends the quoted words belongs to the sentence around them.
        let kept = inner.trim_end_matches(|c: char| c == ',' || c.is_whitespace());
        let lead = inner.len() - inner.trim_start().len();
        let trail = inner.len() - kept.len();
        if kept.trim().is_empty() {
            return;
        }
        out.push((
            Span {
                start: passage.start + open + open_len + lead,
                end: passage.start + close - trail,
            },
            Span {
                start: passage.start + open,
                end: passage.start + close + close_len,
            },
        ));
    };
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        match c {
            '\u{201C}' | '\u{AB}' => open_double = Some(i),
            '\u{201D}' | '\u{BB}' => {
                if let Some(o) = open_double.take() {
                    push(
                        o,
                        text[o..].chars().next().map_or(1, char::len_utf8),
                        i,
                        c.len_utf8(),
                    );
                }
            }
            '"' => match open_straight.take() {
                Some(o) => push(o, 1, i, 1),
                None => open_straight = Some(i),
            },
            '\u{2018}'
                if prev
                    .is_none_or(|p| p.is_whitespace() || matches!(p, '(' | '[' | '\u{201C}')) =>
            {
                open_single = Some(i)
            }
            '\u{2019}'
                if open_single.is_some()
                    && !next.is_some_and(char::is_alphanumeric)
                    && prev.is_some_and(|p| !p.is_whitespace()) =>
            {
                if let Some(o) = open_single.take() {
                    let words = text[o + 3..i].split_whitespace().count();
                    if words >= 2 {
                        push(o, 3, i, 3);
                    }
                }
            }
            _ => {}
        }
        prev = Some(c);
    }
    out
}

const PRONOUNS: &[&str] = &["he", "she"];

/// Quoted phrases of at most this many words, inside a sentence, are scare quotes.
const MAX_SCARE_WORDS: usize = 4;

/// Finds the quotes of every passage and attributes speakers.
pub(crate) fn find_quotes(
    document: &str,
    passages: &[Span],
    sentences: &[Vec<Span>],
    doc: &DocTokens,
    analysis: &EntityAnalysis,
) -> Vec<Quote> {
    let toks = &doc.tokens;
    // Entity starting at each token, and the end token of that mention.
    let mut mention_at: Vec<Option<(usize, usize)>> = vec![None; toks.len()];
    for &(a, b, e) in &analysis.mentions {
        mention_at[a] = Some((b, e));
    }
    let is_speech = |k: usize| SPEECH_VERBS.contains(&doc.lower[k].as_str());
    let is_person = |e: usize| analysis.entities[e].kind == EntityType::Person;
    // The person mentioned last before byte `at`.
    let last_person_before = |at: usize| {
        analysis
            .mentions
            .iter()
            .rev()
            .find(|&&(a, _, e)| toks[a].start < at && is_person(e))
            .map(|m| m.2)
    };
    let first_token_at = |byte: usize| toks.partition_point(|t| t.start < byte);

    let mut out = Vec::new();
    for (p, passage) in passages.iter().enumerate() {
        for (content, marks) in quote_spans(document, *passage) {
            let sentence_of = |byte: usize| {
                sentences[p]
                    .iter()
                    .find(|s| s.start <= byte && byte < s.end.max(s.start + 1))
                    .copied()
                    .unwrap_or(*passage)
            };
            let head_sentence = sentence_of(marks.start);
            let tail_sentence = sentence_of(marks.end.saturating_sub(1));
            // After the quote: "…,” Wang said." / "…,” said Wang." / "…,” he said."
            let tail_from = first_token_at(marks.end);
            let tail_to = first_token_at(tail_sentence.end.max(marks.end)).min(tail_from + 8);
            let mut speaker = None;
            if let Some(v) = (tail_from..tail_to).find(|&k| is_speech(k)) {
                // "…,” Wang said" / "…,” he said": the mention or pronoun just before the verb.
                speaker = (tail_from..v).rev().find_map(|k| {
                    if let Some((b, e)) = mention_at[k]
                        && b == v
                    {
                        return Some(e);
                    }
                    (k + 1 == v && PRONOUNS.contains(&doc.lower[k].as_str()))
                        .then(|| last_person_before(marks.start))
                        .flatten()
                });
                // "…,” said Foreign Minister Wang Yi": the first mention after the verb.
                if speaker.is_none() {
                    speaker = (v + 1..tail_to.max(v + 1).min(toks.len()))
                        .find_map(|k| mention_at[k].map(|(_, e)| e));
                }
            }
            // Before the quote: "Wang said: “…”" / "according to Wang, “…”".
            if speaker.is_none() {
                let from = first_token_at(head_sentence.start);
                let to = first_token_at(marks.start);
                let according = (from..to.saturating_sub(1))
                    .find(|&k| doc.lower[k] == "according" && doc.lower[k + 1] == "to");
                if let Some(k) = according {
                    let object = doc.lower.get(k + 2).map(String::as_str);
                    speaker = match mention_at.get(k + 2).copied().flatten() {
                        Some((_, e)) => Some(e),
                        None if matches!(object, Some("him" | "her")) => {
                            last_person_before(toks[k].start)
                        }
                        None => None,
                    };
                }
                if speaker.is_none()
                    && let Some(v) = (from..to).rev().find(|&k| is_speech(k))
                {
                    speaker = (from..v).rev().find_map(|k| {
                        if let Some((b, e)) = mention_at[k]
                            && b <= v
                        {
                            return Some(e);
                        }
                        PRONOUNS
                            .contains(&doc.lower[k].as_str())
                            .then(|| last_person_before(toks[k].start))
                            .flatten()
                    });
                }
            }
            out.push(Quote {
                span: content,
                passage: p,
                speaker,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::entities::find_entities;
    use super::super::gazetteer::{Gazetteer, tests::SMALL};
    use super::*;
    use crate::text::{paragraphs, sentences};

    fn quotes(doc: &str) -> Vec<(String, Option<String>)> {
        let g = Gazetteer::parse(SMALL, "test").unwrap();
        let passages = paragraphs(doc);
        let sents: Vec<Vec<Span>> = passages
            .iter()
            .map(|p| sentences(doc, p.start, p.end))
            .collect();
        let tokens = DocTokens::new(doc, &passages);
        let analysis = find_entities(doc, &tokens, &g);
        find_quotes(doc, &passages, &sents, &tokens, &analysis)
            .into_iter()
            .map(|q| {
                (
                    doc[q.span.start..q.span.end].to_owned(),
                    q.speaker.map(|e| analysis.entities[e].name.clone()),
                )
            })
            .collect()
    }

    #[test]
    fn speakers_are_attributed_from_the_clause_after_or_before() {
        let doc = "Foreign Minister Wang Yi spoke first.\n\n\
                   “Trust is the basis of our ties,” Wang said.\n\n\
                   “We agree,” said Foreign Minister Mevlut Cavusoglu.\n\n\
                   Cavusoglu said: “The talks were useful.”\n\n\
                   “It will take time,” he said.\n\n\
                   According to Wang, \"both sides gain\".";
        let q = quotes(doc);
        let by_text = |t: &str| q.iter().find(|(x, _)| x == t).unwrap().1.clone();
        assert_eq!(
            by_text("Trust is the basis of our ties").as_deref(),
            Some("Wang Yi")
        );
        assert_eq!(by_text("We agree").as_deref(), Some("Mevlut Cavusoglu"));
        assert_eq!(
            by_text("The talks were useful.").as_deref(),
            Some("Mevlut Cavusoglu")
        );
        assert_eq!(by_text("both sides gain").as_deref(), Some("Wang Yi"));
        assert_eq!(
            by_text("It will take time").as_deref(),
            Some("Mevlut Cavusoglu")
        );
    }

    #[test]
    fn scare_quotes_and_apostrophes_are_handled() {
        let doc = "Both sides should oppose “double standards”, Foreign Minister Wang Yi said. \
                   China’s view and the ‘rules of the road’ matter. \
                   He said ‘the rules of the road are clear’ to all.";
        let q = quotes(doc);
        assert_eq!(
            q,
            [(
                "the rules of the road are clear".to_owned(),
                Some("Wang Yi".to_owned())
            )],
            "scare quotes are no quotations and the apostrophe in China’s opens nothing"
        );
    }

    #[test]
    fn a_trailing_comma_inside_the_marks_is_dropped_and_end_punctuation_kept() {
        let q = quotes("“We will deepen trust ,” Wang said. “Is it done?” she asked.");
        let texts: Vec<&str> = q.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["We will deepen trust", "Is it done?"]);
        assert!(quotes("He wrote “ , ” and left it.").is_empty());
    }

    #[test]
    fn unattributed_and_unclosed_quotes() {
        assert_eq!(
            quotes("The sign read: “peace”. Nobody signed it."),
            [("peace".to_owned(), None)]
        );
        assert!(quotes("An “unclosed quote runs on.").is_empty());
        assert!(quotes("No quotes here.").is_empty());
    }
}
