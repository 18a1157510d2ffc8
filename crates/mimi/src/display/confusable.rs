//! Names that look alike (UTS #39 §4 "Confusable Detection").

use std::collections::HashMap;

/// The UTS #39 skeleton of `name`: names with the same skeleton are confusable ("aIice" and
/// "a1ice" are both "alice", "rnallory" and "mallory" both "rnallory").
pub fn skeleton(name: &str) -> String {
    unicode_security::skeleton(name).collect()
}

/// For each of `names`, the index of another name it can be taken for, if any: one with the same
/// skeleton, or the same letters but for case ("Alice" and "alice" are distinct users). Equal
/// names (the same name at two providers) count too. Linear in the number of names.
pub fn confusable_with<S: AsRef<str>>(names: &[S]) -> Vec<Option<usize>> {
    let keys: Vec<[String; 2]> = names
        .iter()
        .map(|n| [skeleton(n.as_ref()), n.as_ref().to_lowercase()])
        .collect();
    // Per kind of key: the first two names with that key, which is all a lookup needs.
    let mut seen: [HashMap<&str, [Option<usize>; 2]>; 2] = Default::default();
    for (i, k) in keys.iter().enumerate() {
        for (kind, key) in k.iter().enumerate() {
            let slot = seen[kind].entry(key.as_str()).or_default();
            if let Some(free) = slot.iter_mut().find(|s| s.is_none()) {
                *free = Some(i);
            }
        }
    }
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            k.iter().enumerate().find_map(|(kind, key)| {
                seen[kind]
                    .get(key.as_str())
                    .and_then(|firsts| firsts.iter().flatten().copied().find(|&j| j != i))
            })
        })
        .collect()
}
