//! The gazetteer: what the extractor knows about countries, organisations, places and titles
//! of office. It is data, shipped in `models/gazetteer.toml` (documented in
//! `models/GAZETTEER.md`) and replaceable with `--gazetteer`, layered over the ISO 3166 country
//! list of the `iso3166` crate: every ISO country is known by its ISO short name even when the
//! file says nothing about it.
//!
//! Names, aliases, adjectives and demonyms match case-sensitively, token by token, separated by
//! whitespace only; titles match case-insensitively. A phrase claimed by two different entries is
//! ambiguous and matches nothing (it is reported by [`Gazetteer::ambiguous`]).

use crate::error::{Error, Result};
use crate::text::raw_tokens;
use rustc_hash::FxHashMap;
use serde::Deserialize;

/// The gazetteer file format version this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The gazetteer shipped in `models/gazetteer.toml`, embedded at build time.
pub static DEFAULT_GAZETTEER: &str = include_str!("../../models/gazetteer.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default, rename = "country")]
    countries: Vec<CountryEntry>,
    #[serde(default, rename = "organization")]
    organizations: Vec<OrgEntry>,
    #[serde(default, rename = "location")]
    locations: Vec<LocationEntry>,
    #[serde(default)]
    titles: Titles,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryEntry {
    code: String,
    name: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    adjectives: Vec<String>,
    #[serde(default)]
    demonyms: Vec<String>,
    capital: Option<String>,
    #[serde(default)]
    metonyms: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgEntry {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationEntry {
    name: String,
    country: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Titles {
    #[serde(default)]
    list: Vec<String>,
}

/// A country.
#[derive(Debug, Clone, PartialEq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub code: String,
    /// Display name.
    pub name: String,
}

/// An organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// Canonical name.
    pub name: String,
    /// Kind, as given in the file (e.g. `un_body`, `designated_terrorist_group`).
    pub kind: Option<String>,
}

/// A place: a city, region, sea…
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Canonical name.
    pub name: String,
    /// Index of the country it lies in, if any.
    pub country: Option<usize>,
    /// Kind, as given in the file (`city`, `region`…).
    pub kind: Option<String>,
}

/// How a country is named by a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryForm {
    /// Its name or an alias ("China", "PRC").
    Name,
    /// An adjective or demonym ("Chinese", "Turks").
    Adjective,
    /// Its capital, which may stand for the government or be the city ("Beijing").
    Capital,
    /// A place standing for the government ("Kremlin").
    Metonym,
}

/// What a matched phrase refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A country (index into [`Gazetteer::countries`]) and the form of the mention; for a
    /// capital, also the city (index into [`Gazetteer::locations`]).
    Country(usize, CountryForm, Option<usize>),
    /// An organisation (index into [`Gazetteer::organizations`]).
    Organization(usize),
    /// A place (index into [`Gazetteer::locations`]).
    Location(usize),
}

#[derive(Debug, Clone)]
struct Phrase {
    rest: Vec<String>,
    target: Target,
}

/// A compiled gazetteer.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    /// Countries (ISO list merged with the file's entries).
    pub countries: Vec<Country>,
    /// Organisations.
    pub organizations: Vec<Organization>,
    /// Places, including capitals.
    pub locations: Vec<Location>,
    /// Phrases by first token; longest first.
    phrases: FxHashMap<String, Vec<Phrase>>,
    /// Title phrases (lower case) by first token.
    titles: FxHashMap<String, Vec<Vec<String>>>,
    /// Phrases dropped because two entries claimed them.
    ambiguous: Vec<String>,
}

/// The tokens of a phrase as the matcher sees them.
fn phrase_tokens(phrase: &str) -> Vec<String> {
    raw_tokens(phrase)
        .map(|s| phrase[s.start..s.end].to_owned())
        .collect()
}

impl Gazetteer {
    /// The embedded default gazetteer.
    pub fn default_gazetteer() -> Result<Gazetteer> {
        Gazetteer::parse(
            DEFAULT_GAZETTEER,
            "embedded gazetteer (models/gazetteer.toml)",
        )
    }

    /// Reads a gazetteer file.
    pub fn load(path: &std::path::Path) -> Result<Gazetteer> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Gazetteer::parse(&text, &path.display().to_string())
    }

    /// Parses and compiles a gazetteer; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Gazetteer> {
        let fail = |reason: String| Error::Data(format!("gazetteer {source}: {reason}"));
        let file: File = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        if file.version != FORMAT_VERSION {
            return Err(fail(format!(
                "version {} is not supported (this build reads version {FORMAT_VERSION})",
                file.version
            )));
        }
        let mut g = Gazetteer {
            countries: Vec::new(),
            organizations: Vec::new(),
            locations: Vec::new(),
            phrases: FxHashMap::default(),
            titles: FxHashMap::default(),
            ambiguous: Vec::new(),
        };
        let mut claims: FxHashMap<String, Target> = FxHashMap::default();
        let mut conflicts: Vec<String> = Vec::new();
        let mut claim = |phrase: &str, target: Target| {
            let key = phrase_tokens(phrase).join(" ");
            if key.is_empty() {
                return;
            }
            match claims.get(&key) {
                Some(t) if *t != target => conflicts.push(key),
                Some(_) => {}
                None => {
                    claims.insert(key, target);
                }
            }
        };

        // ISO countries first, then the file's entries refine them.
        let mut by_code: FxHashMap<String, usize> = FxHashMap::default();
        for c in iso3166::LIST {
            let data = c.data();
            by_code.insert(data.alpha2.to_owned(), g.countries.len());
            g.countries.push(Country {
                code: data.alpha2.to_owned(),
                name: data.name.to_owned(),
            });
        }
        let mut described = vec![false; g.countries.len()];
        for entry in &file.countries {
            let code = entry.code.to_ascii_uppercase();
            let idx = match by_code.get(&code) {
                Some(&i) => i,
                None if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) => {
                    // A code ISO does not list (e.g. XK for Kosovo): a user-assigned country.
                    let i = g.countries.len();
                    by_code.insert(code.clone(), i);
                    g.countries.push(Country {
                        code: code.clone(),
                        name: entry.name.clone().unwrap_or_else(|| code.clone()),
                    });
                    described.push(false);
                    i
                }
                None => {
                    return Err(fail(format!(
                        "country code {:?} is not two letters",
                        entry.code
                    )));
                }
            };
            if described[idx] {
                return Err(fail(format!("country {code} is described twice")));
            }
            described[idx] = true;
            if let Some(name) = &entry.name {
                claim(
                    &g.countries[idx].name.clone(),
                    Target::Country(idx, CountryForm::Name, None),
                );
                g.countries[idx].name = name.clone();
            }
            for n in std::iter::once(&g.countries[idx].name.clone()).chain(&entry.aliases) {
                claim(n, Target::Country(idx, CountryForm::Name, None));
            }
            for a in entry.adjectives.iter().chain(&entry.demonyms) {
                claim(a, Target::Country(idx, CountryForm::Adjective, None));
            }
            for m in &entry.metonyms {
                claim(m, Target::Country(idx, CountryForm::Metonym, None));
            }
            if let Some(capital) = &entry.capital {
                let loc = g.locations.len();
                g.locations.push(Location {
                    name: capital.clone(),
                    country: Some(idx),
                    kind: Some("capital".into()),
                });
                claim(
                    capital,
                    Target::Country(idx, CountryForm::Capital, Some(loc)),
                );
            }
        }
        for (idx, done) in described.iter().enumerate() {
            if !done {
                let name = g.countries[idx].name.clone();
                claim(&name, Target::Country(idx, CountryForm::Name, None));
            }
        }
        for o in &file.organizations {
            let idx = g.organizations.len();
            g.organizations.push(Organization {
                name: o.name.clone(),
                kind: o.kind.clone(),
            });
            for n in std::iter::once(&o.name).chain(&o.aliases) {
                claim(n, Target::Organization(idx));
            }
        }
        for l in &file.locations {
            let country = match &l.country {
                Some(code) => Some(*by_code.get(&code.to_ascii_uppercase()).ok_or_else(|| {
                    fail(format!(
                        "location {:?} names unknown country {code:?}",
                        l.name
                    ))
                })?),
                None => None,
            };
            let idx = g.locations.len();
            g.locations.push(Location {
                name: l.name.clone(),
                country,
                kind: l.kind.clone(),
            });
            for n in std::iter::once(&l.name).chain(&l.aliases) {
                claim(n, Target::Location(idx));
            }
        }
        conflicts.sort();
        conflicts.dedup();
        for key in &conflicts {
            claims.remove(key);
        }
        g.ambiguous = conflicts;
        for (key, target) in claims {
            let mut tokens = key.split(' ').map(str::to_owned);
            let Some(first) = tokens.next() else { continue };
            g.phrases.entry(first).or_default().push(Phrase {
                rest: tokens.collect(),
                target,
            });
        }
        for list in g.phrases.values_mut() {
            list.sort_by(|a, b| {
                b.rest
                    .len()
                    .cmp(&a.rest.len())
                    .then_with(|| a.rest.cmp(&b.rest))
            });
        }
        for t in &file.titles.list {
            let tokens: Vec<String> = phrase_tokens(&t.to_lowercase());
            if let Some(first) = tokens.first().cloned() {
                g.titles.entry(first).or_default().push(tokens);
            }
        }
        for list in g.titles.values_mut() {
            list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            list.dedup();
        }
        Ok(g)
    }

    /// Phrases that two entries claimed, and which therefore match nothing.
    pub fn ambiguous(&self) -> &[String] {
        &self.ambiguous
    }

    /// The longest phrase starting at token `i` of `tokens` (texts of the tokens, and whether
    /// only whitespace separates each from the next): its length in tokens and target.
    pub fn match_at(&self, tokens: &[&str], joined: &[bool], i: usize) -> Option<(usize, Target)> {
        let candidates = self.phrases.get(tokens[i])?;
        'next: for p in candidates {
            let n = p.rest.len();
            if i + n >= tokens.len() {
                continue;
            }
            for (k, want) in p.rest.iter().enumerate() {
                if !joined[i + k] || tokens[i + 1 + k] != want {
                    continue 'next;
                }
            }
            return Some((n + 1, p.target));
        }
        None
    }

    /// The longest title of office starting at token `i` (case-insensitive): its length in
    /// tokens.
    pub fn title_at(&self, lower_tokens: &[String], joined: &[bool], i: usize) -> Option<usize> {
        let candidates = self.titles.get(&lower_tokens[i])?;
        'next: for t in candidates {
            if i + t.len() > lower_tokens.len() {
                continue;
            }
            for k in 1..t.len() {
                if !joined[i + k - 1] || lower_tokens[i + k] != t[k] {
                    continue 'next;
                }
            }
            return Some(t.len());
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SMALL: &str = r#"
version = 1
[[country]]
code = "CN"
name = "China"
aliases = ["People's Republic of China", "PRC"]
adjectives = ["Chinese"]
capital = "Beijing"
[[country]]
code = "TR"
name = "Turkey"
aliases = ["Türkiye"]
adjectives = ["Turkish"]
capital = "Ankara"
[[country]]
code = "US"
name = "United States"
aliases = ["U.S.", "US"]
adjectives = ["American"]
capital = "Washington"
metonyms = ["White House"]
[[organization]]
name = "United Nations Security Council"
aliases = ["UN Security Council", "U.N. Security Council", "Security Council"]
kind = "un_body"
[[organization]]
name = "United Nations"
aliases = ["UN", "U.N."]
[[organization]]
name = "East Turkestan Islamic Movement"
aliases = ["ETIM"]
kind = "designated_terrorist_group"
[[organization]]
name = "World Health Organization"
aliases = ["WHO"]
[[location]]
name = "Xinjiang"
country = "CN"
kind = "region"
[titles]
list = ["Foreign Minister", "State Council Member", "President", "Minister"]
"#;

    fn toks(text: &str) -> (Vec<&str>, Vec<bool>) {
        let spans: Vec<_> = raw_tokens(text).collect();
        let tokens = spans.iter().map(|s| &text[s.start..s.end]).collect();
        let joined = spans
            .windows(2)
            .map(|w| text[w[0].end..w[1].start].trim().is_empty())
            .chain(std::iter::once(false))
            .collect();
        (tokens, joined)
    }

    #[test]
    fn matches_longest_phrases_case_sensitively() {
        let g = Gazetteer::parse(SMALL, "test").unwrap();
        let (t, j) = toks("the UN Security Council and the UN, who said WHO");
        let (n, target) = g.match_at(&t, &j, 1).unwrap();
        assert_eq!(n, 3);
        assert_eq!(target, Target::Organization(0));
        assert_eq!(g.match_at(&t, &j, 6).unwrap().1, Target::Organization(1));
        assert!(
            g.match_at(&t, &j, 7).is_none(),
            "lower-case 'who' is not WHO"
        );
        assert_eq!(g.match_at(&t, &j, 9).unwrap().1, Target::Organization(3));
        // Punctuation between tokens breaks a phrase.
        let (t, j) = toks("UN. Security Council");
        assert_eq!(g.match_at(&t, &j, 0).unwrap().0, 1);
    }

    #[test]
    fn countries_come_from_iso_data_and_the_file() {
        let g = Gazetteer::parse(SMALL, "test").unwrap();
        let (t, j) = toks("Chinese and Turkish officials met in Beijing and Nepal");
        let Some((1, Target::Country(cn, CountryForm::Adjective, None))) = g.match_at(&t, &j, 0)
        else {
            panic!()
        };
        assert_eq!(g.countries[cn].code, "CN");
        let Some((1, Target::Country(_, CountryForm::Capital, Some(city)))) = g.match_at(&t, &j, 6)
        else {
            panic!()
        };
        assert_eq!(g.locations[city].name, "Beijing");
        // Nepal is not in the file but is an ISO country.
        let Some((1, Target::Country(np, CountryForm::Name, None))) = g.match_at(&t, &j, 8) else {
            panic!()
        };
        assert_eq!(g.countries[np].code, "NP");
    }

    #[test]
    fn titles_match_case_insensitively_and_longest_first() {
        let g = Gazetteer::parse(SMALL, "test").unwrap();
        let text = "the foreign minister and State Council Member";
        let (t, j) = toks(text);
        let lower: Vec<String> = t.iter().map(|s| s.to_lowercase()).collect();
        assert_eq!(g.title_at(&lower, &j, 1), Some(2));
        assert_eq!(g.title_at(&lower, &j, 4), Some(3));
        assert_eq!(g.title_at(&lower, &j, 0), None);
    }

    #[test]
    fn the_shipped_gazetteer_parses_and_no_phrase_is_claimed_twice() {
        let g = Gazetteer::default_gazetteer().unwrap();
        assert!(g.ambiguous().is_empty(), "ambiguous: {:?}", g.ambiguous());
        assert!(g.countries.len() >= 249);
        assert!(g.organizations.len() >= 100);
        assert!(g.locations.len() >= 200);
    }

    #[test]
    fn conflicting_phrases_are_dropped_and_bad_files_refused() {
        let text = format!("{SMALL}\n[[organization]]\nname = \"Other\"\naliases = [\"PRC\"]\n");
        let g = Gazetteer::parse(&text, "test").unwrap();
        assert_eq!(g.ambiguous(), ["PRC"]);
        let (t, j) = toks("PRC");
        assert!(g.match_at(&t, &j, 0).is_none());
        assert!(
            Gazetteer::parse("version = 2", "x")
                .unwrap_err()
                .to_string()
                .contains("version 2")
        );
        assert!(Gazetteer::parse("version = 1\n[[country]]\ncode = \"C1N\"", "x").is_err());
        assert!(
            Gazetteer::parse(
                "version = 1\n[[location]]\nname = \"X\"\ncountry = \"ZZZ\"",
                "x"
            )
            .is_err()
        );
        assert!(Gazetteer::parse("version = 1\ncolour = 3", "x").is_err());
    }
}
