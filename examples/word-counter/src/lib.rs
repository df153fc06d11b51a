//! word-counter: the reference system's Rust example, ported to pocket-wit.
//!
//! Node `word-count` (category `text`). Input `{text, case_sensitive?: false}`; config
//! `min_word_length` (default 1) and `stop_words` (default: 24 English words).
//!
//! - prep: every character that is not alphanumeric (Unicode) becomes a space.
//! - exec: split on whitespace; drop words shorter than `min_word_length` (counted in
//!   characters); lowercase unless `case_sensitive`; drop stop words (compared without regard
//!   to case, so `The` is a stop word in case-sensitive mode too).
//! - output `{total_words, unique_words, word_frequencies, average_word_length, longest_word,
//!   shortest_word}`: frequencies in first-seen order; the average (characters per counted word)
//!   rounded to 2 decimals; on ties the first word seen is the longest/shortest; with no words
//!   the average is 0 and longest/shortest are "".
//! - post routes `empty` (0 words), `short` (< 100), `medium` (< 1000), else `long`.

use pocket_plugin::{export_plugin, json, Context, Map, Node, NodeDefinition, NodeError, Plugin, PostResult, Value};

const DEFAULT_STOP_WORDS: [&str; 24] = [
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "he", "in", "is", "it", "its", "of", "on", "that", "the", "to",
    "was", "will", "with",
];

struct WordCount;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The counting itself, shared by exec and the tests of the algorithm.
pub fn count_words(cleaned: &str, case_sensitive: bool, min_word_length: usize, stop_words: &[String]) -> Value {
    let stop: Vec<String> = stop_words.iter().map(|s| s.to_lowercase()).collect();
    let mut frequencies: Map<String, Value> = Map::new();
    let mut total = 0u64;
    let mut total_chars = 0usize;
    let mut longest: Option<(String, usize)> = None;
    let mut shortest: Option<(String, usize)> = None;
    for raw in cleaned.split_whitespace() {
        let len = raw.chars().count();
        if len < min_word_length {
            continue;
        }
        let word = if case_sensitive { raw.to_string() } else { raw.to_lowercase() };
        if stop.contains(&word.to_lowercase()) {
            continue;
        }
        total += 1;
        total_chars += len;
        if longest.as_ref().map_or(true, |(_, l)| len > *l) {
            longest = Some((word.clone(), len));
        }
        if shortest.as_ref().map_or(true, |(_, l)| len < *l) {
            shortest = Some((word.clone(), len));
        }
        let n = frequencies.get(&word).and_then(Value::as_u64).unwrap_or(0);
        frequencies.insert(word, json!(n + 1));
    }
    let average = if total == 0 { 0.0 } else { round2(total_chars as f64 / total as f64) };
    json!({
        "total_words": total,
        "unique_words": frequencies.len(),
        "word_frequencies": Value::Object(frequencies),
        "average_word_length": average,
        "longest_word": longest.map(|(w, _)| w).unwrap_or_default(),
        "shortest_word": shortest.map(|(w, _)| w).unwrap_or_default(),
    })
}

/// `empty`, `short`, `medium` or `long` by the number of counted words.
pub fn route(total_words: u64) -> &'static str {
    match total_words {
        0 => "empty",
        n if n < 100 => "short",
        n if n < 1000 => "medium",
        _ => "long",
    }
}

impl Node for WordCount {
    fn definition(&self) -> NodeDefinition {
        NodeDefinition::new("word-count", "text", "Count words and analyze text statistics")
            .config_schema(json!({
                "type": "object",
                "properties": {
                    "min_word_length": { "type": "integer", "default": 1, "minimum": 1, "description": "Minimum word length to count" },
                    "stop_words": { "type": "array", "items": { "type": "string" }, "default": DEFAULT_STOP_WORDS, "description": "Words to exclude from counting" }
                }
            }))
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "text": { "type": "string", "description": "Text to analyze" },
                    "case_sensitive": { "type": "boolean", "default": false, "description": "Whether to treat words case-sensitively" }
                },
                "required": ["text"]
            }))
            .output_schema(json!({
                "type": "object",
                "properties": {
                    "total_words": { "type": "integer" },
                    "unique_words": { "type": "integer" },
                    "word_frequencies": { "type": "object", "additionalProperties": { "type": "integer" } },
                    "average_word_length": { "type": "number" },
                    "longest_word": { "type": "string" },
                    "shortest_word": { "type": "string" }
                },
                "required": ["total_words", "unique_words", "word_frequencies", "average_word_length", "longest_word", "shortest_word"]
            }))
    }

    fn prep(&self, input: Value, _ctx: &Context) -> Result<Value, NodeError> {
        // The SDK has checked `text` is a string and applied `case_sensitive: false`.
        let text = input["text"].as_str().unwrap_or("");
        let cleaned: String = text.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
        Ok(json!({
            "original_text": text,
            "cleaned_text": cleaned,
            "case_sensitive": input["case_sensitive"].as_bool().unwrap_or(false),
        }))
    }

    fn exec(&self, prep: Value, ctx: &Context) -> Result<Value, NodeError> {
        let min = ctx.config["min_word_length"].as_u64().unwrap_or(1);
        if min < 1 {
            return Err(NodeError::invalid_field("config.min_word_length", "must be at least 1"));
        }
        let mut stop_words = Vec::new();
        for w in ctx.config["stop_words"].as_array().map(|a| a.as_slice()).unwrap_or(&[]) {
            match w.as_str() {
                Some(s) => stop_words.push(s.to_string()),
                None => return Err(NodeError::invalid_field("config.stop_words", "every stop word must be a string")),
            }
        }
        let cleaned = prep["cleaned_text"].as_str().unwrap_or("");
        let case_sensitive = prep["case_sensitive"].as_bool().unwrap_or(false);
        Ok(count_words(cleaned, case_sensitive, min as usize, &stop_words))
    }

    fn post(&self, _input: Value, _prep: Value, exec: Value, ctx: &Context) -> Result<PostResult, NodeError> {
        let total = exec["total_words"].as_u64().unwrap_or(0);
        let next = route(total);
        ctx.log.info(&format!("counted {} words ({})", total, next));
        Ok(PostResult::new(exec, next))
    }
}

struct WordCounter;

impl Plugin for WordCounter {
    fn nodes() -> Vec<Box<dyn Node>> {
        vec![Box::new(WordCount)]
    }
}

export_plugin!(WordCounter);
