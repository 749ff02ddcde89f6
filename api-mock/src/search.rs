//! Full-text search of the knowledge base with tantivy.
//!
//! Each article is indexed three ways: folded (lower case, no accents) for exact, typo-tolerant and prefix
//! matches, and stemmed with its own language's stemmer (Portuguese or English) so that `notas fiscais`
//! finds `nota fiscal`. A query is one clause per word (or per synonym phrase); most words must match;
//! titles weigh three times the body. The index lives in memory and is rebuilt from the database at start.

use std::sync::{Arc, Mutex, RwLock};

use crate::{cache::Section, markdown::escape};
use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
    collector::{Count, TopDocs},
    doc,
    query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery},
    schema::{
        Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions, Value,
    },
    tokenizer::{
        AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
        TextAnalyzer,
    },
};

/// Queries longer than this are refused (422) rather than searched.
pub const MAX_QUERY_CHARS: usize = 300;
/// Words past this many are ignored.
const MAX_QUERY_WORDS: usize = 16;
const TITLE_BOOST: f32 = 3.0;
/// Terms (words and phrases) per synonym group; longer groups are refused (422) when saved, and cut to
/// this when loaded.
pub const SYNONYM_TERMS_MAX: usize = 20;
/// The term queries one search may expand into, after synonyms and typo tolerance: alternatives from
/// synonyms past it are left out. 16 typed words cost at most 16 × 8.
pub const MAX_QUERY_CLAUSES: usize = 256;
/// The longest a search may take before it answers 503.
pub const SEARCH_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// What the index needs of an article.
pub struct IndexedArticle<'a> {
    pub id: i64,
    pub locale: &'a str,
    pub title: &'a str,
    /// Plain text of the body (Markdown removed).
    pub body: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub score: f32,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    locale: Field,
    title_fold: Field,
    body_fold: Field,
    title_pt: Field,
    body_pt: Field,
    title_en: Field,
    body_en: Field,
}

impl Fields {
    fn stemmed(&self, locale: &str) -> (Field, Field) {
        if locale == "en" {
            (self.title_en, self.body_en)
        } else {
            (self.title_pt, self.body_pt)
        }
    }
}

fn analyzer(stem: Option<Language>) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser);
    // Stemming before folding: the stemmers know their language's accents ("ções", "ão").
    match stem {
        Some(language) => base
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .build(),
        None => base.filter(AsciiFoldingFilter).build(),
    }
}

/// Portuguese plurals that the Snowball stemmer leaves apart from their singular (`fiscais`/`fiscal`,
/// `emissões`/`emissão`, `cupons`/`cupom`), turned singular before stemming. Word by word, so the
/// tokens stay in step with the folded ones.
pub fn singular_pt(text: &str) -> String {
    const RULES: &[(&str, &str)] = &[
        ("ões", "ão"),
        ("ães", "ão"),
        ("ais", "al"),
        ("éis", "el"),
        ("óis", "ol"),
        ("ns", "m"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let lower = word.to_lowercase();
        let rule = RULES
            .iter()
            .find(|(from, _)| lower.chars().count() > 4 && lower.ends_with(from));
        match rule {
            Some((from, to)) => {
                out.push_str(&lower[..lower.len() - from.len()]);
                out.push_str(to);
            }
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The text as the stemmed field of `locale` sees it.
fn for_stemming<'a>(locale: &str, text: &'a str) -> std::borrow::Cow<'a, str> {
    if locale == "en" {
        text.into()
    } else {
        singular_pt(text).into()
    }
}

fn stem_language(locale: &str) -> Language {
    if locale == "en" {
        Language::English
    } else {
        Language::Portuguese
    }
}

/// The tokens of `text` with their byte offsets.
fn tokens_with_offsets(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push((t.text.clone(), t.offset_from, t.offset_to));
    }
    out
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    tokens_with_offsets(analyzer, text)
        .into_iter()
        .map(|t| t.0)
        .collect()
}

/// The words of `text` as search sees them before stemming: lower case, without accents (for slugs).
pub fn folded_words(text: &str) -> Vec<String> {
    tokens(&mut analyzer(None), text)
}

/// Typos forgiven in a word: one from five letters, two from nine.
pub fn typo_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Whether `token` is `word` with at most the typos `word`'s length forgives (for highlighting).
fn within_typos(token: &str, word: &str) -> bool {
    let max = usize::from(typo_distance(word));
    // Lengths further apart than the typos allowed can never match: skip the quadratic distance.
    max > 0
        && token.chars().count().abs_diff(word.chars().count()) <= max
        && edit_distance(token, word) <= max
}

/// Optimal string alignment distance (a swap of two neighbours counts one), for highlighting.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// One word of a query: its folded and stemmed forms, and whether it is matched as a prefix.
#[derive(Debug, Clone)]
struct Word {
    fold: String,
    stem: String,
    prefix: bool,
    /// Typed by the user (typos forgiven), not put in by a synonym (matched as written: cheaper, and exact).
    typed: bool,
}

/// A parsed query: the words that must mostly match, and the synonym words that may stand for them.
struct Parsed {
    /// Each unit is a list of alternatives; each alternative is a list of words that must all match.
    units: Vec<Vec<Vec<Word>>>,
}

impl Parsed {
    fn words(&self) -> impl Iterator<Item = &Word> {
        self.units.iter().flatten().flatten()
    }

    /// The term queries `build` makes of this query.
    pub fn clauses(&self) -> usize {
        self.words().map(Word::clauses).sum()
    }
}

impl Word {
    /// The term queries of this word: exact in four fields, fuzzy in two, as a prefix in two.
    fn clauses(&self) -> usize {
        let fuzzy = self.typed && typo_distance(&self.fold) > 0;
        4 + if fuzzy { 2 } else { 0 } + if self.prefix { 2 } else { 0 }
    }
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// Synonym groups, each phrase already folded into words.
    synonyms: RwLock<Vec<Vec<Vec<String>>>>,
    /// Pages of hits already answered, emptied by every change to the index or the synonyms: during an
    /// incident many readers search the same words.
    pub results: Section<ResultsKey, Arc<ResultsPage>>,
}

/// A search as asked: the query (trimmed), the reader's locale, hits per page and the page.
pub type ResultsKey = (String, String, usize, usize);

/// One page of a search's answer, the same for every reader.
#[derive(Debug)]
pub struct ResultsPage {
    pub items: Vec<api_types::SearchHit>,
    /// Hits in all.
    pub total: usize,
    /// The locale the hits are in (the other one when the reader's had none).
    pub locale: String,
}

/// Pages of results kept: a few megabytes at most.
pub const RESULTS_KEPT: usize = 2_000;

impl SearchIndex {
    pub fn new() -> Result<Self, SearchError> {
        let mut schema = Schema::builder();
        let text = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let fields = Fields {
            id: schema.add_i64_field(
                "id",
                INDEXED | tantivy::schema::FAST | tantivy::schema::STORED,
            ),
            locale: schema.add_text_field("locale", STRING),
            title_fold: schema.add_text_field("title_fold", text("fold")),
            body_fold: schema.add_text_field("body_fold", text("fold")),
            title_pt: schema.add_text_field("title_pt", text("stem_pt")),
            body_pt: schema.add_text_field("body_pt", text("stem_pt")),
            title_en: schema.add_text_field("title_en", text("stem_en")),
            body_en: schema.add_text_field("body_en", text("stem_en")),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register("fold", analyzer(None));
        index
            .tokenizers()
            .register("stem_pt", analyzer(Some(Language::Portuguese)));
        index
            .tokenizers()
            .register("stem_en", analyzer(Some(Language::English)));
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            synonyms: RwLock::new(Vec::new()),
            results: Section::with_capacity(RESULTS_KEPT),
        })
    }

    fn document(&self, a: &IndexedArticle<'_>) -> TantivyDocument {
        let f = self.fields;
        let (title_stem, body_stem) = f.stemmed(a.locale);
        doc!(
            f.id => a.id,
            f.locale => a.locale,
            f.title_fold => a.title,
            f.body_fold => a.body,
            title_stem => for_stemming(a.locale, a.title).as_ref(),
            body_stem => for_stemming(a.locale, a.body).as_ref(),
        )
    }

    fn commit(&self, writer: &mut IndexWriter) -> Result<(), SearchError> {
        writer.commit()?;
        self.reader.reload()?;
        self.results.invalidate();
        Ok(())
    }

    /// Replaces the whole index (at start, from the database).
    pub fn rebuild<'a>(
        &self,
        articles: impl IntoIterator<Item = IndexedArticle<'a>>,
    ) -> Result<usize, SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_all_documents()?;
        let mut n = 0;
        for a in articles {
            writer.add_document(self.document(&a))?;
            n += 1;
        }
        self.commit(&mut writer)?;
        // A large build leaves several segments; one searches faster (measured: `cargo xtask bench search`).
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
            self.reader.reload()?;
        }
        Ok(n)
    }

    /// Adds or replaces one article, visible to the next search.
    pub fn upsert(&self, article: &IndexedArticle<'_>) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_term(Term::from_field_i64(self.fields.id, article.id));
        writer.add_document(self.document(article))?;
        self.commit(&mut writer)
    }

    /// Takes an article out of search (unpublished or archived).
    pub fn remove(&self, id: i64) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_term(Term::from_field_i64(self.fields.id, id));
        self.commit(&mut writer)
    }

    /// Articles in the index and its size in memory, in bytes (for `/metrics`).
    pub fn size(&self) -> (u64, u64) {
        let searcher = self.reader.searcher();
        let bytes = searcher
            .space_usage()
            .map(|u| u.total().get_bytes())
            .unwrap_or(0);
        (searcher.num_docs(), bytes)
    }

    pub fn set_synonyms(&self, groups: &[Vec<String>]) {
        let mut fold = analyzer(None);
        let parsed = groups
            .iter()
            .map(|g| {
                g.iter()
                    .take(SYNONYM_TERMS_MAX)
                    .map(|phrase| {
                        tokens(&mut fold, phrase)
                            .into_iter()
                            .take(MAX_QUERY_WORDS)
                            .collect::<Vec<_>>()
                    })
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|g: &Vec<Vec<String>>| g.len() > 1)
            .collect();
        *self.synonyms.write().unwrap_or_else(|e| e.into_inner()) = parsed;
        self.results.invalidate();
    }

    /// How many term queries a search for `query` runs (for tests of the expansion cap).
    pub fn expansion(&self, query: &str, locale: &str) -> usize {
        self.parse(query, locale).clauses()
    }

    fn parse(&self, query: &str, locale: &str) -> Parsed {
        let mut fold = analyzer(None);
        let mut stem = analyzer(Some(stem_language(locale)));
        let folded: Vec<String> = tokens(&mut fold, query)
            .into_iter()
            .take(MAX_QUERY_WORDS)
            .collect();
        let stemmed: Vec<String> = tokens(&mut stem, &for_stemming(locale, query))
            .into_iter()
            .take(MAX_QUERY_WORDS)
            .collect();
        let n = folded.len();
        let word = |i: usize| Word {
            fold: folded[i].clone(),
            stem: stemmed.get(i).cloned().unwrap_or_else(|| folded[i].clone()),
            prefix: i + 1 == n,
            typed: true,
        };
        let synonyms = self.synonyms.read().unwrap_or_else(|e| e.into_inner());
        // The typed words come first; synonyms' alternatives take what is left of the clause budget.
        let typed: usize = (0..n).map(|i| word(i).clauses()).sum();
        let mut budget = MAX_QUERY_CLAUSES.saturating_sub(typed);
        let mut units = Vec::new();
        let mut i = 0;
        while i < n {
            // The longest synonym phrase that starts here.
            let found = synonyms
                .iter()
                .flat_map(|g| g.iter().map(move |p| (g, p)))
                .filter(|(_, p)| folded[i..].starts_with(p))
                .max_by_key(|(_, p)| p.len());
            match found {
                Some((group, phrase)) => {
                    let len = phrase.len();
                    let mut alternatives = vec![(i..i + len).map(word).collect::<Vec<_>>()];
                    for other in group.iter().filter(|p| *p != phrase) {
                        // Each of an alternative's words is four exact term queries.
                        let cost = 4 * other.len();
                        if cost > budget {
                            continue;
                        }
                        budget -= cost;
                        let text = other.join(" ");
                        let stems = tokens(&mut stem, &for_stemming(locale, &text));
                        alternatives.push(
                            other
                                .iter()
                                .enumerate()
                                .map(|(k, w)| Word {
                                    fold: w.clone(),
                                    stem: stems.get(k).cloned().unwrap_or_else(|| w.clone()),
                                    prefix: false,
                                    typed: false,
                                })
                                .collect(),
                        );
                    }
                    units.push(alternatives);
                    i += len;
                }
                None => {
                    units.push(vec![vec![word(i)]]);
                    i += 1;
                }
            }
        }
        Parsed { units }
    }

    fn word_query(&self, w: &Word, locale: &str) -> Box<dyn Query> {
        let f = self.fields;
        let (title_stem, body_stem) = f.stemmed(locale);
        let term = |field: Field, text: &str| Term::from_field_text(field, text);
        let boost = |q: Box<dyn Query>, b: f32| -> (Occur, Box<dyn Query>) {
            (Occur::Should, Box::new(BoostQuery::new(q, b)))
        };
        let exact = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                term(field, text),
                IndexRecordOption::WithFreqs,
            ))
        };
        let mut clauses = vec![
            boost(exact(title_stem, &w.stem), TITLE_BOOST),
            boost(exact(body_stem, &w.stem), 1.0),
            boost(exact(f.title_fold, &w.fold), TITLE_BOOST),
            boost(exact(f.body_fold, &w.fold), 1.0),
        ];
        let distance = if w.typed { typo_distance(&w.fold) } else { 0 };
        if distance > 0 {
            let fuzzy = |field| -> Box<dyn Query> {
                Box::new(FuzzyTermQuery::new(term(field, &w.fold), distance, true))
            };
            clauses.push(boost(fuzzy(f.title_fold), TITLE_BOOST * 0.5));
            clauses.push(boost(fuzzy(f.body_fold), 0.5));
        }
        if w.prefix {
            // Search as you type: the last word may be unfinished (and, when long enough, mistyped).
            let prefix_distance = u8::from(w.fold.chars().count() >= 5);
            let prefix = |field| -> Box<dyn Query> {
                Box::new(FuzzyTermQuery::new_prefix(
                    term(field, &w.fold),
                    prefix_distance,
                    true,
                ))
            };
            clauses.push(boost(prefix(f.title_fold), TITLE_BOOST * 0.5));
            clauses.push(boost(prefix(f.body_fold), 0.5));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn build(&self, parsed: &Parsed, locale: &str) -> Box<dyn Query> {
        let units: Vec<(Occur, Box<dyn Query>)> = parsed
            .units
            .iter()
            .map(|alternatives| {
                let alts: Vec<(Occur, Box<dyn Query>)> = alternatives
                    .iter()
                    .map(|words| {
                        let all: Vec<(Occur, Box<dyn Query>)> = words
                            .iter()
                            .map(|w| (Occur::Must, self.word_query(w, locale)))
                            .collect();
                        (
                            Occur::Should,
                            Box::new(BooleanQuery::new(all)) as Box<dyn Query>,
                        )
                    })
                    .collect();
                (
                    Occur::Should,
                    Box::new(BooleanQuery::new(alts)) as Box<dyn Query>,
                )
            })
            .collect();
        let n = units.len();
        // Most words must match: all of one or two, and all but one in four after that.
        let required = n - n / 4;
        let words = BooleanQuery::with_minimum_required_clauses(units, required);
        let in_locale = TermQuery::new(
            Term::from_field_text(self.fields.locale, locale),
            IndexRecordOption::Basic,
        );
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(words)),
            (Occur::Must, Box::new(in_locale)),
        ]))
    }

    /// The best `limit` articles of `locale` for `query`, with the total count of matches.
    pub fn search(
        &self,
        query: &str,
        locale: &str,
        limit: usize,
    ) -> Result<(Vec<Hit>, usize), SearchError> {
        let parsed = self.parse(query, locale);
        if parsed.units.is_empty() || limit == 0 {
            return Ok((Vec::new(), 0));
        }
        let q = self.build(&parsed, locale);
        let searcher = self.reader.searcher();
        let (top, total) = searcher.search(&q, &(TopDocs::with_limit(limit), Count))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_i64()) {
                hits.push(Hit { id, score });
            }
        }
        Ok((hits, total))
    }

    /// An HTML excerpt of `text` around the words that match `query`, each inside `<mark>`; the only markup.
    pub fn snippet(&self, query: &str, locale: &str, text: &str, max_words: usize) -> String {
        self.snippets(query, locale, &[text], max_words)
            .pop()
            .unwrap_or_default()
    }

    /// The snippets of several texts for one query (the query is parsed once).
    pub fn snippets(
        &self,
        query: &str,
        locale: &str,
        texts: &[&str],
        max_words: usize,
    ) -> Vec<String> {
        let parsed = self.parse(query, locale);
        let words: Vec<&Word> = parsed.words().collect();
        let mut fold = analyzer(None);
        let mut stem = analyzer(Some(stem_language(locale)));
        texts
            .iter()
            .map(|text| snippet_of(&words, locale, &mut fold, &mut stem, text, max_words))
            .collect()
    }
}

fn snippet_of(
    words: &[&Word],
    locale: &str,
    fold: &mut TextAnalyzer,
    stem: &mut TextAnalyzer,
    text: &str,
    max_words: usize,
) -> String {
    let folded = tokens_with_offsets(fold, text);
    // Stemming is the costly part: only tokens that begin like a stem of the query are stemmed.
    let may_stem_to = |tok: &str, stem: &str| {
        let k = stem.chars().count().min(3);
        tok.chars().take(k).eq(stem.chars().take(k))
    };
    let matches: Vec<bool> = folded
        .iter()
        .map(|(tok, from, to)| {
            words.iter().any(|w| {
                *tok == w.fold
                    || (w.prefix && tok.starts_with(&w.fold))
                    || (w.typed && within_typos(tok, &w.fold))
            }) || (words.iter().any(|w| may_stem_to(tok, &w.stem))
                && tokens(stem, &for_stemming(locale, &text[*from..*to]))
                    .first()
                    .is_some_and(|s| words.iter().any(|w| *s == w.stem)))
        })
        .collect();
    if folded.is_empty() {
        return String::new();
    }
    // The window of `max_words` tokens with the most matches.
    let width = max_words.min(folded.len());
    let mut count: usize = matches[..width].iter().filter(|m| **m).count();
    let (mut best, mut best_count) = (0, count);
    for start in 1..=folded.len() - width {
        count = count + usize::from(matches[start + width - 1]) - usize::from(matches[start - 1]);
        if count > best_count {
            best = start;
            best_count = count;
        }
    }
    // Start a little before the window's first match, for context.
    let first = (best..best + width).find(|&i| matches[i]).unwrap_or(best);
    let start = first.saturating_sub(3).min(folded.len() - width);
    let end = (start + width).min(folded.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut cursor = folded[start].1;
    for i in start..end {
        let (_, from, to) = &folded[i];
        out.push_str(&escape(&text[cursor..*from]));
        if matches[i] {
            out.push_str("<mark>");
            out.push_str(&escape(&text[*from..*to]));
            out.push_str("</mark>");
        } else {
            out.push_str(&escape(&text[*from..*to]));
        }
        cursor = *to;
    }
    if end < folded.len() {
        out.push('…');
    } else {
        out.push_str(&escape(&text[cursor..]));
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl SearchIndex {
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn index(&self) -> &Index {
        &self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(articles: &[(i64, &str, &str, &str)]) -> SearchIndex {
        let idx = SearchIndex::new().unwrap();
        idx.rebuild(
            articles
                .iter()
                .map(|(id, locale, title, body)| IndexedArticle {
                    id: *id,
                    locale,
                    title,
                    body,
                }),
        )
        .unwrap();
        idx
    }

    fn ids(idx: &SearchIndex, q: &str, locale: &str) -> Vec<i64> {
        idx.search(q, locale, 10)
            .unwrap()
            .0
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    fn sample() -> SearchIndex {
        let idx = index(&[
            (
                1,
                "pt-BR",
                "Emissão de nota fiscal eletrônica (NF-e)",
                "Passo a passo para emitir a NF-e no Varejo Plus.",
            ),
            (
                2,
                "pt-BR",
                "Como fazer uma sangria no caixa",
                "A sangria retira dinheiro do caixa durante o dia.",
            ),
            (
                3,
                "pt-BR",
                "Backup do banco de dados",
                "Como restaurar um backup. Fala também de notas fiscais antigas.",
            ),
            (
                4,
                "en",
                "Making a cash withdrawal",
                "A withdrawal (sangria) takes cash out of the till.",
            ),
            (
                5,
                "en",
                "Restoring a backup",
                "How to restore the database from a backup, step by step.",
            ),
            (
                6,
                "pt-BR",
                "Leitor de código de barras",
                "Configurar o leitor no PDV para ler etiquetas de balança.",
            ),
        ]);
        idx.set_synonyms(&[
            vec!["pdv".into(), "caixa".into(), "frente de caixa".into()],
            vec![
                "nfc-e".into(),
                "nfce".into(),
                "cupom fiscal eletrônico".into(),
            ],
        ]);
        idx
    }

    #[test]
    fn folds_case_and_accents() {
        let idx = sample();
        assert_eq!(ids(&idx, "EMISSAO", "pt-BR"), [1]);
        assert_eq!(ids(&idx, "eletronica", "pt-BR"), [1]);
    }

    #[test]
    fn stems_portuguese_and_english() {
        let idx = sample();
        // "notas fiscais" finds "nota fiscal" (article 3 has the very words, article 1 their singular).
        let found = ids(&idx, "notas fiscais", "pt-BR");
        assert!(found.contains(&1) && found.contains(&3), "{found:?}");
        assert_eq!(ids(&idx, "emitindo", "pt-BR"), [1], "emitir");
        assert_eq!(ids(&idx, "restored backups", "en"), [5]);
        assert_eq!(ids(&idx, "withdrawals", "en"), [4]);
    }

    #[test]
    fn forgives_one_typo_from_five_letters_and_two_from_nine() {
        let idx = sample();
        assert_eq!(ids(&idx, "emissao nota fsical", "pt-BR").first(), Some(&1));
        assert_eq!(
            ids(&idx, "sangira caixa", "pt-BR").first(),
            Some(&2),
            "a swap counts as one typo"
        );
        assert_eq!(
            ids(&idx, "eletrnoika", "pt-BR"),
            [1],
            "two typos in a ten-letter word"
        );
        assert!(ids(&idx, "bakcup", "en").contains(&5));
        // Four letters: no typo forgiven (a swap inside "nota" would be "ntoa").
        assert!(ids(&idx, "ntoa passo", "pt-BR").is_empty());
        assert_eq!(typo_distance("nota"), 0);
        assert_eq!(typo_distance("fiscal"), 1);
        assert_eq!(typo_distance("eletronica"), 2);
    }

    #[test]
    fn matches_the_last_word_as_a_prefix() {
        let idx = sample();
        assert_eq!(ids(&idx, "sang", "pt-BR"), [2]);
        assert_eq!(ids(&idx, "leitor cód", "pt-BR"), [6]);
        // Not the words before the last.
        assert!(ids(&idx, "sang caixa", "pt-BR").is_empty());
    }

    #[test]
    fn applies_synonyms_both_ways() {
        let idx = sample();
        assert!(
            ids(&idx, "pdv dinheiro", "pt-BR").contains(&2),
            "pdv = caixa"
        );
        assert!(
            ids(&idx, "frente de caixa etiquetas", "pt-BR").contains(&6),
            "phrase = pdv"
        );
    }

    #[test]
    fn title_weighs_more_than_body() {
        let idx = sample();
        // "backup" is in 3's title; "fiscais" only in 3's body but in 1's title.
        assert_eq!(ids(&idx, "backup", "pt-BR"), [3]);
        let nf = ids(&idx, "fiscal", "pt-BR");
        assert_eq!(nf, [1, 3], "title match first");
    }

    #[test]
    fn stays_in_the_requested_locale() {
        let idx = sample();
        assert_eq!(ids(&idx, "backup", "en"), [5]);
        assert_eq!(ids(&idx, "sangria", "en"), [4]);
        assert_eq!(ids(&idx, "sangria", "pt-BR"), [2]);
    }

    #[test]
    fn empty_and_absurd_queries_find_nothing_without_failing() {
        let idx = sample();
        for q in ["", "   ", "?!.,;", "🙂🙂", "\u{0}"] {
            assert!(ids(&idx, q, "pt-BR").is_empty(), "{q:?}");
        }
        let long = "nota ".repeat(2000);
        assert!(idx.search(&long, "pt-BR", 10).is_ok());
        let word = "a".repeat(10_000);
        assert!(idx.search(&word, "pt-BR", 10).unwrap().0.is_empty());
    }

    #[test]
    fn follows_changes_at_once() {
        let idx = sample();
        idx.upsert(&IndexedArticle {
            id: 7,
            locale: "pt-BR",
            title: "Certificado digital A1 vencido",
            body: "Renove.",
        })
        .unwrap();
        assert_eq!(ids(&idx, "certificado", "pt-BR"), [7]);
        idx.upsert(&IndexedArticle {
            id: 7,
            locale: "pt-BR",
            title: "Certificado A3 no token",
            body: "Instale.",
        })
        .unwrap();
        assert_eq!(ids(&idx, "token", "pt-BR"), [7]);
        assert!(
            ids(&idx, "vencido", "pt-BR").is_empty(),
            "the old text is gone"
        );
        idx.remove(7).unwrap();
        assert!(ids(&idx, "certificado", "pt-BR").is_empty());
    }

    #[test]
    fn snippets_mark_matches_and_escape_everything_else() {
        let idx = sample();
        let s = idx.snippet(
            "emissao nota fsical",
            "pt-BR",
            "Veja <b>como</b> emitir a nota fiscal & a NF-e.",
            30,
        );
        assert_eq!(
            s,
            "Veja &lt;b&gt;como&lt;/b&gt; emitir a <mark>nota</mark> <mark>fiscal</mark> &amp; a NF-e."
        );
        let long = format!(
            "{} sangria no fim {}",
            "palavra ".repeat(50),
            "outra ".repeat(50)
        );
        let s = idx.snippet("sangria", "pt-BR", &long, 10);
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("<mark>sangria</mark>"),
            "{s}"
        );
        assert_eq!(s.matches("<mark>").count(), 1);
    }

    #[test]
    fn portuguese_plurals_become_singular_before_stemming() {
        assert_eq!(
            singular_pt("Notas Fiscais, emissões e cupons; mais"),
            "Notas fiscal, emissão e cupom; mais"
        );
    }

    #[test]
    fn edit_distance_counts_a_swap_as_one() {
        assert_eq!(edit_distance("fsical", "fiscal"), 1);
        assert_eq!(edit_distance("fiscal", "fiscal"), 0);
        assert_eq!(edit_distance("fical", "fiscal"), 1);
    }
}
