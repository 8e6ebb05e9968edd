//! Reading a document's content as JSON, and restoring an earlier state as a
//! forward update (CRDTs cannot go back; a restore writes the old content anew).
//!
//! Root types are not named in the binary state, so each root is read the way
//! its content shows: a map if it has keys, text if it has characters, an XML
//! fragment (rich text, e.g. y-prosemirror) if it has elements, else an array.

use serde_json::{Map, Value};
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{Array, Doc, GetString, Map as _, ReadTxn, StateVector, Text, Transact, Update};

/// How a root reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    /// `Y.Map`.
    Map,
    /// `Y.Text`.
    Text,
    /// `Y.XmlFragment`.
    Xml,
    /// `Y.Array` (also an empty root).
    Array,
}

/// Why content could not be read or restored.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The state does not decode.
    #[error("document state does not decode: {0}")]
    Decode(String),
    /// Rich text (XML) roots cannot be restored yet.
    #[error("restoring rich text (XML) content is not supported yet")]
    XmlRestore,
}

fn doc_from(state: &[u8]) -> Result<Doc, ContentError> {
    let doc = Doc::new();
    // yrs asserts on some invalid input in debug builds: never let that escape.
    let update = std::panic::catch_unwind(|| Update::decode_v1(state))
        .map_err(|_| ContentError::Decode("input rejected by the decoder".into()))?
        .map_err(|e| ContentError::Decode(e.to_string()))?;
    doc.transact_mut().apply_update(update).map_err(|e| ContentError::Decode(e.to_string()))?;
    Ok(doc)
}

fn root_names(state: &[u8]) -> Result<Vec<String>, ContentError> {
    let doc = doc_from(state)?;
    let txn = doc.transact();
    let mut names: Vec<String> = txn.root_refs().map(|(name, _)| name.to_owned()).collect();
    names.sort();
    Ok(names)
}

/// How root `name` of `state` reads.
pub fn root_kind(state: &[u8], name: &str) -> Result<RootKind, ContentError> {
    let d = doc_from(state)?;
    let m = d.get_or_insert_map(name);
    if m.len(&d.transact()) > 0 {
        return Ok(RootKind::Map);
    }
    let d = doc_from(state)?;
    let a = d.get_or_insert_array(name);
    let items = match a.to_json(&d.transact()) {
        yrs::Any::Array(items) => items.to_vec(),
        _ => Vec::new(),
    };
    let d = doc_from(state)?;
    let t = d.get_or_insert_text(name);
    let text = t.get_string(&d.transact());
    // Text reads as an array of its characters.
    let chars = text.chars().count();
    if chars > 0
        && items.len() == chars
        && items.iter().all(|i| matches!(i, yrs::Any::String(s) if s.chars().count() == 1))
    {
        return Ok(RootKind::Text);
    }
    let d = doc_from(state)?;
    let x = d.get_or_insert_xml_fragment(name);
    if x.get_string(&d.transact()).starts_with('<') {
        return Ok(RootKind::Xml);
    }
    Ok(RootKind::Array)
}

/// The content of every root as JSON (`{"root name": …}`).
pub fn to_json(state: &[u8]) -> Result<Value, ContentError> {
    let mut out = Map::new();
    for name in root_names(state)? {
        let d = doc_from(state)?;
        let value = match root_kind(state, &name)? {
            RootKind::Map => {
                let m = d.get_or_insert_map(name.as_str());
                serde_json::to_value(m.to_json(&d.transact())).unwrap_or(Value::Null)
            }
            RootKind::Text => Value::String(d.get_or_insert_text(name.as_str()).get_string(&d.transact())),
            RootKind::Xml => Value::String(d.get_or_insert_xml_fragment(name.as_str()).get_string(&d.transact())),
            RootKind::Array => {
                let a = d.get_or_insert_array(name.as_str());
                serde_json::to_value(a.to_json(&d.transact())).unwrap_or(Value::Null)
            }
        };
        out.insert(name, value);
    }
    Ok(Value::Object(out))
}

/// An update that, applied to `current`, makes its content equal `version`'s
/// (maps, texts and arrays; rich-text XML roots are refused).
pub fn restore_update(current: &[u8], version: &[u8]) -> Result<Vec<u8>, ContentError> {
    let doc = doc_from(current)?;
    let before: StateVector = doc.transact().state_vector();
    let old = doc_from(version)?;
    let mut names = root_names(version)?;
    for n in root_names(current)? {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    for name in names {
        let kind = match root_kind(version, &name)? {
            // An empty root in the version: clear whatever the current one holds.
            RootKind::Array => match root_kind(current, &name)? {
                RootKind::Array => RootKind::Array,
                k => k,
            },
            k => k,
        };
        match kind {
            RootKind::Xml => return Err(ContentError::XmlRestore),
            RootKind::Map => {
                // Root handles first: taking one needs the document's write lock.
                let source = old.get_or_insert_map(name.as_str());
                let entries: Vec<(String, yrs::Any)> = match source.to_json(&old.transact()) {
                    yrs::Any::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    _ => Vec::new(),
                };
                let target = doc.get_or_insert_map(name.as_str());
                let mut txn = doc.transact_mut();
                target.clear(&mut txn);
                for (k, v) in entries {
                    target.insert(&mut txn, k, v);
                }
            }
            RootKind::Text => {
                let source = old.get_or_insert_text(name.as_str());
                let text = source.get_string(&old.transact());
                let target = doc.get_or_insert_text(name.as_str());
                let mut txn = doc.transact_mut();
                let len = target.len(&txn);
                target.remove_range(&mut txn, 0, len);
                target.insert(&mut txn, 0, &text);
            }
            RootKind::Array => {
                let source = old.get_or_insert_array(name.as_str());
                let items: Vec<yrs::Any> = match source.to_json(&old.transact()) {
                    yrs::Any::Array(a) => a.to_vec(),
                    _ => Vec::new(),
                };
                let target = doc.get_or_insert_array(name.as_str());
                let mut txn = doc.transact_mut();
                let len = target.len(&txn);
                target.remove_range(&mut txn, 0, len);
                for (i, v) in items.into_iter().enumerate() {
                    target.insert(&mut txn, i as u32, v);
                }
            }
        }
    }
    Ok(doc.transact().encode_state_as_update_v1(&before))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(f: impl FnOnce(&Doc)) -> Vec<u8> {
        let d = Doc::new();
        f(&d);
        d.transact().encode_state_as_update_v1(&StateVector::default())
    }

    #[test]
    fn exports_maps_texts_and_arrays() {
        let s = state(|d| {
            let m = d.get_or_insert_map("shapes");
            let t = d.get_or_insert_text("title");
            let a = d.get_or_insert_array("order");
            let mut txn = d.transact_mut();
            m.insert(&mut txn, "s1", "circle");
            t.insert(&mut txn, 0, "Plan");
            a.push_back(&mut txn, "s1");
        });
        let json = to_json(&s).expect("json");
        assert_eq!(json, serde_json::json!({"shapes": {"s1": "circle"}, "title": "Plan", "order": ["s1"]}));
    }

    #[test]
    fn restore_brings_old_content_back_as_a_forward_update() {
        let d = Doc::new();
        let m = d.get_or_insert_map("shapes");
        let t = d.get_or_insert_text("title");
        {
            let mut txn = d.transact_mut();
            m.insert(&mut txn, "s1", "circle");
            t.insert(&mut txn, 0, "v1");
        }
        let v1 = d.transact().encode_state_as_update_v1(&StateVector::default());
        {
            let mut txn = d.transact_mut();
            m.insert(&mut txn, "s2", "square");
            m.remove(&mut txn, "s1");
            t.insert(&mut txn, 2, " and more");
        }
        let now = d.transact().encode_state_as_update_v1(&StateVector::default());
        let fix = restore_update(&now, &v1).expect("restore");
        // Applied to the live document (as a client would receive it).
        d.transact_mut().apply_update(Update::decode_v1(&fix).expect("update")).expect("applies");
        let after = d.transact().encode_state_as_update_v1(&StateVector::default());
        assert_eq!(to_json(&after).expect("json"), serde_json::json!({"shapes": {"s1": "circle"}, "title": "v1"}));
        assert!(to_json(&[1, 2, 3]).is_err());
    }
}
