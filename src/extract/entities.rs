//! Entities: countries, organisations and places found with the gazetteer, and people found by
//! their titles and by how news text talks about them ("Foreign Minister X", "X said",
//! "X, who…", "X met Y"; a sentence-initial word the document also writes in lower case
//! starts no name). Mentions of one thing are merged into one entity: "China", "Chinese", "China's"
//! and "Beijing" used as the government are China; a surname used later ("Wang said") joins the
//! full name introduced earlier ("Wang Yi"). Every step is a single pass over the tokens, so the
//! cost is linear in the document's size.

use super::gazetteer::{CountryForm, Gazetteer, Target};
use crate::text::{Span, raw_tokens, sentences};
use rustc_hash::FxHashMap;

/// Kind of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    /// A person.
    Person,
    /// A country (or its government).
    Country,
    /// An organisation.
    Organization,
    /// A city, region, sea…
    Location,
}

/// One place where an entity is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    /// Byte span in the document.
    pub span: Span,
    /// Index of the passage it is in.
    pub passage: usize,
}

/// A person, country, organisation or place, with all its mentions.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// Canonical name ("Wang Yi", "China", "United Nations Security Council").
    pub name: String,
    /// Kind.
    pub kind: EntityType,
    /// A person's title or role as the text gives it ("Foreign Minister").
    pub role: Option<String>,
    /// ISO 3166-1 alpha-2 code of a country, or of the country a place lies in.
    pub country_code: Option<String>,
    /// Mentions in document order.
    pub mentions: Vec<Mention>,
    /// Share of the document's attention, in [0, 1]; entities' saliences sum to 1.
    pub salience: f32,
}

/// A token of the document with what the passes need to know about it.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub start: usize,
    /// End without a possessive "'s".
    pub end: usize,
    pub passage: usize,
    pub sentence_start: bool,
    /// Only whitespace separates it from the next token (and it has no possessive).
    pub joined: bool,
    pub possessive: bool,
    pub cap: bool,
}

/// The tokens of a whole document, with lower-case forms.
pub(crate) struct DocTokens {
    pub tokens: Vec<Token>,
    pub lower: Vec<String>,
}

impl DocTokens {
    /// Tokenises the passages of `document`.
    pub fn new(document: &str, passages: &[Span]) -> DocTokens {
        let mut tokens = Vec::new();
        let mut lower = Vec::new();
        for (p, span) in passages.iter().enumerate() {
            let starts: Vec<usize> = sentences(document, span.start, span.end)
                .iter()
                .map(|s| s.start)
                .collect();
            let mut next_sentence = 0;
            let text = &document[span.start..span.end];
            for t in raw_tokens(text) {
                let (start, mut end) = (span.start + t.start, span.start + t.end);
                let raw = &document[start..end];
                let possessive =
                    raw.len() > 3 && (raw.ends_with("'s") || raw.ends_with("\u{2019}s"));
                if possessive {
                    end -= if raw.ends_with("'s") { 2 } else { 4 };
                }
                let mut sentence_start = false;
                while next_sentence < starts.len() && starts[next_sentence] <= start {
                    sentence_start = true;
                    next_sentence += 1;
                }
                let word = &document[start..end];
                tokens.push(Token {
                    start,
                    end,
                    passage: p,
                    sentence_start,
                    joined: false,
                    possessive,
                    cap: word.chars().next().is_some_and(char::is_uppercase),
                });
                lower.push(word.to_lowercase());
            }
        }
        for i in 0..tokens.len().saturating_sub(1) {
            let (a, b) = (&tokens[i], &tokens[i + 1]);
            tokens[i].joined = !a.possessive
                && a.passage == b.passage
                && document[a.end..b.start].chars().all(char::is_whitespace);
        }
        DocTokens { tokens, lower }
    }
}

/// Verbs that report speech or a stance: "X said", "said X".
pub(crate) const SPEECH_VERBS: &[&str] = &[
    "accused",
    "acknowledged",
    "added",
    "adds",
    "agreed",
    "announced",
    "argued",
    "asked",
    "believes",
    "called",
    "claimed",
    "commented",
    "condemned",
    "confirmed",
    "congratulated",
    "criticised",
    "criticized",
    "declared",
    "denied",
    "emphasised",
    "emphasized",
    "explained",
    "expressed",
    "highlighted",
    "hoped",
    "hopes",
    "insisted",
    "noted",
    "notes",
    "observed",
    "pledged",
    "pointed",
    "posted",
    "praised",
    "proposed",
    "recalled",
    "reiterated",
    "rejected",
    "remarked",
    "replied",
    "responded",
    "said",
    "say",
    "says",
    "stated",
    "states",
    "stressed",
    "stresses",
    "suggested",
    "told",
    "tells",
    "thinks",
    "tweeted",
    "underlined",
    "underlines",
    "urged",
    "urges",
    "vowed",
    "warned",
    "warns",
    "welcomed",
    "wrote",
];

/// Verbs of meeting and visiting that, next to a run of two or more capitalised words, make it
/// a person ("Sergei Lavrov met Wang Yi").
const MEETING_VERBS: &[&str] = &[
    "greeted",
    "hosted",
    "meets",
    "met",
    "phoned",
    "received",
    "spoke",
    "telephoned",
    "thanked",
    "visited",
];

/// Verbs after a capital that make it stand for the government ("Beijing said").
const GOVERNMENT_VERBS: &[&str] = &[
    "accused",
    "accuses",
    "agreed",
    "announced",
    "believes",
    "called",
    "claims",
    "condemned",
    "considers",
    "demanded",
    "demands",
    "denied",
    "denies",
    "has",
    "had",
    "have",
    "hopes",
    "insists",
    "intends",
    "is",
    "maintains",
    "opposes",
    "plans",
    "refused",
    "refuses",
    "rejected",
    "rejects",
    "responded",
    "said",
    "says",
    "sees",
    "signed",
    "urged",
    "urges",
    "views",
    "wants",
    "warned",
    "warns",
    "welcomed",
    "will",
    "would",
];

/// Capitalised words that do not start a name.
const NOT_NAMES: &[&str] = &[
    "a",
    "according",
    "after",
    "ahead",
    "all",
    "also",
    "although",
    "an",
    "and",
    "any",
    "april",
    "as",
    "at",
    "august",
    "because",
    "before",
    "both",
    "but",
    "by",
    "december",
    "despite",
    "during",
    "each",
    "earlier",
    "even",
    "february",
    "first",
    "for",
    "friday",
    "from",
    "he",
    "her",
    "here",
    "his",
    "however",
    "i",
    "if",
    "in",
    "it",
    "its",
    "january",
    "july",
    "june",
    "last",
    "later",
    "march",
    "may",
    "meanwhile",
    "monday",
    "most",
    "my",
    "next",
    "no",
    "not",
    "november",
    "october",
    "of",
    "on",
    "one",
    "or",
    "our",
    "saturday",
    "second",
    "september",
    "she",
    "since",
    "so",
    "some",
    "sunday",
    "that",
    "the",
    "their",
    "there",
    "these",
    "they",
    "third",
    "this",
    "those",
    "thursday",
    "to",
    "today",
    "tuesday",
    "two",
    "under",
    "we",
    "wednesday",
    "what",
    "when",
    "where",
    "while",
    "who",
    "with",
    "yesterday",
    "you",
];

/// Words that make a capitalised run an institution rather than a person ("Foreign Ministry
/// said").
const NOT_PERSON_WORDS: &[&str] = &[
    "academy",
    "agency",
    "army",
    "association",
    "authority",
    "bank",
    "board",
    "bureau",
    "cabinet",
    "center",
    "centre",
    "coalition",
    "college",
    "command",
    "commission",
    "committee",
    "company",
    "congress",
    "corporation",
    "council",
    "court",
    "department",
    "embassy",
    "federation",
    "forces",
    "forum",
    "foundation",
    "front",
    "government",
    "group",
    "guard",
    "institute",
    "league",
    "ministry",
    "movement",
    "navy",
    "network",
    "news",
    "office",
    "organisation",
    "organization",
    "parliament",
    "party",
    "police",
    "post",
    "press",
    "programme",
    "school",
    "senate",
    "service",
    "society",
    "times",
    "tribunal",
    "union",
    "university",
];

/// Forms of address that introduce a name.
const HONORIFICS: &[&str] = &["mr", "mrs", "ms", "dr", "sir", "madam", "dame", "prof"];

/// What a token range was recognised as.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Item {
    Gazetteer(Target),
    Title,
}

#[derive(Debug, Clone)]
struct Person {
    name: String,
    parts: Vec<String>,
    role: Option<String>,
}

/// Entities of a document and every mention, in document order.
pub struct EntityAnalysis {
    /// Entities, most salient first.
    pub entities: Vec<Entity>,
    /// `(first token, end token, entity index)` of every mention, in document order.
    pub(crate) mentions: Vec<(usize, usize, usize)>,
}

/// Finds and merges the entities of a tokenised document.
pub(crate) fn find_entities(document: &str, doc: &DocTokens, gaz: &Gazetteer) -> EntityAnalysis {
    let toks = &doc.tokens;
    let n = toks.len();
    let texts: Vec<&str> = toks.iter().map(|t| &document[t.start..t.end]).collect();
    let joined: Vec<bool> = toks.iter().map(|t| t.joined).collect();

    // Pass 1: gazetteer phrases and titles (with "and"-chains: "Member and Foreign Minister").
    let mut items: Vec<Option<(usize, Item)>> = vec![None; n];
    let mut covered = vec![false; n];
    let mut i = 0;
    while i < n {
        if let Some((len, target)) = gaz.match_at(&texts, &joined, i) {
            items[i] = Some((len, Item::Gazetteer(target)));
            covered[i..i + len].iter_mut().for_each(|c| *c = true);
            i += len;
        } else if let Some(mut len) = gaz.title_at(&doc.lower, &joined, i) {
            while i + len + 1 < n
                && joined[i + len - 1]
                && joined[i + len]
                && matches!(doc.lower[i + len].as_str(), "and" | "&")
            {
                match gaz.title_at(&doc.lower, &joined, i + len + 1) {
                    Some(more) => len += 1 + more,
                    None => break,
                }
            }
            items[i] = Some((len, Item::Title));
            covered[i..i + len].iter_mut().for_each(|c| *c = true);
            i += len;
        } else {
            i += 1;
        }
    }

    // Pass 2: runs of capitalised tokens that are people.
    let is_name_token = |k: usize| {
        toks[k].cap
            && !covered[k]
            && !NOT_NAMES.contains(&doc.lower[k].as_str())
            && !SPEECH_VERBS.contains(&doc.lower[k].as_str())
    };
    let title_before = |a: usize| -> Option<usize> {
        // Index of the title item ending right before token `a`.
        (0..a).rev().take(12).find(
            |&s| matches!(items[s], Some((len, Item::Title)) if s + len == a && joined[a - 1]),
        )
    };
    let institutional = |a: usize, b: usize| {
        doc.lower[a..b]
            .iter()
            .any(|w| NOT_PERSON_WORDS.contains(&w.as_str()))
    };
    // Words the document also writes in lower case are common words, not names, when they
    // open a sentence ("Heavy rain fell. Heavy Rain…").
    let common: rustc_hash::FxHashSet<&str> = toks
        .iter()
        .zip(&doc.lower)
        .filter(|(t, _)| !t.cap)
        .map(|(_, l)| l.as_str())
        .collect();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut k = 0;
    while k < n {
        if !is_name_token(k) || toks[k].sentence_start && common.contains(doc.lower[k].as_str()) {
            k += 1;
            continue;
        }
        let a = k;
        let mut b = k + 1;
        while b < n && b - a < 4 && joined[b - 1] && is_name_token(b) {
            b += 1;
        }
        if !institutional(a, b) {
            runs.push((a, b));
        }
        k = b;
    }
    let speech_after =
        |b: usize| b < n && joined[b - 1] && SPEECH_VERBS.contains(&doc.lower[b].as_str());
    let speech_before =
        |a: usize| a > 0 && joined[a - 1] && SPEECH_VERBS.contains(&doc.lower[a - 1].as_str());
    let meeting_after =
        |b: usize| b < n && joined[b - 1] && MEETING_VERBS.contains(&doc.lower[b].as_str());
    let meeting_before =
        |a: usize| a > 0 && joined[a - 1] && MEETING_VERBS.contains(&doc.lower[a - 1].as_str());
    let who_after = |b: usize| {
        b < n
            && doc.lower[b] == "who"
            && toks[b].passage == toks[b - 1].passage
            && document[toks[b - 1].end..toks[b].start].trim() == ","
    };
    // "Name, (the) (Chinese|China's) Foreign Minister, said": the title after the name.
    let title_after = |b: usize| -> Option<usize> {
        if b >= n
            || toks[b].passage != toks[b - 1].passage
            || document[toks[b - 1].end..toks[b].start].trim() != ","
        {
            return None;
        }
        let mut k = b;
        if k < n && matches!(doc.lower[k].as_str(), "the" | "a" | "an") && joined[k] {
            k += 1;
        }
        if let Some((len, Item::Gazetteer(Target::Country(..)))) = items.get(k).copied().flatten() {
            k += len;
        }
        match items.get(k).copied().flatten() {
            Some((_, Item::Title)) => Some(k),
            _ => None,
        }
    };
    let honorific_before = |a: usize| {
        a > 0
            && HONORIFICS.contains(&doc.lower[a - 1].as_str())
            && toks[a - 1].passage == toks[a].passage
    };

    let mut persons: Vec<Person> = Vec::new();
    let mut by_name: FxHashMap<String, usize> = FxHashMap::default();
    let mut person_mentions: Vec<(usize, usize, usize)> = Vec::new();
    // 2a: full names and people introduced by a title, in order.
    let mut pending: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in &runs {
        let title = title_before(a).or_else(|| title_after(b));
        let evidence = title.is_some()
            || speech_after(b)
            || speech_before(a)
            || meeting_after(b)
            || meeting_before(a)
            || who_after(b)
            || honorific_before(a);
        if b - a >= 2 && evidence || b - a == 1 && title.is_some() {
            let name = document[toks[a].start..toks[b - 1].end].to_owned();
            let role = title.map(|s| {
                let (len, _) = items[s].unwrap_or((0, Item::Title));
                document[toks[s].start..toks[s + len - 1].end].to_owned()
            });
            let idx = *by_name.entry(name.clone()).or_insert_with(|| {
                persons.push(Person {
                    parts: texts[a..b].iter().map(|s| s.to_string()).collect(),
                    name,
                    role: None,
                });
                persons.len() - 1
            });
            if persons[idx].role.is_none() {
                persons[idx].role = role;
            }
            person_mentions.push((a, b, idx));
        } else {
            pending.push((a, b));
        }
    }
    // 2b: single names that refer back to a person ("Wang said"), or new one-word names.
    let mut by_part: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    for (idx, p) in persons.iter().enumerate() {
        for part in &p.parts {
            by_part.entry(part.clone()).or_default().push(idx);
        }
    }
    for (a, b) in pending {
        let candidates = (b - a == 1).then(|| by_part.get(texts[a])).flatten();
        if let Some(list) = candidates {
            // The person with this name part mentioned most recently before, else the first.
            let before = person_mentions
                .iter()
                .rev()
                .find(|(s, _, idx)| *s < a && list.contains(idx))
                .map(|m| m.2);
            let idx = before.unwrap_or(list[0]);
            person_mentions.push((a, b, idx));
        } else if b - a == 1
            && (who_after(b) || honorific_before(a) || speech_after(b) && !toks[a].sentence_start)
        {
            let name = texts[a].to_owned();
            let idx = *by_name.entry(name.clone()).or_insert_with(|| {
                persons.push(Person {
                    parts: vec![name.clone()],
                    name: name.clone(),
                    role: None,
                });
                persons.len() - 1
            });
            by_part.entry(name).or_default().push(idx);
            person_mentions.push((a, b, idx));
        }
    }

    // Assemble entities.
    #[derive(Hash, PartialEq, Eq, Clone, Copy)]
    enum Key {
        Country(usize),
        Org(usize),
        Loc(usize),
        Person(usize),
    }
    let mut index: FxHashMap<Key, usize> = FxHashMap::default();
    let mut entities: Vec<Entity> = Vec::new();
    let mut mentions: Vec<(usize, usize, usize)> = Vec::new();
    let mut weights: Vec<f32> = Vec::new();
    let mut add = |key: Key, a: usize, b: usize, weight: f32, entities: &mut Vec<Entity>| {
        let e = *index.entry(key).or_insert_with(|| {
            let (name, kind, role, code) = match key {
                Key::Country(c) => (
                    gaz.countries[c].name.clone(),
                    EntityType::Country,
                    None,
                    Some(gaz.countries[c].code.clone()),
                ),
                Key::Org(o) => (
                    gaz.organizations[o].name.clone(),
                    EntityType::Organization,
                    None,
                    None,
                ),
                Key::Loc(l) => (
                    gaz.locations[l].name.clone(),
                    EntityType::Location,
                    None,
                    gaz.locations[l]
                        .country
                        .map(|c| gaz.countries[c].code.clone()),
                ),
                Key::Person(p) => (
                    persons[p].name.clone(),
                    EntityType::Person,
                    persons[p].role.clone(),
                    None,
                ),
            };
            entities.push(Entity {
                name,
                kind,
                role,
                country_code: code,
                mentions: Vec::new(),
                salience: 0.0,
            });
            weights.push(0.0);
            entities.len() - 1
        });
        entities[e].mentions.push(Mention {
            span: Span {
                start: toks[a].start,
                end: toks[b - 1].end,
            },
            passage: toks[a].passage,
        });
        let position = 1.0 / (1.0 + 0.2 * toks[a].passage as f32);
        let lead = if toks[a].passage == 0 { 1.5 } else { 1.0 };
        weights[e] += weight * position * lead;
        mentions.push((a, b, e));
    };
    let mut person_at: Vec<Option<(usize, usize)>> = vec![None; n];
    for (a, b, p) in &person_mentions {
        person_at[*a] = Some((*b, *p));
    }
    for a in 0..n {
        if let Some((b, p)) = person_at[a] {
            add(Key::Person(p), a, b, 1.0, &mut entities);
        }
        let Some((len, Item::Gazetteer(target))) = items[a] else {
            continue;
        };
        let b = a + len;
        match target {
            Target::Country(c, CountryForm::Name | CountryForm::Metonym, _) => {
                add(Key::Country(c), a, b, 1.0, &mut entities)
            }
            Target::Country(c, CountryForm::Adjective, _) => {
                add(Key::Country(c), a, b, 0.7, &mut entities)
            }
            Target::Country(c, CountryForm::Capital, city) => {
                let government = toks[b - 1].possessive
                    || (b < n
                        && joined[b - 1]
                        && GOVERNMENT_VERBS.contains(&doc.lower[b].as_str()));
                match (government, city) {
                    (false, Some(l)) => add(Key::Loc(l), a, b, 1.0, &mut entities),
                    _ => add(Key::Country(c), a, b, 1.0, &mut entities),
                }
            }
            Target::Organization(o) => add(Key::Org(o), a, b, 1.0, &mut entities),
            Target::Location(l) => add(Key::Loc(l), a, b, 1.0, &mut entities),
        }
    }
    mentions.sort_unstable();

    // Salience: position-weighted mention counts, normalised to sum to 1.
    let total: f32 = weights.iter().sum();
    for (e, w) in entities.iter_mut().zip(&weights) {
        e.salience = if total > 0.0 { w / total } else { 0.0 };
    }
    let mut order: Vec<usize> = (0..entities.len()).collect();
    order.sort_by(|&x, &y| {
        entities[y].salience.total_cmp(&entities[x].salience).then(
            entities[x].mentions[0]
                .span
                .start
                .cmp(&entities[y].mentions[0].span.start),
        )
    });
    let mut rank = vec![0; entities.len()];
    for (r, &e) in order.iter().enumerate() {
        rank[e] = r;
    }
    let mut sorted: Vec<Option<Entity>> = entities.into_iter().map(Some).collect();
    let entities = order.iter().filter_map(|&e| sorted[e].take()).collect();
    let mentions = mentions
        .into_iter()
        .map(|(a, b, e)| (a, b, rank[e]))
        .collect();
    EntityAnalysis { entities, mentions }
}

#[cfg(test)]
mod tests {
    use super::super::gazetteer::tests::SMALL;
    use super::*;
    use crate::text::paragraphs;

    fn analyse(doc: &str) -> EntityAnalysis {
        let g = Gazetteer::parse(SMALL, "test").unwrap();
        let tokens = DocTokens::new(doc, &paragraphs(doc));
        find_entities(doc, &tokens, &g)
    }

    fn named<'a>(a: &'a EntityAnalysis, name: &str) -> &'a Entity {
        a.entities
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{name} not found in {:?}", a.entities))
    }

    #[test]
    fn people_are_found_by_title_and_joined_by_surname() {
        let doc = "China’s State Council Member and Foreign Minister Wang Yi said ties are good.\n\n\
                   Foreign Minister Mevlut Cavusoglu agreed.\n\n\
                   Wang also noted progress. Cavusoglu, who met him, said so. Later, Wang said.";
        let a = analyse(doc);
        let wang = named(&a, "Wang Yi");
        assert_eq!(wang.kind, EntityType::Person);
        assert_eq!(
            wang.role.as_deref(),
            Some("State Council Member and Foreign Minister")
        );
        assert_eq!(wang.mentions.len(), 3);
        let cav = named(&a, "Mevlut Cavusoglu");
        assert_eq!(cav.role.as_deref(), Some("Foreign Minister"));
        assert_eq!(cav.mentions.len(), 2);
        assert_eq!(cav.mentions[1].passage, 2);
        for m in wang.mentions.iter().chain(&cav.mentions) {
            let t = &doc[m.span.start..m.span.end];
            assert!(
                t == "Wang Yi" || t == "Wang" || t.contains("Cavusoglu"),
                "{t}"
            );
        }
    }

    #[test]
    fn a_title_after_the_name_gives_the_role() {
        for doc in [
            "Lena Ortiz, the Foreign Minister, said ties were strong.",
            "Lena Ortiz, China's Foreign Minister, arrived.",
            "Lena Ortiz, Chinese Foreign Minister, arrived.",
        ] {
            let a = analyse(doc);
            let lena = named(&a, "Lena Ortiz");
            assert_eq!(lena.role.as_deref(), Some("Foreign Minister"), "{doc}");
        }
        // A comma alone is no evidence.
        let a = analyse("Lena Ortiz, and others arrived.");
        assert!(a.entities.iter().all(|e| e.kind != EntityType::Person));
    }

    #[test]
    fn country_names_adjectives_possessives_and_governments_merge() {
        let doc = "Beijing, China – Chinese officials said China’s plan is firm.\n\n\
                   Beijing said Turkish and Türkiye’s views differ. Turkey agreed.";
        let a = analyse(doc);
        let china = named(&a, "China");
        assert_eq!(china.country_code.as_deref(), Some("CN"));
        let cut: Vec<&str> = china
            .mentions
            .iter()
            .map(|m| &doc[m.span.start..m.span.end])
            .collect();
        assert_eq!(cut, ["China", "Chinese", "China", "Beijing"]);
        // The dateline "Beijing" is the city.
        let city = named(&a, "Beijing");
        assert_eq!(city.kind, EntityType::Location);
        assert_eq!(city.mentions.len(), 1);
        assert_eq!(named(&a, "Turkey").mentions.len(), 3);
    }

    #[test]
    fn organisations_merge_across_aliases_and_salience_orders_entities() {
        let doc = "China and Turkey talked. China wants more. China again.\n\n\
                   The United Nations Security Council listed ETIM. The UN Security Council met.";
        let a = analyse(doc);
        assert_eq!(
            named(&a, "United Nations Security Council").mentions.len(),
            2
        );
        assert_eq!(
            named(&a, "East Turkestan Islamic Movement").kind,
            EntityType::Organization
        );
        assert_eq!(a.entities[0].name, "China");
        let sum: f32 = a.entities.iter().map(|e| e.salience).sum();
        assert!((sum - 1.0).abs() < 1e-5);
        assert!(
            a.entities
                .windows(2)
                .all(|w| w[0].salience >= w[1].salience)
        );
    }

    #[test]
    fn text_without_entities_yields_none() {
        let doc = "The weather was mild. Nobody said anything about it at all.";
        assert!(analyse(doc).entities.is_empty());
        assert!(analyse("").entities.is_empty());
    }
}
