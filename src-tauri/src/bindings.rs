//! The TypeScript bindings of the IPC: the types of command arguments, results, errors and event
//! payloads, generated from the Rust types with ts-rs, plus each command's signature and each
//! event's payload type. The file is committed (`ui/src/ipc/bindings.ts`); the test below
//! rewrites it, and `make test` fails if that changed anything (`git diff --exit-code`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ts_rs::{Config, TS, TypeVisitor};

use crate::commands;
use crate::error::IpcError;
use crate::events;

/// Where the bindings live, from this crate's folder.
pub const PATH: &str = "../ui/src/ipc/bindings.ts";

/// Collects the declarations of a type and of every type it refers to, each once, by name.
///
/// They are written out sorted by name, not in the order visited: ts-rs's derive collects a type's
/// dependencies in a `HashSet`, so the visiting order changes from one compile to the next.
struct Declarations<'a> {
    cfg: &'a Config,
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Declarations<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() {
            // Not a declared type (a primitive, `Vec`, `Option`, …): look inside it.
            T::visit_generics(self);
            T::visit_dependencies(self);
            return;
        }
        let name = T::ident(self.cfg);
        if self.decls.contains_key(&name) {
            return;
        }
        let mut decl = String::from("\n");
        if let Some(docs) = T::docs() {
            decl.push_str(&docs);
        }
        let _ = writeln!(decl, "export {}", T::decl(self.cfg));
        self.decls.insert(name, decl);
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
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit: run\n\
         // `cargo test -p conclave-desktop bindings` and commit the result.\n",
    );
    let mut types = Declarations {
        cfg: &cfg,
        decls: BTreeMap::new(),
    };
    types.visit::<IpcError>();
    commands::visit_types(&mut types);
    events::visit_payloads(&mut types);
    out.extend(types.decls.into_values());

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
