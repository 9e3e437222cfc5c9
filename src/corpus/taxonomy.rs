//! Reading the taxonomy card (`data/TOPICS.md`): topic ids and their sub-themes.
//!
//! The card's format is part of its contract: each topic is a `## <id>` heading, followed (before
//! the next `## ` heading) by a `### Sub-themes` list — `### Genres` for `none` — whose items
//! start with a back-quoted id: ``- `vaccine_supply`: …``. A `## Registers` section lists, the
//! same way, the registers (kinds of source text) a paragraph may be written in.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Topic ids (and `none`) mapped to their sub-theme (or genre) ids, in card order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Taxonomy {
    /// Sub-theme ids of each topic; the key `none` holds the genres.
    pub topics: BTreeMap<String, Vec<String>>,
    /// Register ids, in card order (empty when the card lists none).
    pub registers: Vec<String>,
}

impl Taxonomy {
    /// Reads and parses a card.
    pub fn load(path: &Path) -> Result<Taxonomy> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Taxonomy::parse(&text).map_err(|e| Error::Data(format!("{}: {e}", path.display())))
    }

    /// Parses the card's text.
    pub fn parse(text: &str) -> Result<Taxonomy, String> {
        let mut topics: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut registers: Vec<String> = Vec::new();
        let mut current: Option<String> = None;
        let mut in_list = false;
        let mut in_registers = false;
        for (n, line) in text.lines().enumerate() {
            if let Some(h) = line.strip_prefix("## ") {
                let id = h.trim();
                in_registers = id == "Registers";
                current =
                    (id == "none" || crate::corpus::is_valid_topic_id(id)).then(|| id.to_owned());
                in_list = false;
                if let Some(id) = &current
                    && topics.insert(id.clone(), Vec::new()).is_some()
                {
                    return Err(format!("line {}: topic {id} defined twice", n + 1));
                }
            } else if let Some(h) = line.strip_prefix("### ") {
                in_list = current.is_some() && matches!(h.trim(), "Sub-themes" | "Genres");
            } else if in_registers && let Some(item) = line.strip_prefix("- `") {
                let Some((id, _)) = item.split_once('`') else {
                    return Err(format!("line {}: unterminated register id", n + 1));
                };
                if registers.iter().any(|r| r == id) {
                    return Err(format!("line {}: register {id} listed twice", n + 1));
                }
                registers.push(id.to_owned());
            } else if in_list && let Some(item) = line.strip_prefix("- `") {
                let Some((id, _)) = item.split_once('`') else {
                    return Err(format!("line {}: unterminated sub-theme id", n + 1));
                };
                if let Some(topic) = &current {
                    let list = topics.entry(topic.clone()).or_default();
                    if list.iter().any(|s| s == id) {
                        return Err(format!("line {}: sub-theme {id} listed twice", n + 1));
                    }
                    list.push(id.to_owned());
                }
            }
        }
        topics.retain(|_, subs| !subs.is_empty());
        if topics.is_empty() {
            return Err("no topic with a sub-theme list found".into());
        }
        Ok(Taxonomy { topics, registers })
    }

    /// Topic ids other than `none`.
    pub fn topic_ids(&self) -> impl Iterator<Item = &str> {
        self.topics
            .keys()
            .map(String::as_str)
            .filter(|t| *t != "none")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_topics_sub_themes_and_genres() {
        let card = "# Card\n## How to label\n- `not_a_theme`: ignored\n\
                    ## trade\nText.\n### Sub-themes\n- `tariffs`: duties\n- `investment`: money\n\
                    ## none\n### Genres\n- `football`: sport\n\
                    ## Registers\n- `wire`: agency copy\n- `qa`: briefings\n";
        let t = Taxonomy::parse(card).unwrap();
        assert_eq!(t.registers, ["wire", "qa"]);
        assert_eq!(t.topics["trade"], ["tariffs", "investment"]);
        assert_eq!(t.topics["none"], ["football"]);
        assert_eq!(t.topic_ids().collect::<Vec<_>>(), ["trade"]);
        assert!(Taxonomy::parse("## a\n### Sub-themes\n- `x`: 1\n- `x`: 2\n").is_err());
    }

    #[test]
    fn the_projects_card_parses_with_enough_sub_themes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/TOPICS.md");
        let t = Taxonomy::load(&path).unwrap();
        assert_eq!(t.topic_ids().count(), 10);
        assert!(t.registers.len() >= 10, "{:?}", t.registers);
        for (topic, subs) in &t.topics {
            let need = if topic == "none" { 20 } else { 15 };
            assert!(subs.len() >= need, "{topic} has {} sub-themes", subs.len());
        }
    }
}
