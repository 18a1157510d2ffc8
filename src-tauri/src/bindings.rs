//! The TypeScript bindings of the IPC: the types of command arguments, results, errors and event
//! payloads, generated from the Rust types with ts-rs, plus each command's signature and each
//! event's payload type. The file is committed (`ui/src/ipc/bindings.ts`); the test below
//! rewrites it, and `make test` fails if that changed anything (`git diff --exit-code`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use ts_rs::{Config, TS, TypeVisitor};

use crate::commands;
use crate::error::IpcError;
use crate::events;

/// Where the bindings live, from this crate's folder.
pub const PATH: &str = "../ui/src/ipc/bindings.ts";

/// Collects the declarations of a type and of every type it refers to, each once.
struct Declarations<'a> {
    cfg: &'a Config,
    seen: BTreeSet<String>,
    out: String,
}

impl TypeVisitor for Declarations<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() {
            // Not a declared type (a primitive, `Vec`, `Option`, …): look inside it.
            T::visit_generics(self);
            T::visit_dependencies(self);
            return;
        }
        if !self.seen.insert(T::ident(self.cfg)) {
            return;
        }
        self.out.push('\n');
        if let Some(docs) = T::docs() {
            self.out.push_str(&docs);
        }
        let _ = writeln!(self.out, "export {}", T::decl(self.cfg));
        T::visit_dependencies(self);
    }
}

fn doc_comment(out: &mut String, indent: &str, docs: &str) {
    let _ = writeln!(out, "{indent}/**");
    for line in docs.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line);
        let _ = writeln!(out, "{indent} * {line}");
    }
    let _ = writeln!(out, "{indent} */");
}

/// The whole bindings file.
pub fn render() -> String {
    // Timestamps (ms) and epochs are u64 in Rust and plain JSON numbers on the wire; they stay far
    // below 2^53.
    let cfg = Config::new().with_large_int("number");
    let out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit: run\n\
         // `cargo test -p conclave-desktop bindings` and commit the result.\n",
    );
    let mut types = Declarations {
        cfg: &cfg,
        seen: BTreeSet::new(),
        out,
    };
    types.visit::<IpcError>();
    commands::visit_types(&mut types);
    events::visit_payloads(&mut types);
    let mut out = types.out;

    out.push_str("\n/**\n * The app's commands: the arguments and the result of each.\n */\n");
    out.push_str("export type Commands = {\n");
    for s in commands::signatures(&cfg) {
        doc_comment(&mut out, "  ", s.docs);
        let args = if s.args.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            let fields: Vec<String> = s.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            format!("{{ {} }}", fields.join("; "))
        };
        let _ = writeln!(
            out,
            "  {}: {{ args: {args}; result: {} }};",
            s.name, s.result
        );
    }
    out.push_str("};\n");

    out.push_str("\n/**\n * The app's events: the payload of each.\n */\n");
    out.push_str("export type Events = {\n");
    for (name, payload) in events::payloads(&cfg) {
        let _ = writeln!(out, "  \"{name}\": {payload};");
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rewrites the committed bindings; `make test` then checks with git that nothing changed.
    #[test]
    fn bindings_are_regenerated_from_the_rust_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
        let text = render();
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, &text).expect("write the bindings");
        }
        assert!(text.contains("export type Commands"));
        assert!(
            text.contains("send_text: { args: { room: string; text: string }; result: string };")
        );
        assert!(text.contains("\"client-event\": ClientEvent;"));
    }
}
