//! One paging shape for every list: a [`Page`] of items and the cursor of the
//! next page. Lists run by creation time; a cursor is `<created_at>_<id>` of
//! the last item, and a page is read as `limit + 1` rows so that the extra one
//! tells whether another page follows.

use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::{Result, StoreError};

/// What a list holds: the name of its items in JSON, and each item's cursor.
pub trait Listed {
    /// The JSON field of the items (`"objects"`, `"tasks"`, …).
    const ITEMS: &'static str;
    /// The cursor that continues the list after this item.
    fn cursor(&self) -> String;
}

/// A page of a list, and the cursor of the next page. In JSON:
/// `{"<items>": […], "next_cursor": "…" | null}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in list order.
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// Cuts up to `limit + 1` rows to `limit`, and says whether a next page
/// exists (the extra row). Cut the raw rows before converting them, so that
/// the extra row costs nothing more than being read.
pub fn cut<R>(mut rows: Vec<R>, limit: i64) -> (Vec<R>, bool) {
    let limit = usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

impl<T: Listed> Page<T> {
    /// The page of `limit` items out of up to `limit + 1` (see [`cut`]).
    pub fn of(rows: Vec<T>, limit: i64) -> Self {
        let (items, more) = cut(rows, limit);
        Page::after(items, more)
    }

    /// The page of `items`, cut already; `more` if a next page exists.
    pub fn after(items: Vec<T>, more: bool) -> Self {
        Page::after_with(items, more, T::cursor)
    }
}

impl<T> Page<T> {
    /// Like [`Page::after`], for a list ordered by something else than
    /// creation time: `cursor` says how to continue after an item.
    pub fn after_with(items: Vec<T>, more: bool, cursor: impl Fn(&T) -> String) -> Self {
        let next_cursor = if more { items.last().map(cursor) } else { None };
        Page { items, next_cursor }
    }
}

impl<T: Serialize + Listed> Serialize for Page<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut page = serializer.serialize_struct("Page", 2)?;
        page.serialize_field(T::ITEMS, &self.items)?;
        page.serialize_field("next_cursor", &self.next_cursor)?;
        page.end()
    }
}

/// The cursor of an item listed by creation time.
pub fn time_cursor_of(created_at: i64, id: impl std::fmt::Display) -> String {
    format!("{created_at}_{id}")
}

/// Reads a cursor made by [`time_cursor_of`]; no cursor starts from the newest.
pub(crate) fn time_cursor(cursor: Option<&str>) -> Result<(i64, String)> {
    match cursor {
        None => Ok((i64::MAX, String::new())),
        Some(c) => {
            let bad =
                || StoreError::Invalid { code: "invalid_cursor", message: "cursor is not one this server gave".into() };
            let (at, id) = c.split_once('_').ok_or_else(bad)?;
            Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize)]
    struct Row(i64);

    impl Listed for Row {
        const ITEMS: &'static str = "rows";
        fn cursor(&self) -> String {
            time_cursor_of(self.0, "r")
        }
    }

    #[test]
    fn the_extra_row_makes_the_next_cursor() {
        let page = Page::of(vec![Row(3), Row(2), Row(1)], 2);
        assert_eq!(page.items, [Row(3), Row(2)]);
        assert_eq!(page.next_cursor.as_deref(), Some("2_r"));
        assert_eq!(time_cursor(page.next_cursor.as_deref()).unwrap(), (2, "r".to_owned()));
        let last = Page::of(vec![Row(1)], 2);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn serializes_under_the_items_name() {
        let page = Page::of(vec![Row(5), Row(4)], 1);
        assert_eq!(serde_json::to_value(&page).unwrap(), serde_json::json!({"rows": [5], "next_cursor": "5_r"}));
        assert!(time_cursor(Some("nonsense")).is_err());
    }
}
