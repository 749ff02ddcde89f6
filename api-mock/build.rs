//! Embeds the demo knowledge base (`demo/kb/`) in the binary, so `--demo` works wherever it runs.

use std::{env, fmt::Write, fs, path::Path};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/kb");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut out = String::from(
        "/// `(locale, file name, contents)` of every demo article.\npub const ARTICLES: &[(&str, &str, &str)] = &[\n",
    );
    for locale in ["pt-BR", "en"] {
        let dir = root.join(locale);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut names: Vec<_> = fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.retain(|n: &String| n.ends_with(".md"));
        names.sort();
        for name in names {
            let path = dir.join(&name);
            writeln!(
                out,
                "    ({locale:?}, {name:?}, include_str!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
    }
    out.push_str("];\n");
    for (name, file) in [
        ("CATEGORIES", "categories.json"),
        ("SYNONYMS", "synonyms.json"),
    ] {
        writeln!(
            out,
            "pub const {name}: &str = include_str!({:?});",
            root.join(file).display().to_string()
        )
        .unwrap();
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("demo_kb.rs");
    fs::write(dest, out).unwrap();
}
