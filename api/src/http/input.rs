//! Input helpers: REST query and body parsing shared by several routes, and the
//! data and answer of WebSocket ops.

use caas_storage::UserId;
use serde::Deserialize;

use crate::http::error::ApiError;

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Parses user ids, naming the first bad one (422 `invalid_user_id`).
pub fn user_ids(raw: &[String]) -> Result<Vec<UserId>, ApiError> {
    raw.iter().map(|u| user_id(u)).collect()
}

/// Parses one user id (422 `invalid_user_id`).
pub fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|e: caas_storage::IdError| ApiError::invalid("invalid_user_id", format!("`{raw}`: {e}")))
}

/// An instant given as RFC 3339, or as a date (`YYYY-MM-DD`, midnight UTC), in ms.
pub fn instant_ms(raw: &str, code: &'static str, what: &str) -> Result<i64, ApiError> {
    let s = raw.trim();
    let bad = || ApiError::invalid(code, format!("{what} must be an RFC 3339 time or a date YYYY-MM-DD (got `{s}`)"));
    let ms = match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.timestamp_millis(),
        Err(_) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| bad())?
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_millis(),
    };
    // Keep to the years a calendar deals in (1900–2200).
    if !(-2_208_988_800_000..=7_289_654_400_000).contains(&ms) {
        return Err(bad());
    }
    Ok(ms)
}

/// A `[from, to)` range of at most `max_days`, both given as for [`instant_ms`].
pub fn range_ms(from: &str, to: &str, max_days: i64) -> Result<(i64, i64), ApiError> {
    let from = instant_ms(from, "invalid_range", "from")?;
    let to = instant_ms(to, "invalid_range", "to")?;
    if to <= from {
        return Err(ApiError::invalid("invalid_range", "`to` must be after `from`"));
    }
    if to - from > max_days * 86_400_000 {
        return Err(ApiError::invalid("invalid_range", format!("a range spans at most {max_days} days")));
    }
    Ok((from, to))
}

/// A page size between 1 and `max` (default `default`).
pub fn limit(raw: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = raw.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", format!("limit must be between 1 and {max}")));
    }
    Ok(limit)
}

/// The `data` of a WebSocket op as `T` (absent data reads as `{}`).
pub fn op_data<T: serde::de::DeserializeOwned>(data: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(if data.is_null() { serde_json::json!({}) } else { data })
        .map_err(|e| ApiError::invalid("invalid_body", format!("invalid data: {e}")))
}

/// An op's answer as JSON.
pub fn op_reply<T: serde::Serialize>(v: T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        assert_eq!(
            range_ms("2025-01-01", "2025-01-02T00:00:00Z", 366).unwrap(),
            (1_735_689_600_000, 1_735_776_000_000)
        );
        assert_eq!(range_ms("2025-01-02", "2025-01-01", 366).unwrap_err().code, "invalid_range");
        assert_eq!(range_ms("2025-01-01", "2027-01-01", 366).unwrap_err().code, "invalid_range");
        assert_eq!(range_ms("soon", "2027-01-01", 366).unwrap_err().code, "invalid_range");
        assert_eq!(instant_ms("9999-01-01", "invalid_due", "due").unwrap_err().code, "invalid_due");
    }
}
