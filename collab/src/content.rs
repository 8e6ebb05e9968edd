//! Reading a document's content as JSON, and restoring an earlier state as a
//! forward update (CRDTs cannot go back; a restore writes the old content anew).
//! Every root kind is restored, rich text (XML fragments) included.
//!
//! Root types are not named in the binary state, so each root is read the way
//! its content shows: a map if it has keys, text if it has characters, an XML
//! fragment (rich text, e.g. y-prosemirror) if it has elements, else an array.

use serde_json::{Map, Value};
use yrs::types::ToJson;
use yrs::types::text::YChange;
use yrs::types::xml::{XmlFragment, XmlIn, XmlOut};
use yrs::types::{AsPrelim, Delta};
use yrs::updates::decoder::Decode;
use yrs::{
    Array, Doc, GetString, In, Map as _, Out, ReadTxn, StateVector, Text, Transact, TransactionMut, Update, Xml,
    XmlElementPrelim,
};

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
    /// The version's content could not be written anew.
    #[error("the version could not be restored")]
    Restore,
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

/// An update that, applied to `current`, makes its content equal `version`'s.
///
/// Maps, arrays, texts (with their formatting) and XML fragments (rich text, e.g.
/// y-prosemirror's) are rewritten from the version; nested shared types are
/// copied as shared types, so clients bound to them keep working.
pub fn restore_update(current: &[u8], version: &[u8]) -> Result<Vec<u8>, ContentError> {
    // The states hold client-written content and yrs asserts on some shapes of
    // it: a failed restore is an error, never a panic of the caller.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| restore(current, version)))
        .map_err(|_| ContentError::Restore)?
}

fn restore(current: &[u8], version: &[u8]) -> Result<Vec<u8>, ContentError> {
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
            RootKind::Array => root_kind(current, &name)?,
            k => k,
        };
        // Root handles first: taking one needs the document's write lock.
        match kind {
            RootKind::Map => {
                let source = old.get_or_insert_map(name.as_str());
                let target = doc.get_or_insert_map(name.as_str());
                let otx = old.transact();
                let mut txn = doc.transact_mut();
                let keep: Vec<(String, Out)> = source.iter(&otx).map(|(k, v)| (k.to_owned(), v)).collect();
                let stale: Vec<String> =
                    target.keys(&txn).filter(|k| !keep.iter().any(|(n, _)| n == k)).map(str::to_owned).collect();
                for k in stale {
                    target.remove(&mut txn, &k);
                }
                for (k, v) in keep {
                    // Plain values already equal stay untouched (no churn for other clients).
                    if let (Out::Any(new), Some(Out::Any(cur))) = (&v, target.get(&txn, &k))
                        && *new == cur
                    {
                        continue;
                    }
                    target.insert(&mut txn, k, v.as_prelim(&otx));
                }
            }
            RootKind::Text => {
                let source = old.get_or_insert_text(name.as_str());
                let target = doc.get_or_insert_text(name.as_str());
                let otx = old.transact();
                let mut txn = doc.transact_mut();
                let len = target.len(&txn);
                target.remove_range(&mut txn, 0, len);
                let delta: Vec<Delta<In>> = source
                    .diff(&otx, YChange::identity)
                    .into_iter()
                    .map(|d| Delta::Inserted(d.insert.as_prelim(&otx), d.attributes))
                    .collect();
                target.apply_delta(&mut txn, delta);
            }
            RootKind::Array => {
                let source = old.get_or_insert_array(name.as_str());
                let target = doc.get_or_insert_array(name.as_str());
                let otx = old.transact();
                let mut txn = doc.transact_mut();
                let len = target.len(&txn);
                target.remove_range(&mut txn, 0, len);
                for (i, v) in source.iter(&otx).enumerate() {
                    target.insert(&mut txn, i as u32, v.as_prelim(&otx));
                }
            }
            RootKind::Xml => {
                let source = old.get_or_insert_xml_fragment(name.as_str());
                let target = doc.get_or_insert_xml_fragment(name.as_str());
                let otx = old.transact();
                let mut txn = doc.transact_mut();
                let len = target.len(&txn);
                target.remove_range(&mut txn, 0, len);
                for child in source.children(&otx) {
                    copy_xml(&mut txn, &target, child, &otx);
                }
            }
        }
    }
    Ok(doc.transact().encode_state_as_update_v1(&before))
}

/// Appends a copy of `node` (read through `from`) to `parent`. Element
/// attributes keep their types (y-prosemirror stores numbers, e.g. a heading's
/// level), which yrs' own `as_prelim` would turn into strings.
fn copy_xml<P: XmlFragment, T: ReadTxn>(txn: &mut TransactionMut, parent: &P, node: XmlOut, from: &T) {
    match node {
        XmlOut::Element(el) => {
            let copy = parent.push_back(txn, XmlElementPrelim::empty(el.tag().clone()));
            for (k, v) in el.attributes(from) {
                copy.insert_attribute(txn, k, v.as_prelim(from));
            }
            for child in el.children(from) {
                copy_xml(txn, &copy, child, from);
            }
        }
        XmlOut::Text(text) => {
            parent.push_back(txn, XmlIn::from(text.as_prelim(from)));
        }
        XmlOut::Fragment(frag) => {
            parent.push_back(txn, XmlIn::from(frag.as_prelim(from)));
        }
    }
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

    #[test]
    fn restore_brings_back_rich_text_and_nested_types() {
        let d = Doc::new();
        let frag = d.get_or_insert_xml_fragment("prosemirror");
        let shapes = d.get_or_insert_map("shapes");
        {
            let mut txn = d.transact_mut();
            let h = frag.push_back(&mut txn, XmlElementPrelim::empty("heading"));
            h.insert_attribute(&mut txn, "level", yrs::Any::from(2.0));
            let t = h.push_back(&mut txn, yrs::XmlTextPrelim::new("Plan"));
            let bold: yrs::types::Attrs = [("bold".into(), yrs::Any::Bool(true))].into_iter().collect();
            t.format(&mut txn, 0, 2, bold);
            let p = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, yrs::XmlTextPrelim::new("first"));
            shapes.insert(&mut txn, "s1", yrs::MapPrelim::from([("kind", "circle")]));
        }
        let v1 = d.transact().encode_state_as_update_v1(&StateVector::default());
        let xml_v1 = frag.get_string(&d.transact());
        {
            let mut txn = d.transact_mut();
            frag.remove_range(&mut txn, 0, 1);
            let p = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, yrs::XmlTextPrelim::new("second"));
            shapes.remove(&mut txn, "s1");
        }
        let now = d.transact().encode_state_as_update_v1(&StateVector::default());
        let fix = restore_update(&now, &v1).expect("restore");
        d.transact_mut().apply_update(Update::decode_v1(&fix).expect("update")).expect("applies");
        let txn = d.transact();
        assert_eq!(frag.get_string(&txn), xml_v1);
        assert!(xml_v1.contains("<bold>Pl</bold>an"), "{xml_v1}");
        let Some(XmlOut::Element(h)) = frag.get(&txn, 0) else { panic!("heading") };
        // The attribute keeps its type.
        assert_eq!(h.get_attribute(&txn, "level"), Some(Out::Any(yrs::Any::from(2.0))));
        // The nested map is a map again, not a plain value.
        assert!(matches!(shapes.get(&txn, "s1"), Some(Out::YMap(_))));
        let json = to_json(&d.transact().encode_state_as_update_v1(&StateVector::default())).expect("json");
        assert_eq!(json["shapes"], serde_json::json!({"s1": {"kind": "circle"}}));
        assert_eq!(json["prosemirror"], serde_json::json!(xml_v1));
    }
}
